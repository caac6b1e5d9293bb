from crispy_forms.helper import FormHelper
from django import forms

from referrals.models import Child, RollStatus, YearGroup
from referrals.selectors import school_child_by_upn
from referrals.services.children import ROSTER_FIELDS
from referrals.upn import normalise_upn


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and writes yyyy-mm-dd whatever the site's own date format."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or "%Y-%m-%d")


class RosterForm(forms.ModelForm):
    """The roster details of a pupil. The safeguarding flags are deliberately not fields here."""

    class Meta:
        model = Child
        fields = list(ROSTER_FIELDS)
        widgets = {"date_of_birth": DateInput(), "left_on": DateInput()}

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.helper = FormHelper(self)
        self.helper.form_tag = False

    def clean_upn(self):
        return normalise_upn(self.cleaned_data["upn"])

    def clean(self):
        cleaned = super().clean()
        upn = cleaned.get("upn")
        if upn:
            duplicate = Child.objects.filter(school=self.school, upn=upn).exclude(pk=self.instance.pk)
            if duplicate.exists():
                self.add_error("upn", "Another pupil of this school has this UPN.")
        if cleaned.get("roll_status") != RollStatus.LEFT:
            cleaned["left_on"] = None
        return cleaned

    def _post_clean(self):
        # The school is set by the view, not the form; model validation needs it in place.
        self.instance.school = self.school
        super()._post_clean()


class RosterSearchForm(forms.Form):
    text = forms.CharField(label="Name or UPN", required=False, max_length=100)
    year_group = forms.ChoiceField(label="Year group", required=False, choices=[("", "Any year"), *YearGroup.choices])
    page = forms.IntegerField(required=False, min_value=1)


class PlainText(forms.CharField):
    """Free text with NUL bytes taken out, and a too-long message that names the field as the person knows it."""

    def __init__(self, *, label: str, max_length: int, named: str, **kwargs):
        too_long = f"{named} is too long: it can be at most {max_length:,} characters."
        super().__init__(label=label, max_length=max_length, error_messages={"max_length": too_long}, **kwargs)

    def to_python(self, value):
        return super().to_python(value.replace("\x00", "") if isinstance(value, str) else value)


class ReferralForm(forms.Form):
    """A referral to an agency named by the concern's latest decision."""

    agency = forms.ChoiceField(
        label="Agency", error_messages={"invalid_choice": "Choose an agency the decision names."}
    )
    purpose = PlainText(
        label="Why the information is shared",
        max_length=300,
        named="The purpose",
        help_text="You do not need consent to share information when a child is at risk of harm.",
    )
    parents_informed = forms.ChoiceField(
        label="Were parents or carers told?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        required=False,
    )
    parents_not_informed_reason = PlainText(
        label="If not, why not", max_length=5000, named="The reason parents were not told", required=False
    )
    agency_reference = PlainText(
        label="Agency reference (if given)", max_length=100, named="The reference", required=False
    )
    agency_contact = PlainText(label="Contact at the agency", max_length=200, named="The contact", required=False)

    def __init__(self, *args, agencies: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = agencies
        self.fields["purpose"].error_messages["required"] = "Say why the information is being shared."

    def clean(self):
        cleaned = super().clean()
        told = cleaned.get("parents_informed") == "yes"
        cleaned["parents_informed"] = told
        if (
            not told
            and not cleaned.get("parents_not_informed_reason")
            and "parents_not_informed_reason" not in self.errors
        ):
            self.add_error("parents_not_informed_reason", "Say why parents or carers were not told.")
        return cleaned


class AssignForm(forms.Form):
    """Who on the school's safeguarding team takes the concern on."""

    to = forms.ChoiceField(label="To", error_messages={"invalid_choice": "Choose the DSL or a deputy of this school."})

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = {str(member.user.uuid): member for member in team}
        self.fields["to"].choices = [
            (key, f"{member.user.full_name} ({member.get_role_display()})") for key, member in self.team.items()
        ]

    def clean_to(self):
        return self.team[self.cleaned_data["to"]].user


class MoveForm(forms.Form):
    """The child of the same school a concern should have been logged against, and why it moves."""

    to_upn = forms.CharField(label="UPN of the right child", max_length=40)
    reason = PlainText(label="Reason", max_length=5000, named="The reason", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school

    def clean_to_upn(self):
        child = school_child_by_upn(
            school=self.school, upn=normalise_upn(self.cleaned_data["to_upn"].replace("\x00", ""))
        )
        if child is None:
            raise forms.ValidationError("Give the UPN of a child of this school.")
        return child
