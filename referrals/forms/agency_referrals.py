"""A referral to another agency, and what the agency said back."""

from datetime import timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.utils import timezone

from referrals.forms.fields import DateInput, DateTimeInput, PlainText
from referrals.models import Agency, AgencyDecision, LawfulBasis, ReferralMeeting
from referrals.models.agency_referrals import YesNoUnsure


def _when(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M"],
        help_text="When it happened; leave as it is if it was just now.",
        error_messages={"invalid": "Give the date and time, or leave it empty for now."},
    )


def _now_typed() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _clean_when(value):
    """A time as it happened: now when not given; never in the future, nor more than a year back."""
    if value is None:
        return timezone.now()
    if value > timezone.now() + timedelta(minutes=5):
        raise forms.ValidationError("This is in the future: give the time it happened.")
    if value < timezone.now() - timedelta(days=366):
        raise forms.ValidationError("Check the date: this is more than a year ago.")
    return value


class ReferralForm(forms.Form):
    """A referral to an agency named by the concern's latest decision."""

    agency = forms.ChoiceField(
        label="Agency", error_messages={"invalid_choice": "Choose an agency the decision names."}
    )
    purpose = PlainText(
        label="Why the information is shared",
        max_length=300,
        named="The purpose",
        help_text="You do not need consent to share information when a child is at risk of harm.",
    )
    parents_informed = forms.ChoiceField(
        label="Were parents or carers told?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        required=False,
    )
    parents_not_informed_reason = PlainText(
        label="If not, why not", max_length=5000, named="The reason parents were not told", required=False
    )
    made_at = _when("When the referral was made")
    significant_harm = forms.ChoiceField(
        label="Is the child suffering, or likely to suffer, significant harm?",
        choices=YesNoUnsure.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the child is suffering, or likely to suffer, significant harm."},
    )
    immediate_protection = forms.BooleanField(label="The child needs protecting today", required=False)
    child_knows = forms.ChoiceField(
        label="Does the child know about the referral?",
        choices=YesNoUnsure.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the child knows about the referral."},
    )
    lawful_basis = forms.ChoiceField(
        label="Lawful basis for sharing",
        choices=LawfulBasis.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the lawful basis for sharing."},
    )
    shared_concerns = forms.MultipleChoiceField(
        label="Concerns shared",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one concern to share."},
    )
    shared_child_words = forms.BooleanField(label="The child's own words, as recorded", required=False)
    shared_rationale = forms.BooleanField(
        label="Your rationale for the decision",
        required=False,
        help_text="With the level of need applied and the earlier concerns the rationale relies on, if any.",
    )
    shared_chronology = forms.BooleanField(label="The chronology of the concerns shared", required=False)
    shared_attachments = forms.MultipleChoiceField(
        label="Files shared (listed in the referral)", widget=forms.CheckboxSelectMultiple, required=False
    )
    agency_reference = PlainText(
        label="Agency reference (if given)", max_length=100, named="The reference", required=False
    )
    agency_contact = PlainText(label="Contact at the agency", max_length=200, named="The contact", required=False)

    def __init__(self, *args, agencies: list[tuple[str, str]], concerns=(), attachments=(), **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("made_at", _now_typed())
        concerns, attachments = list(concerns), list(attachments)
        if concerns:
            kwargs["initial"].setdefault("shared_concerns", [str(concerns[0].uuid)])
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset("The referral", "agency", "made_at", "purpose", css_class="form-section"),
            Fieldset(
                "What the front door asks first",
                "significant_harm",
                "immediate_protection",
                "child_knows",
                css_class="form-section",
            ),
            Fieldset(
                "Sharing", "lawful_basis", "parents_informed", "parents_not_informed_reason", css_class="form-section"
            ),
            Fieldset(
                "What you share (nothing else goes)",
                "shared_concerns",
                "shared_child_words",
                "shared_rationale",
                "shared_chronology",
                "shared_attachments",
                css_class="form-section",
            ),
            Fieldset("At the agency", "agency_reference", "agency_contact", css_class="form-section"),
        )
        # The LADO is told of an allegation by its case manager, in the procedure for concerns about adults.
        self.fields["agency"].choices = [(value, label) for value, label in agencies if value != Agency.LADO]
        self.fields["purpose"].error_messages["required"] = "Say why the information is being shared."
        self.concerns = {str(concern.uuid): concern for concern in concerns}
        self.attachments = {str(attachment.uuid): attachment for attachment in attachments}
        self.fields["shared_concerns"].choices = [
            (key, f"{concern.reference}, {concern.observed_at:%d/%m/%Y}: {concern.account[:80]}")
            for key, concern in self.concerns.items()
        ]
        self.fields["shared_attachments"].choices = [
            (key, attachment.original_name) for key, attachment in self.attachments.items()
        ]

    def clean_made_at(self):
        return _clean_when(self.cleaned_data.get("made_at"))

    def clean(self):
        cleaned = super().clean()
        told = cleaned.get("parents_informed") == "yes"
        cleaned["parents_informed"] = told
        if (
            not told
            and not cleaned.get("parents_not_informed_reason")
            and "parents_not_informed_reason" not in self.errors
        ):
            self.add_error("parents_not_informed_reason", "Say why parents or carers were not told.")
        cleaned["shared_concerns"] = [self.concerns[key] for key in cleaned.get("shared_concerns", [])]
        cleaned["shared_attachments"] = [self.attachments[key] for key in cleaned.get("shared_attachments", [])]
        return cleaned


class AcknowledgedForm(forms.Form):
    """The agency confirmed it has the referral: who did, and the reference they gave."""

    by_name = PlainText(
        label="Who (name and team)",
        max_length=200,
        named="The name and team",
        error_messages={"required": "Give the name and team of the person who acknowledged it."},
    )
    reference = PlainText(label="Their reference (if given)", max_length=100, named="The reference", required=False)
    acknowledged_at = _when("When they acknowledged it")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("acknowledged_at", _now_typed())
        super().__init__(*args, **kwargs)

    def clean_acknowledged_at(self):
        return _clean_when(self.cleaned_data.get("acknowledged_at"))


class OutcomeForm(forms.Form):
    """What the agency decided, and when the DSL will check on it."""

    agency_decision = forms.ChoiceField(
        label="Their decision",
        choices=[("", "Choose their decision"), *AgencyDecision.choices],
        error_messages={"required": "Choose the agency's decision.", "invalid_choice": "Choose the agency's decision."},
    )
    decided_on = forms.DateField(
        label="The day they decided",
        required=False,
        widget=DateInput(),
        help_text="Leave empty for today.",
        error_messages={"invalid": "Give the day as a date, or leave it empty for today."},
    )
    follow_up_on = forms.DateField(
        label="Follow up on (optional)",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Give the follow-up date as a date, or leave it empty."},
    )


class EscalateForm(forms.Form):
    """The school disagrees with the agency's response, or the child's situation is not improving, and takes it
    higher under the local safeguarding partners' escalation procedure."""

    reason = PlainText(
        label="Reason for escalating",
        max_length=5000,
        named="The reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for escalating."},
    )
    escalated_to = PlainText(
        label="Escalated to (name and role)", max_length=200, named="The name and role", required=False
    )
    escalated_on = forms.DateField(
        label="The day you escalated",
        required=False,
        widget=DateInput(),
        help_text="Leave empty for today.",
        error_messages={"invalid": "Give the day as a date, or leave it empty for today."},
    )


class EscalationOutcomeForm(forms.Form):
    """What came of one escalation."""

    outcome = PlainText(
        label="What came of it",
        max_length=5000,
        named="The outcome",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what came of the escalation."},
    )
    outcome_on = forms.DateField(
        label="The day of the outcome",
        required=False,
        widget=DateInput(),
        help_text="Leave empty for today.",
        error_messages={"invalid": "Give the day as a date, or leave it empty for today."},
    )


class MeetingForm(forms.Form):
    """A strategy discussion, conference or meeting about the referral."""

    kind = forms.ChoiceField(
        label="Kind of meeting",
        choices=[("", "Choose the meeting"), *ReferralMeeting.Kind.choices],
        error_messages={"required": "Choose the kind of meeting.", "invalid_choice": "Choose the kind of meeting."},
    )
    held_at = forms.DateTimeField(
        label="When it was held",
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M"],
        help_text="Or when it will be, for one arranged.",
        error_messages={"required": "Give the date and time.", "invalid": "Give the date and time."},
    )
    school_attended = forms.BooleanField(label="The school took part", required=False, initial=True)
    note = PlainText(
        label="What was agreed (optional)",
        max_length=5000,
        named="The note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("held_at", _now_typed())
        super().__init__(*args, **kwargs)
