"""A school's roll: a pupil's details, and the search of the roll."""

from crispy_forms.helper import FormHelper
from django import forms

from referrals.forms.fields import DateInput
from referrals.models import Child, RollStatus, YearGroup
from referrals.services.children import ROSTER_FIELDS
from referrals.upn import normalise_upn


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


class ChildSearchForm(forms.Form):
    """The safeguarding team's search for any pupil of their schools; at least one part is needed."""

    text = forms.CharField(label="Name or UPN", required=False, max_length=100)
    year_group = forms.ChoiceField(label="Year group", required=False, choices=[("", "Any year"), *YearGroup.choices])
    date_of_birth = forms.DateField(label="Date of birth", required=False, widget=DateInput)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not any(cleaned.get(name) for name in ("text", "year_group", "date_of_birth")):
            raise forms.ValidationError("Type a name or a UPN, or choose a year group or a date of birth.")
        return cleaned
