"""The forms of the procedure for concerns about adults: raising one, and the case manager's steps."""

from django import forms
from django.utils import timezone

from referrals.forms.fields import DateInput, DateTimeInput, PlainText
from referrals.models import HARM_QUESTIONS, AdultEntry, AdultRelation, AllegationOutcome

YES_NO = [("yes", "Yes"), ("no", "No")]
ABOUT_STAFF, ABOUT_ME, ABOUT_SOMEONE_ELSE = "staff", "me", "other"


def _not_future(day):
    if day and day > timezone.localdate():
        raise forms.ValidationError("The date cannot be in the future.")
    return day


class RaiseForm(forms.Form):
    """Who the adult is, the four questions of the harm threshold, and what happened."""

    about = forms.ChoiceField(
        label="Who is it about?",
        choices=[
            (ABOUT_STAFF, "Someone who works here"),
            (ABOUT_ME, "Me: I am referring myself"),
            (ABOUT_SOMEONE_ELSE, "Someone else: a volunteer, contractor, supply or agency worker"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Say who the concern is about."},
    )
    subject_user = forms.ChoiceField(label="Who", required=False)
    subject_name = forms.CharField(label="Their name", max_length=200, required=False)
    subject_relation = forms.ChoiceField(
        label="How they work with children here",
        choices=[
            ("", "Choose one"),
            *((value, label) for value, label in AdultRelation.choices if value != AdultRelation.STAFF),
        ],
        required=False,
    )
    subject_job_title = forms.CharField(label="Their job or role, if you know it", max_length=200, required=False)
    happened_on = forms.DateField(
        label="When it happened", widget=DateInput, error_messages={"required": "Give the date it happened."}
    )
    account = PlainText(
        label="What happened",
        max_length=20000,
        named="What happened",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you saw or heard, as facts: who, what, where. Do not investigate or question anyone.",
        error_messages={"required": "Say what happened."},
    )
    context = PlainText(
        label="The context it arose in",
        max_length=5000,
        named="The context",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    action_taken = PlainText(
        label="Anything you have already done",
        max_length=5000,
        named="What you have done",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    children_named = PlainText(
        label="Children involved (optional)",
        max_length=2000,
        named="The children's names",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One name per line. Only the case manager sees them; names that match the school's roll are "
        "linked to the child's record.",
    )

    def __init__(self, *args, staff_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_user"].choices = [("", "Choose the person"), *staff_choices]
        for name, question in HARM_QUESTIONS:
            self.fields[name] = forms.ChoiceField(
                label=f"Might they have {question}",
                choices=YES_NO,
                widget=forms.RadioSelect,
                error_messages={"required": "Answer each of the four questions, yes or no."},
            )
        self.order_fields(
            [
                "about",
                "subject_user",
                "subject_name",
                "subject_relation",
                "subject_job_title",
                *(name for name, _ in HARM_QUESTIONS),
            ]
        )

    def clean_happened_on(self):
        return _not_future(self.cleaned_data["happened_on"])

    def clean(self):
        cleaned = super().clean()
        about = cleaned.get("about")
        if about == ABOUT_STAFF and not cleaned.get("subject_user"):
            self.add_error("subject_user", "Choose the person the concern is about.")
        if about == ABOUT_SOMEONE_ELSE:
            if not cleaned.get("subject_name", "").strip():
                self.add_error("subject_name", "Give the person's name.")
            if not cleaned.get("subject_relation"):
                self.add_error("subject_relation", "Say how they work with children here.")
        return cleaned

    def answers(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] == "yes" for name, _ in HARM_QUESTIONS}


class MoveToAdultsForm(RaiseForm):
    """The DSL moving a child's concern to this procedure: the same questions, and the reason."""

    reason = PlainText(
        label="Why this is a concern about an adult",
        max_length=2000,
        named="The reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for the move."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].label = "What the concern about the adult is"
        self.fields["account"].help_text = "The original account goes with it, word for word."
        self.fields["about"].choices = [c for c in self.fields["about"].choices if c[0] != ABOUT_ME]
        del self.fields["children_named"]


class LadoForm(forms.Form):
    discussed_at = forms.DateTimeField(
        label="When you discussed it with the LADO",
        widget=DateTimeInput,
        error_messages={"required": "Give the date and time you spoke to the LADO."},
    )
    lado_name = forms.CharField(
        label="The LADO's name", max_length=200, error_messages={"required": "Give the LADO's name."}
    )
    advice = PlainText(
        label="Their advice",
        max_length=10000,
        named="The advice",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Record the LADO's advice."},
    )


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label="What it is", choices=AdultEntry.Kind.choices)
    happened_on = forms.DateField(
        label="When it happened or was decided",
        widget=DateInput,
        error_messages={"required": "Give the date it happened."},
    )
    text = PlainText(
        label="What happened or was decided, and why",
        max_length=10000,
        named="The text",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what happened or was decided."},
    )
    reference = forms.CharField(label="Reference (for a referral)", max_length=100, required=False)
    person_left = forms.BooleanField(label="The person had resigned or left before this referral", required=False)

    def clean_happened_on(self):
        return _not_future(self.cleaned_data["happened_on"])


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("", "Choose the outcome"), *AllegationOutcome.choices],
        required=False,
    )
    summary = PlainText(
        label="A clear and comprehensive summary",
        max_length=20000,
        named="The summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    follow_up = PlainText(
        label="How it was followed up and resolved",
        max_length=20000,
        named="The follow-up",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    actions_and_decisions = PlainText(
        label="The actions taken and decisions reached",
        max_length=20000,
        named="The actions and decisions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    copy_given_on = forms.DateField(
        label="The date a copy was given to the person",
        widget=DateInput,
        required=False,
        help_text="Not for a malicious allegation.",
    )

    def __init__(self, *args, allegation: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not allegation:
            del self.fields["outcome"]
            del self.fields["follow_up"]
            del self.fields["copy_given_on"]
            self.fields["summary"].label = "A summary of the concern"
            self.fields["actions_and_decisions"].label = "The action taken"


class RetentionForm(forms.Form):
    subject_birth_date = forms.DateField(label="The person's date of birth", widget=DateInput, required=False)
    retirement_age = forms.IntegerField(label="Their normal retirement age", min_value=55, max_value=75)
    employment_ended_on = forms.DateField(label="The day their employment ended", widget=DateInput, required=False)


class RemovalForm(forms.Form):
    reason = PlainText(
        label="Why it is removed",
        max_length=2000,
        named="The reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for the removal."},
    )
