"""The forms of a file's review: keep it, propose disposing of it, confirm, and holds."""

from django import forms
from django.utils import timezone

from referrals.forms.fields import DateInput, PlainText


class RetainForm(forms.Form):
    retain_until = forms.DateField(
        label="Review it again on",
        widget=DateInput,
        error_messages={"required": "Give the date of the next review."},
    )
    reason = PlainText(
        label="Why it is kept",
        max_length=5000,
        named="The reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example an open police investigation, a civil claim, or a disclosure of sexual abuse (IICSA "
        "recommended keeping such records for 75 years).",
        error_messages={"required": "Give the reason for keeping the file."},
    )

    def clean_retain_until(self):
        day = self.cleaned_data["retain_until"]
        if day <= timezone.localdate():
            raise forms.ValidationError("The next review date must be in the future.")
        return day


class ProposeForm(forms.Form):
    rationale = PlainText(
        label="Why it can be disposed of",
        max_length=5000,
        named="The rationale",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you checked: no hold, no open investigation or claim, nothing the local authority asked to "
        "keep. A second person confirms it.",
        error_messages={"required": "Give the rationale for disposing of the file."},
    )


class HoldForm(forms.Form):
    note = PlainText(
        label="What the hold is for",
        max_length=2000,
        named="The note",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The case, investigation or inquiry, and who asked.",
        error_messages={"required": "Say what the hold is for."},
    )


class LiftForm(forms.Form):
    note = PlainText(
        label="Why the hold is lifted",
        max_length=2000,
        named="The note",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the hold is lifted."},
    )
