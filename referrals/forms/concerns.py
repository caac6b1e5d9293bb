"""The concern form: plain fields, plus the signs noticed (checkboxes) and, for each, how the author knows it."""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.utils import timezone

from referrals.forms.fields import DateTimeInput
from referrals.models import Basis, SeedSign, Urgency
from referrals.models.indicators import HARM_KINDS

TEXT_LIMIT = 20_000
FGM = "HOME-FGM"
MARK_KIND_MISSING = "Choose what kind of mark it is: a bruise, a cut or graze, a burn, a mark or other."
BASIS_MISSING = "Choose how you know it: you saw it, you were told it, or it is your professional concern."


def indicator_sources(indicator) -> tuple[str, ...]:
    """The short names of the seed lists that name this sign, in the lists' order (seed signs prefetched)."""
    lists = {seed.source_list for seed in indicator.seed_signs.all()}
    return tuple(SeedSign.SHORT_NAMES[value] for value in SeedSign.List.values if value in lists)


@dataclass(frozen=True)
class BasisChoice:
    """One of a sign's basis radios, as the form shows it: worked out once here, not through a bound field's
    widget for each of a long checklist's radios."""

    value: str
    id: str
    label: str
    selected: bool


@dataclass(frozen=True)
class SignRow:
    """One sign on the form: its tick box and its basis choice (a radio group with nothing chosen at first)."""

    code: str
    label: str
    guidance: str
    ticked: bool
    basis: forms.BoundField
    choices: tuple[BasisChoice, ...] = ()
    kind: str = ""
    harm: bool = False
    sources: tuple[str, ...] = ()


class ConcernForm(forms.Form):
    unlisted_child_name = forms.CharField(
        label="Or a child who is not on the school's roll: their name",
        required=False,
        max_length=200,
        help_text="For example a brother or sister, or a child from another school.",
    )
    unlisted_child_details = forms.CharField(
        label="What you know about them", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    observed_at = forms.DateTimeField(
        label="When did you see or hear it?", widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )
    location = forms.CharField(label="Where?", required=False, max_length=200)
    account = forms.CharField(
        label="What did you see or hear?",
        max_length=TEXT_LIMIT,
        help_text="Facts, in the order they happened: who, what, when. Use full names, not initials.",
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    child_words = forms.CharField(
        label="The child's own words (optional)",
        required=False,
        max_length=TEXT_LIMIT,
        help_text="Exactly what the child said, even if it is rude or unclear. Do not tidy it up.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    people_present = forms.CharField(label="Who else was there?", required=False, max_length=500)
    action_taken = forms.CharField(
        label="What have you already done?",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    dsl_told_in_person = forms.BooleanField(label="I have told the DSL or a deputy in person", required=False)
    urgency = forms.ChoiceField(
        label="How urgent is it?",
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        help_text="Immediate risk: the child may be harmed today or is afraid to go home. Call 999 if in danger now.",
    )
    fgm_known_case = forms.ChoiceField(
        label="What do you know?",
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("yes", "It has been done: she told me, or I saw signs of it"),
            ("no", "I think it may be done to her, or is planned"),
        ],
    )
    fgm_police_reported = forms.BooleanField(label="I have reported this to the police on 101", required=False)
    fgm_police_reference = forms.CharField(label="Police reference, if you have one", required=False, max_length=100)

    def __init__(self, *args, categories, marks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories
        self.marks = list(marks)  # the body map's marks (referrals.body_map.MarkEntry), checked in clean()
        codes = [indicator.code for category in categories for indicator in category.current_indicators]
        # The tick boxes are drawn by the template beside their basis; the field only checks what comes back.
        self.fields["sign"] = forms.MultipleChoiceField(
            label="Signs noticed", choices=[(code, code) for code in codes], required=False
        )
        for category in categories:
            for indicator in category.current_indicators:
                self.fields[f"ind_{indicator.code}"] = forms.ChoiceField(
                    label=indicator.label,
                    choices=Basis.choices,
                    required=False,
                    widget=forms.RadioSelect,
                    help_text=indicator.guidance,
                )

    def clean(self):
        cleaned = super().clean()
        # A sign is noticed when it is ticked or when how it is known was chosen; a tick without a basis is asked
        # about, never given one: hearsay must not become first-hand by default.
        for code in cleaned.get("sign", []):
            if not cleaned.get(f"ind_{code}"):
                self.add_error(f"ind_{code}", BASIS_MISSING)
        if FGM in self.ticked_codes() and not cleaned.get("fgm_known_case"):
            self.add_error(
                "fgm_known_case", "Say whether FGM has been done, or you think it may be: the duty is different."
            )
        for mark in self.marks:
            mark.problem = "" if mark.kind else MARK_KIND_MISSING
        return cleaned

    def is_valid(self) -> bool:
        return super().is_valid() and not self.mark_problems

    @property
    def mark_problems(self) -> list:
        return [mark for mark in self.marks if mark.problem]

    @property
    def problem_count(self) -> int:
        return len(self.errors) + len(self.mark_problems)

    def clean_observed_at(self):
        observed_at = self.cleaned_data["observed_at"]
        if observed_at > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError("This is in the future: give the date and time you saw or heard it.")
        if observed_at < timezone.now() - timedelta(days=366 * 5):
            raise forms.ValidationError("Check the year: this is more than five years ago.")
        return observed_at

    def ticked(self) -> dict:
        """Indicator code -> basis, for every indicator given a basis."""
        return {name[4:]: value for name, value in self.cleaned_data.items() if name.startswith("ind_") and value}

    def ticked_codes(self) -> set[str]:
        """Signs ticked or given a basis, as the form stands (posted or from the draft)."""
        ticked = set(self["sign"].value() or [])
        return ticked | {code for code in self._codes() if self[f"ind_{code}"].value()}

    def _codes(self):
        return (indicator.code for category in self.categories for indicator in category.current_indicators)

    @staticmethod
    def _basis_choices(field: forms.BoundField) -> tuple[BasisChoice, ...]:
        """The radios as RadioSelect would write them: ids `<field id>_<index>`, the value sent back chosen."""
        chosen = field.value()
        chosen = "" if chosen is None else str(chosen)
        return tuple(
            BasisChoice(str(value), f"{field.auto_id}_{index}", str(label), str(value) == chosen)
            for index, (value, label) in enumerate(field.field.choices)
        )

    def grouped_signs(self):
        """(category, number ticked, [SignRow]) in taxonomy order, for the template."""
        ticked = self.ticked_codes()
        for category in self.categories:
            rows = [
                SignRow(
                    code=indicator.code,
                    label=indicator.label,
                    guidance=indicator.guidance,
                    ticked=indicator.code in ticked,
                    basis=basis,
                    choices=self._basis_choices(basis),
                    kind=indicator.get_kind_display(),
                    harm=indicator.kind in HARM_KINDS,
                    sources=indicator_sources(indicator),
                )
                for indicator in category.current_indicators
                for basis in [self[f"ind_{indicator.code}"]]
            ]
            yield category, sum(row.ticked for row in rows), rows


class PoliceReportForm(forms.Form):
    reference = forms.CharField(
        label="Police reference",
        max_length=100,
        help_text="The reference the police gave you when you reported it on 101.",
        error_messages={"required": "Give the police reference you were given when you reported it."},
    )


class AddendumForm(forms.Form):
    reason = forms.CharField(
        label="Why are you adding to it?",
        max_length=300,
        help_text="For example: I remembered something else, or I got a detail wrong.",
    )
    text = forms.CharField(label="What you want to add or correct", max_length=TEXT_LIMIT, widget=forms.Textarea)
