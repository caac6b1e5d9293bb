"""A school's roll: a pupil's details, and the search of the roll."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms

from referrals.forms.fields import DateInput
from referrals.models import Carer, Child, RollStatus, YearGroup
from referrals.services.children import CARER_FIELDS, FAMILY_FIELDS, ROSTER_FIELDS, trust_siblings_by_upn
from referrals.upn import normalise_upn, upn_problem

PUPIL_FIELDS = tuple(name for name in ROSTER_FIELDS if name not in FAMILY_FIELDS)


class RosterForm(forms.ModelForm):
    """The roster details of a pupil. The safeguarding flags are deliberately not fields here."""

    class Meta:
        model = Child
        fields = list(ROSTER_FIELDS)
        widgets = {
            "date_of_birth": DateInput(),
            "left_on": DateInput(),
            **{name: forms.Textarea(attrs={"rows": 2}) for name in ("address", "previous_address")},
            **{name: forms.Textarea(attrs={"rows": 3}) for name in ("household", "other_agencies")},
        }

    sibling_upns = forms.CharField(
        label="Brothers and sisters at the trust's schools (UPNs)",
        required=False,
        max_length=500,
        help_text="Their UPNs, separated by spaces or commas. Each is linked both ways.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        if self.instance.pk:
            self.fields["sibling_upns"].initial = " ".join(s.upn for s in self.instance.siblings.all() if s.upn)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset("The pupil", *PUPIL_FIELDS, css_class="form-section"),
            Fieldset("Home, family and language", *FAMILY_FIELDS[:-1], "sibling_upns", css_class="form-section"),
            Fieldset("Other agencies", FAMILY_FIELDS[-1], css_class="form-section"),
        )

    def clean_sibling_upns(self):
        upns = [normalise_upn(part) for part in re.split(r"[\s,;]+", self.cleaned_data["sibling_upns"]) if part]
        wrong = [upn for upn in upns if upn_problem(upn)]
        if wrong:
            raise forms.ValidationError(f"Not a UPN: {', '.join(wrong)}.")
        child = self.instance if self.instance.pk else Child(school=self.school)
        siblings, unknown = trust_siblings_by_upn(child=child, upns=list(dict.fromkeys(upns)))
        if unknown:
            raise forms.ValidationError(f"No pupil of the trust's schools has the UPN {', '.join(unknown)}.")
        self.siblings = siblings
        return upns

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


class CarerForm(forms.ModelForm):
    """One parent or carer. Left empty, the row is ignored."""

    class Meta:
        model = Carer
        fields = list(CARER_FIELDS)
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update(type="tel", autocomplete="off")

    def has_changed(self):
        # A row is someone only when something is typed in it: its tick boxes alone do not make a carer.
        typed = ("name", "relationship", "phone", "email", "address")
        return any(name in self.changed_data for name in typed) or (self.initial and super().has_changed())


class BaseCarerFormSet(forms.BaseFormSet):
    def acceptable(self) -> bool:
        """Valid when sent; not sent at all is fine too."""
        return not self.is_bound or self.is_valid()

    def changed(self) -> bool:
        return self.is_bound and self.has_changed()

    def carers(self) -> list[dict]:
        """The parents and carers as the form now lists them, without the emptied and removed rows."""
        return [
            {name: form.cleaned_data[name] for name in CARER_FIELDS}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


CarerFormSet = forms.formset_factory(
    CarerForm, formset=BaseCarerFormSet, extra=1, can_delete=True, can_delete_extra=False, max_num=8
)


def carer_formset(child: Child | None, data=None) -> BaseCarerFormSet:
    """The parents and carers part of the roster form. A post without it (the form sent without its carers part)
    leaves the carers as they are."""
    initial = [{name: getattr(carer, name) for name in CARER_FIELDS} for carer in child.carers.all()] if child else []
    if data is not None and "carer-TOTAL_FORMS" not in data:
        data = None
    return CarerFormSet(data, initial=initial, prefix="carer")


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
