from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        from referrals.aggregates import aggregates_register
        from referrals.navigation import navigation_register
        from referrals.refusal_targets import register_refusal_targets
        from referrals.selectors.who_viewed import ChildSubjects
        from safeguarding.audit import subjects

        aggregates_register()
        register_refusal_targets()
        navigation_register()
        subjects.register(ChildSubjects())
        subjects.hidden_register(_adult_records_about)


def _adult_records_about(user):
    """The trail never shows anyone the events about a record of a concern about them (R6.7)."""
    from django.db.models import Q

    from referrals.models import AdultRecord

    about = list(AdultRecord.objects.filter(subject_user=user).values_list("uuid", flat=True))
    return Q(object_uuid__in=about) if about else None
