"""The DSL's exploitation screening: each item of the tool, filled from what staff recorded, with when and on what
basis (R8.4); the DSL's judgement of significant harm; their narrative; and a band of their own, with reasons."""

from django import forms

from referrals.forms.fields import PlainText
from referrals.models import EvidenceBasis
from referrals.screening_tools import Tool
from referrals.services.screening import Answer, Suggestion


class ScreeningForm(forms.Form):
    significant_harm = forms.BooleanField(
        label="I have reasonable cause to suspect that this child is suffering, or is likely to suffer, significant "
        "harm",
        required=False,
        help_text="Your professional judgement, whatever the score: the child protection pathway follows.",
    )
    narrative = PlainText(
        label="What you make of it",
        max_length=20_000,
        named="Your narrative",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What the items add up to, what is not known, and what happens next. Say what was done to the "
        "child and by whom: a child cannot consent to their own exploitation.",
        error_messages={"required": "Write what you make of it: the screening records your judgement, not a score."},
    )
    band = forms.ChoiceField(label="The band you record", required=False)
    rationale = PlainText(
        label="Why you moved the band",
        max_length=5000,
        named="The reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed only if you choose a band other than the one the score and floors give.",
    )
    tool = forms.IntegerField(widget=forms.HiddenInput)
    nudged = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, tool: Tool, tool_pk: int, suggestions: list[Suggestion], carried=None):
        """`carried`: what the DSL added at the child's last screening, by item key, offered again as it was."""
        super().__init__(data, initial={"tool": tool_pk})
        self.suggestions = suggestions
        self.carried = carried or {}
        self.fields["band"].choices = [("", "As the score and the floors give (recommended)")] + [
            (band.key, band.label) for band in tool.bands
        ]
        for suggestion in suggestions:
            key = suggestion.item.key
            earlier = self.carried.get(key) if not suggestion.present else None
            self.fields[f"{key}-present"] = forms.BooleanField(
                label=suggestion.item.label, required=False, initial=suggestion.present or earlier is not None
            )
            self.fields[f"{key}-basis"] = forms.ChoiceField(
                label="Basis",
                choices=[("", "Choose…"), *EvidenceBasis.choices],
                required=False,
                initial=earlier.basis if earlier else suggestion.basis,
            )
            self.fields[f"{key}-when"] = forms.CharField(
                label="When",
                max_length=100,
                required=False,
                initial=earlier.when if earlier else suggestion.when,
                widget=forms.TextInput(attrs={"placeholder": "a date, or a period such as “since September”"}),
            )
            self.fields[f"{key}-source"] = forms.CharField(
                label="How you know" if not suggestion.present else "Anything to add about the source",
                max_length=300,
                required=False,
                initial=earlier.source if earlier else "",
            )

    def rows(self):
        """Each item with its fields and its sources, for the template."""
        for suggestion in self.suggestions:
            key = suggestion.item.key
            yield {
                "suggestion": suggestion,
                "carried": self.carried.get(key) if not suggestion.present else None,
                "present": self[f"{key}-present"],
                "basis": self[f"{key}-basis"],
                "when": self[f"{key}-when"],
                "source": self[f"{key}-source"],
            }

    def clean(self):
        cleaned = super().clean()
        for suggestion in self.suggestions:
            key = suggestion.item.key
            if not cleaned.get(f"{key}-present"):
                continue
            if not cleaned.get(f"{key}-basis"):
                self.add_error(f"{key}-basis", "Say whether this rests on evidence or on a professional concern.")
            if not (cleaned.get(f"{key}-when") or "").strip():
                self.add_error(f"{key}-when", "Say when: a date, or a period such as “since September”.")
            if not suggestion.present and not (cleaned.get(f"{key}-source") or "").strip():
                self.add_error(f"{key}-source", "Staff did not record this: say how you know it.")
        return cleaned

    def answers(self) -> dict[str, Answer]:
        data = self.cleaned_data
        return {
            suggestion.item.key: Answer(
                present=bool(data.get(f"{suggestion.item.key}-present")),
                basis=data.get(f"{suggestion.item.key}-basis") or "",
                when=data.get(f"{suggestion.item.key}-when") or "",
                source=data.get(f"{suggestion.item.key}-source") or "",
            )
            for suggestion in self.suggestions
        }


class ScreeningToolForm(forms.Form):
    tool_id = forms.ChoiceField(label="The tool in use", required=False)

    def __init__(self, data=None, *, choices, initial_tool: str, blank: str | None):
        super().__init__(data, initial={"tool_id": initial_tool})
        self.fields["tool_id"].choices = ([("", blank)] if blank else []) + choices
        self.fields["tool_id"].required = not blank
        self.fields["tool_id"].error_messages["required"] = "Choose a tool."
