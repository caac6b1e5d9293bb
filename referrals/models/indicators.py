from django.db import models
from django.db.models import Q


class IndicatorKind(models.TextChoices):
    VULNERABILITY = "vulnerability", "Vulnerability"
    RISK_INDICATOR = "risk_indicator", "Risk indicator"
    SIGN_OF_HARM = "sign_of_harm", "Sign of harm"
    DISCLOSURE = "disclosure", "Disclosure"


# Evidence that harm has happened, shown apart from what only raises the risk of it (REQUIREMENTS.md R8.2).
HARM_KINDS = (IndicatorKind.SIGN_OF_HARM, IndicatorKind.DISCLOSURE)


class IndicatorCategory(models.Model):
    code = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    guidance = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name_plural = "indicator categories"

    def __str__(self):
        return self.label


class IndicatorQuerySet(models.QuerySet):
    def current(self, on=None):
        from django.utils import timezone

        on = on or timezone.localdate()
        return self.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))


class Indicator(models.Model):
    """One sign, category or issue a member of staff can tick. Never deleted: a retired one gets a valid_to, so
    old concerns keep their meaning."""

    code = models.CharField(max_length=40, unique=True)
    category = models.ForeignKey(IndicatorCategory, on_delete=models.PROTECT, related_name="indicators")
    label = models.CharField(max_length=160)
    guidance = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=IndicatorKind.choices)
    source = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["category__order", "order"]

    def __str__(self):
        return self.label


class SeedSign(models.Model):
    """A sign as the seed text words it, and the indicator it is recorded under."""

    class List(models.TextChoices):
        """The seed's two lists of signs, each with its source."""

        KNOW_THE_SIGNS = "know_the_signs", "West Yorkshire Police, “Know the signs”"
        CSE_POSTER = (
            "cse_poster",
            "A 2013 poster from a children's charity, drawing on Barnardo's (2011), CEOP (2011) and Berelowitz et al. "
            "for the Office of the Children's Commissioner (2012)",
        )

    text = models.CharField(max_length=300, unique=True)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="seed_signs")
    source_list = models.CharField(max_length=20, choices=List.choices, blank=True)

    SHORT_NAMES = {List.KNOW_THE_SIGNS: "West Yorkshire Police", List.CSE_POSTER: "the 2013 CSE signs poster"}

    def __str__(self):
        return self.text
