from django import forms

from safeguarding.audit.events import EventType, Outcome


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    person = forms.ChoiceField(required=False, label="Person")
    child_upn = forms.CharField(required=False, max_length=13, label="Child's UPN")
    event_type = forms.ChoiceField(required=False, choices=[("", "Any event"), *EventType.choices], label="Event")
    outcome = forms.ChoiceField(required=False, choices=[("", "Any outcome"), *Outcome.choices])
    date_from = forms.DateField(required=False, widget=DateInput, label="From")
    date_to = forms.DateField(required=False, widget=DateInput, label="To")
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "Anyone")] + [(str(user.uuid), user.full_name) for user in people]


class ChildLookupForm(forms.Form):
    """A child's name, to find the UPN the trail's child filter takes."""

    child_name = forms.CharField(label="Child's name", max_length=100)
