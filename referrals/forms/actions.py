"""Giving a member of staff an action, and marking one done."""

from django import forms
from django.utils import timezone

from referrals.forms.fields import DateInput, PlainText


class ActionForm(forms.Form):
    """What is to be done about the child, by whom of the school's staff, and by when. Nobody is chosen for the DSL."""

    what = PlainText(
        label="What is to be done",
        max_length=300,
        named="What is to be done",
        help_text="For example: speak to mum at pick-up about the new phone; check in with her on Monday morning.",
        error_messages={"required": "Say what is to be done."},
    )
    owner = forms.ChoiceField(label="Who does it", error_messages={"invalid_choice": "Choose a member of staff."})
    due_on = forms.DateField(label="Due on", widget=DateInput, error_messages={"required": "Choose the due date."})
    concern = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, owners, **kwargs):
        kwargs.setdefault("auto_id", "id_action_%s")
        super().__init__(*args, **kwargs)
        self.owners = {str(user.uuid): user for user in owners}
        self.fields["owner"].choices = [("", "Choose a member of staff")] + [
            (key, user.full_name) for key, user in self.owners.items()
        ]

    def clean_owner(self):
        return self.owners[self.cleaned_data["owner"]]

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError("That day has passed: choose today or a later day.")
        return due_on


class ActionDoneForm(forms.Form):
    note = PlainText(
        label="What was done",
        max_length=2000,
        named="What was done",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say in a line what was done."},
    )
