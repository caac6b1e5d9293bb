"""The DSL's work on a concern: the decision, closing, reopening, a question, assigning and moving."""

from django import forms

from referrals.forms.fields import DateInput, PlainText
from referrals.models import OUTCOME_AGENCIES, Concern, Outcome, Threshold
from referrals.selectors.children import school_child_by_upn
from referrals.upn import normalise_upn

# A worry about an adult is not a child's outcome: it moves to the procedure for concerns about adults (R6.7). Old
# decisions that chose the LADO keep it, shown as they were.
DECISION_OUTCOMES = [(value, label) for value, label in Outcome.choices if value != Outcome.LADO]


class DecisionForm(forms.Form):
    outcomes = forms.MultipleChoiceField(
        label="Outcome",
        choices=DECISION_OUTCOMES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose all that apply.",
    )
    rationale = forms.CharField(
        label="Reasons for the decision",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Always required, also when nothing is referred: what you weighed and why.",
    )
    # Nothing is chosen for the DSL: the threshold is a judgement, and a referral cannot go without one.
    threshold = forms.ChoiceField(
        label="Threshold applied",
        choices=[("", "Choose the threshold"), *Threshold.choices],
        required=False,
        help_text="Needed with any referral.",
    )
    next_review = forms.DateField(
        label="Next review",
        required=False,
        widget=DateInput,
        help_text="Needed with every outcome but no further action.",
        error_messages={"invalid": "Give the date of the next review as a date."},
    )
    relies_on = forms.MultipleChoiceField(
        label="Earlier concerns these reasons rely on",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A referral that shares your reasons lists these with them.",
    )

    def __init__(self, *args, concern: Concern, **kwargs):
        super().__init__(*args, **kwargs)
        levels = concern.school.threshold_level_names
        self.fields["threshold"].choices = [
            ("", "Choose the threshold"),
            *([(level, level) for level in levels] if levels else Threshold.choices),
        ]
        if concern.school.threshold_document_url:
            self.fields["threshold"].help_text += " See the local threshold document (link above)."
        earlier = (
            Concern.objects.filter(child_id=concern.child_id, observed_at__lt=concern.observed_at).order_by(
                "-observed_at"
            )
            if concern.child_id
            else Concern.objects.none()
        )
        self.earlier = {str(c.uuid): c for c in earlier}
        self.fields["relies_on"].choices = [
            (key, f"{c.reference}, {c.observed_at:%d/%m/%Y}: {c.account[:80]}") for key, c in self.earlier.items()
        ]
        if not self.earlier:
            del self.fields["relies_on"]

    def clean(self):
        cleaned = super().clean()
        cleaned["relies_on"] = [self.earlier[key] for key in cleaned.get("relies_on", [])]
        outcomes = cleaned.get("outcomes") or []
        needs_review = outcomes and outcomes != [Outcome.NO_FURTHER_ACTION]
        if needs_review and not cleaned.get("next_review") and "next_review" not in self.errors:
            self.add_error(
                "next_review", "Give the date of the next review: every decision but no further action has one."
            )
        if not cleaned.get("threshold") and any(value in OUTCOME_AGENCIES for value in cleaned.get("outcomes", [])):
            self.add_error("threshold", "Choose the threshold applied: a referral needs one.")
        return cleaned


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
    """Why a closed concern is reopened."""

    reason = forms.CharField(label="Reason", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_reopen_%s")  # the move form on the same page has a reason too
        super().__init__(*args, **kwargs)


class QuestionForm(forms.Form):
    question = forms.CharField(
        label="Question for the author", max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    """Who on the school's safeguarding team takes the concern on."""

    to = forms.ChoiceField(label="To", error_messages={"invalid_choice": "Choose the DSL or a deputy of this school."})

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = {str(member.user.uuid): member for member in team}
        self.fields["to"].choices = [
            (key, f"{member.user.full_name} ({member.get_role_display()})") for key, member in self.team.items()
        ]

    def clean_to(self):
        return self.team[self.cleaned_data["to"]].user


class MoveForm(forms.Form):
    """The child of the same school a concern should have been logged against, and why it moves."""

    to_upn = forms.CharField(label="UPN of the right child", max_length=40)
    reason = PlainText(label="Reason", max_length=5000, named="The reason", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, school, **kwargs):
        kwargs.setdefault("auto_id", "id_move_%s")
        super().__init__(*args, **kwargs)
        self.school = school

    def clean_to_upn(self):
        child = school_child_by_upn(
            school=self.school, upn=normalise_upn(self.cleaned_data["to_upn"].replace("\x00", ""))
        )
        if child is None:
            raise forms.ValidationError("Give the UPN of a child of this school.")
        return child


class RiskAssessmentForm(forms.Form):
    """The immediate risk and needs assessment after a report of sexual violence or harassment between children."""

    risks = PlainText(
        label="Risks",
        max_length=20_000,
        named="The risks",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="To the child who reported, to the child reported, and to other children and staff.",
    )
    needs_and_arrangements = PlainText(
        label="Support and arrangements",
        max_length=20_000,
        named="The support and arrangements",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Support for each child, and what keeps them safe at school: separation, supervision, timetable.",
    )
    not_needed_reason = PlainText(
        label="Or, for harassment only: why no assessment is needed",
        max_length=5000,
        named="The reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if required:
            del self.fields["not_needed_reason"]

    def clean(self):
        cleaned = super().clean()
        if self.errors or cleaned.get("not_needed_reason"):
            return cleaned
        for name, message in (
            ("risks", "Record the risks you assessed."),
            ("needs_and_arrangements", "Record the support and arrangements."),
        ):
            if not cleaned.get(name):
                self.add_error(name, message)
        return cleaned
