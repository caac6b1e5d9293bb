"""The forms of a child moving school: recording the leaver, the checklist, sending, and receipt."""

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from referrals.forms.fields import DateInput, PlainText
from referrals.models import AdvanceSharing, TransferRoute

URN = RegexValidator(r"^\d{6,7}$", "A URN is six or seven digits.")


class LeavingForm(forms.Form):
    left_on = forms.DateField(
        label="Left on", widget=DateInput, error_messages={"required": "Give the date the child left."}
    )
    destination = forms.CharField(
        label="New school",
        max_length=200,
        required=False,
        help_text="Leave it blank if nobody knows where the child has gone: you are then asked to start the children "
        "missing education procedure, and the file is held.",
    )
    destination_urn = forms.CharField(
        label="New school's URN",
        max_length=7,
        required=False,
        validators=[URN],
        help_text="If you know it. A school on Safeguard then receives the file on its own queue.",
    )

    def clean_left_on(self):
        left_on = self.cleaned_data["left_on"]
        if left_on > timezone.localdate() + timezone.timedelta(days=366):
            raise forms.ValidationError("The leaving date is more than a year away.")
        return left_on


class ChecklistForm(forms.Form):
    advance_sharing = forms.ChoiceField(
        label="Before the file arrives",
        choices=AdvanceSharing.choices,
        widget=forms.RadioSelect,
        help_text="Consider it for a child with a social worker, a child supported by Channel, or a child with a "
        "plan in place (child protection, child in need, early help, a risk assessment): the new school may need to "
        "know before their first day.",
        error_messages={"required": "Say whether anything needs sharing before the file arrives."},
    )
    advance_note = PlainText(
        label="What was shared in advance, with whom and when",
        max_length=5000,
        required=False,
        named="The note",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    receiving_dsl_name = forms.CharField(
        label="The new school's designated safeguarding lead",
        max_length=150,
        error_messages={"required": "Name the new school's DSL: the file goes to them, not to the office."},
    )
    receiving_dsl_email = forms.EmailField(
        label="Their email address", required=False, help_text="Needed to send the file by a secure link."
    )
    receiving_dsl_phone = forms.CharField(
        label="Their phone number", max_length=30, required=False, help_text="To give them the code by phone."
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("advance_sharing") == AdvanceSharing.SHARED and not cleaned.get("advance_note"):
            self.add_error("advance_note", "Say what was shared, with whom and when.")
        return cleaned


class SendForm(forms.Form):
    route = forms.ChoiceField(label="How the file goes", choices=TransferRoute.choices, widget=forms.RadioSelect)

    def __init__(self, *args, on_safeguard: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not on_safeguard:
            self.fields["route"].choices = [c for c in TransferRoute.choices if c[0] != TransferRoute.SAFEGUARD]


class PaperReceiptForm(forms.Form):
    received_by_name = forms.CharField(
        label="Received by (name and role)",
        max_length=150,
        error_messages={"required": "Give the name and role of the person who received the file."},
    )
    received_on = forms.DateField(
        label="Received on", widget=DateInput, error_messages={"required": "Give the date of the hand-over."}
    )


class CloseForm(forms.Form):
    note = PlainText(label="Note", max_length=2000, required=False, named="The note")


class AcceptForm(forms.Form):
    """Which record at the receiving school the file joins: a pupil already on the roll, or a new record."""

    into = forms.ChoiceField(label="The file joins", widget=forms.RadioSelect)

    def __init__(self, *args, matches, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (
                str(child.uuid),
                f"{child.legal_first_name} {child.legal_last_name}, born {child.date_of_birth:%d/%m/%Y}"
                f"{', UPN ' + child.upn if child.upn else ''}: already on your roll",
            )
            for child in matches
        ]
        self.fields["into"].choices = [*choices, ("new", "A new record on your roll, from the file's details")]
        self.fields["into"].initial = choices[0][0] if choices else "new"


class LinkCodeForm(forms.Form):
    code = forms.CharField(
        label="The code the sending school gave you by phone",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class LinkReceiptForm(forms.Form):
    received_by_name = forms.CharField(label="Your name", max_length=100)
    received_by_role = forms.CharField(label="Your role", max_length=45, initial="Designated safeguarding lead")
