from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms

from referrals.forms.fields import CodeInput, DateInput
from referrals.models import Agency, ExportRecord, LawfulBasis
from referrals.selectors.exports import ExportFilters
from safeguarding.accounts.models import School

NOT_UNDERSTOOD = "This filter was not understood: set it again, or the export would hold more than was asked for."
STATUSES = [("", "Any"), ("awaiting", "Awaiting acknowledgement"), ("acknowledged", "Acknowledged")]


class ExportForm(forms.Form):
    """What to export and why. The fresh authenticator code is checked by the view once the rest is valid."""

    purpose = forms.CharField(
        label="What is the export for?",
        max_length=300,
        min_length=5,
        help_text="Recorded with the export.",
        error_messages={
            "required": "Say what the export is for: it is recorded with the export.",
            "min_length": "Say what the export is for: it is recorded with the export.",
        },
    )
    leaves_school = forms.BooleanField(
        label="The file will go outside the school",
        required=False,
        help_text="For example to the local authority or an inspector: the export is then recorded as a disclosure.",
    )
    shared_with = forms.CharField(label="Who receives it (organisation and person)", max_length=300, required=False)
    lawful_basis = forms.ChoiceField(
        label="Lawful basis for sharing it",
        required=False,
        choices=[("", "Choose the lawful basis"), *LawfulBasis.choices],
        error_messages={"invalid_choice": "Choose the lawful basis for sharing it."},
    )
    school = forms.ChoiceField(
        label="School", required=False, error_messages={"invalid_choice": "Choose one of your schools."}
    )
    date_from = forms.DateField(
        label="Made from", required=False, widget=DateInput, error_messages={"invalid": NOT_UNDERSTOOD}
    )
    date_to = forms.DateField(
        label="Made to", required=False, widget=DateInput, error_messages={"invalid": NOT_UNDERSTOOD}
    )
    agency = forms.ChoiceField(
        label="Agency",
        required=False,
        choices=[("", "Any"), *Agency.choices],
        error_messages={"invalid_choice": NOT_UNDERSTOOD},
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=STATUSES, error_messages={"invalid_choice": NOT_UNDERSTOOD}
    )
    format = forms.ChoiceField(
        label="Format",
        required=False,
        initial=ExportRecord.Format.CSV,
        choices=[(ExportRecord.Format.CSV, "CSV"), (ExportRecord.Format.XLSX, "Excel")],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose CSV or Excel."},
    )
    code = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=20,
        help_text="Each export needs a fresh one.",
        widget=CodeInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def __init__(self, *args, schools: list[School], **kwargs):
        super().__init__(*args, **kwargs)
        self.schools = schools
        self.fields["school"].choices = [("", "All schools of the trust")] + [(str(s.uuid), s.name) for s in schools]
        if len(schools) == 1:
            self.fields["school"].widget = forms.HiddenInput()
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "purpose",
            "leaves_school",
            "shared_with",
            "lawful_basis",
            "school",
            Row(Column("date_from"), Column("date_to")),
            "agency",
            "status",
            Field("format", wrapper_class="mb-3"),
            "code",
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("leaves_school"):
            if not (cleaned.get("shared_with") or "").strip():
                self.add_error("shared_with", "Say who receives the file: it goes outside the school.")
            if not cleaned.get("lawful_basis") and "lawful_basis" not in self.errors:
                self.add_error("lawful_basis", "Choose the lawful basis for sharing it.")
        else:
            cleaned["shared_with"], cleaned["lawful_basis"] = "", ""
        return cleaned

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or ExportRecord.Format.CSV

    def filters(self) -> ExportFilters:
        """The filters of a valid form; no school chosen means all of the person's schools."""
        data = self.cleaned_data
        chosen = [school for school in self.schools if str(school.uuid) == data["school"]] or self.schools
        return ExportFilters(
            schools=chosen,
            date_from=data["date_from"],
            date_to=data["date_to"],
            agency=data["agency"],
            status=data["status"],
        )
