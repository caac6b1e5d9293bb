"""The forms of a subject access request: logging it, its dates, clarification, extension, redaction, sign-off
and release."""

from django import forms
from django.utils import timezone

from referrals.forms.fields import DateInput, PlainText
from referrals.models import Delivery, Requester, WithheldBecause


def _not_future(day):
    if day and day > timezone.localdate():
        raise forms.ValidationError("This date is in the future.")
    return day


class AccessRequestForm(forms.Form):
    requester_name = PlainText(
        label="Who asked",
        max_length=200,
        named="The name",
        error_messages={"required": "Give the name of the person who asked."},
    )
    requester = forms.ChoiceField(
        label="Their relationship to the child",
        choices=[("", "Choose…"), *Requester.choices],
        error_messages={"required": "Say who they are to the child."},
    )
    requester_address = PlainText(
        label="Where the pack goes",
        max_length=1000,
        named="The address",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A postal address or an email address, as they asked.",
    )
    identity_check = PlainText(
        label="How their identity was checked",
        max_length=300,
        named="The identity check",
        help_text="For example: known to the school, seen in person with a passport; or a copy of a driving licence.",
        error_messages={"required": "Say how you checked who they are."},
    )
    received_on = forms.DateField(
        label="Request received on", widget=DateInput, error_messages={"required": "Give the date the request came."}
    )
    identity_confirmed_on = forms.DateField(
        label="Proof of identity received on",
        widget=DateInput,
        required=False,
        help_text="Leave empty while you wait for it: the one-month clock starts when it arrives.",
    )
    fee_requested = forms.BooleanField(
        label="A fee was asked for",
        required=False,
        help_text="Almost never: only for a request that is manifestly unfounded or excessive. The clock then waits "
        "for the fee.",
    )
    fee_received_on = forms.DateField(label="Fee received on", widget=DateInput, required=False)

    def clean_received_on(self):
        return _not_future(self.cleaned_data["received_on"])

    def clean_identity_confirmed_on(self):
        return _not_future(self.cleaned_data["identity_confirmed_on"])

    def clean_fee_received_on(self):
        return _not_future(self.cleaned_data["fee_received_on"])

    def clean(self):
        data = super().clean()
        received, identity = data.get("received_on"), data.get("identity_confirmed_on")
        if received and identity and identity < received:
            self.add_error("identity_confirmed_on", "Proof of identity cannot arrive before the request itself.")
        return data


class DatesForm(forms.Form):
    identity_confirmed_on = AccessRequestForm.base_fields["identity_confirmed_on"]
    fee_requested = AccessRequestForm.base_fields["fee_requested"]
    fee_received_on = AccessRequestForm.base_fields["fee_received_on"]

    def clean_identity_confirmed_on(self):
        return _not_future(self.cleaned_data["identity_confirmed_on"])

    def clean_fee_received_on(self):
        return _not_future(self.cleaned_data["fee_received_on"])


class AskForm(forms.Form):
    asked_on = forms.DateField(
        label="Asked on", widget=DateInput, error_messages={"required": "Give the date you asked."}
    )
    question = PlainText(
        label="What you asked them to clarify",
        max_length=300,
        named="The question",
        error_messages={"required": "Say what you asked."},
    )

    def clean_asked_on(self):
        return _not_future(self.cleaned_data["asked_on"])


class AnsweredForm(forms.Form):
    answered_on = forms.DateField(
        label="Their answer arrived on", widget=DateInput, error_messages={"required": "Give the date it arrived."}
    )

    def clean_answered_on(self):
        return _not_future(self.cleaned_data["answered_on"])


class ExtendForm(forms.Form):
    reason = PlainText(
        label="Why the request is complex",
        max_length=2000,
        named="The reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for the extension."},
    )
    requester_told_on = forms.DateField(
        label="The requester was told on",
        widget=DateInput,
        error_messages={"required": "Give the date you told the requester, with the reason."},
    )

    def clean_requester_told_on(self):
        return _not_future(self.cleaned_data["requester_told_on"])


class RedactionForm(forms.Form):
    item = forms.CharField(required=False, widget=forms.HiddenInput)
    passage = PlainText(
        label="Words to withhold",
        max_length=5000,
        named="The passage",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Copy them exactly from the record. Leave empty to withhold the whole item.",
    )
    reason = forms.ChoiceField(
        label="Why",
        choices=[("", "Choose the reason…"), *WithheldBecause.choices],
        error_messages={"required": "Choose the reason for withholding it."},
    )
    note = PlainText(
        label="Note for the disclosure log",
        max_length=300,
        named="The note",
        help_text="Why this is withheld, in a line: kept by the school, never sent.",
        error_messages={"required": "Add a note for the disclosure log."},
    )


class RefuseForm(forms.Form):
    note = PlainText(
        label="What to look at again",
        max_length=2000,
        named="The note",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what should be looked at again."},
    )


class ReleaseForm(forms.Form):
    delivered = forms.ChoiceField(
        label="How it went to the requester",
        choices=[("", "Choose…"), *Delivery.choices],
        error_messages={"required": "Say how the pack was delivered."},
    )
    note = PlainText(
        label="Note",
        max_length=300,
        named="The note",
        required=False,
        help_text="For example the recorded delivery number, or who collected it.",
    )
