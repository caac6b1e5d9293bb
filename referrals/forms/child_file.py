"""The safeguarding team's writing on a child's file: the flags, a note or action, an alert's acknowledgement."""

from django import forms

from referrals.forms.fields import PlainText
from referrals.models import CaseNote


class FlagsForm(forms.Form):
    cp_plan = forms.BooleanField(label="Child protection plan", required=False)
    looked_after = forms.BooleanField(label="Looked after", required=False)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind",
        choices=CaseNote.Kind.choices,
        error_messages={"invalid_choice": "Choose what kind of note it is."},
    )
    text = PlainText(
        label="Note",
        max_length=20_000,
        named="The note",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the note before saving it."},
    )


class AlertAcknowledgeForm(forms.Form):
    """What the team is doing about a pattern alert. Each alert on the page has its own form, with its own ids."""

    note = PlainText(
        label="What you are doing about it",
        max_length=2000,
        named="The note",
        error_messages={"required": "Write a note on what you are doing about the alert."},
    )

    def __init__(self, *args, alert, **kwargs):
        super().__init__(*args, auto_id=f"id_%s_{alert.uuid.hex[:8]}", **kwargs)
        self.alert = alert
