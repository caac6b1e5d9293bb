"""What staff record about the people, vehicles, places and accounts around a child, and a DSL's undoing of a link."""

from django import forms

from referrals.context_values import ContextKind
from referrals.forms.fields import PlainText


class MentionForm(forms.Form):
    kind = forms.ChoiceField(
        label="What was it?",
        choices=ContextKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a person, a vehicle, a place or an online account."},
    )
    name = PlainText(
        label="Name or nickname (a person), or the place's name or address",
        max_length=200,
        named="The name",
        required=False,
        help_text="Never the child's own home.",
    )
    approximate_age = PlainText(label="Roughly how old", max_length=40, named="The age", required=False)
    description = PlainText(label="What they look like", max_length=500, named="The description", required=False)
    how_known = PlainText(label="How the child knows them", max_length=200, named="This", required=False)
    registration = PlainText(label="Registration", max_length=20, named="The registration", required=False)
    make = PlainText(label="Make or model", max_length=60, named="The make", required=False)
    colour = PlainText(label="Colour", max_length=40, named="The colour", required=False)
    postcode_district = PlainText(
        label="Postcode or district", max_length=10, named="The postcode", required=False, help_text="Such as NF4."
    )
    platform = PlainText(label="App or site", max_length=60, named="The app", required=False)
    handle = PlainText(label="Username or handle", max_length=100, named="The handle", required=False)

    def values(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "kind"}


class UnlinkForm(forms.Form):
    reason = PlainText(
        label="Why the link was wrong",
        max_length=1000,
        named="The reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason the link was wrong."},
    )
