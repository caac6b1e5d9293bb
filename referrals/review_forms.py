from django import forms

from referrals.forms import DateInput
from referrals.models import Outcome, Threshold


class DecisionForm(forms.Form):
    outcomes = forms.MultipleChoiceField(
        label="Outcome",
        choices=Outcome.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose all that apply.",
    )
    rationale = forms.CharField(
        label="Reasons for the decision",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Always required, also when nothing is referred: what you weighed and why.",
    )
    threshold = forms.ChoiceField(label="Threshold applied", choices=Threshold.choices)
    next_review = forms.DateField(label="Next review", required=False, widget=DateInput)


class ClosureForm(forms.Form):
    summary = forms.CharField(
        label="Summary of the concern", required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    follow_up = forms.CharField(
        label="How it was followed up and resolved",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.CharField(
        label="Action, decisions and outcome",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class QuestionForm(forms.Form):
    question = forms.CharField(
        label="Question for the author", max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
