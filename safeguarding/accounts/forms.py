from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import PasswordResetForm

from safeguarding.accounts import notifications
from safeguarding.accounts.addresses import EmailNotPlain, email_normalise
from safeguarding.accounts.models import School, Trust, User
from safeguarding.accounts.roles import GRANTABLE_ROLES
from safeguarding.accounts.services import LOCAL_ARRANGEMENT_FIELDS


class SafeguardForm(forms.Form):
    submit_label = "Continue"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.add_input(Submit("submit", self.submit_label))


class EmailAddressField(forms.EmailField):
    """An email address in the one spelling accounts are stored, found and locked out under."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return email_normalise(value)
        except EmailNotPlain as error:
            raise forms.ValidationError(str(error), code="not_plain") from None


class SignInForm(SafeguardForm):
    submit_label = "Sign in"
    email = EmailAddressField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(SafeguardForm):
    submit_label = "Confirm"
    code = forms.RegexField(
        label="6-digit code from your authenticator app",
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_code(self):
        return self.cleaned_data["code"].replace(" ", "").strip()


class RecoveryCodeForm(forms.Form):
    recovery_code = forms.CharField(
        label="Recovery code",
        max_length=20,
        help_text="One of the ten codes you kept when you set up your authenticator, like ABCDE-FGH23.",
        error_messages={"required": "Enter one of your recovery codes."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )


class InviteForm(SafeguardForm):
    submit_label = "Add and send the invitation"
    full_name = forms.CharField(max_length=150)
    email = EmailAddressField(label="Email address", help_text="Their school email. They choose their own password.")
    job_title = forms.CharField(max_length=150, required=False, help_text="For example: Year 9 form tutor")


class RoleForm(SafeguardForm):
    submit_label = "Change role"
    role = forms.ChoiceField(choices=[(role.value, role.label) for role in GRANTABLE_ROLES])


class ExportPermissionForm(SafeguardForm):
    submit_label = "Save"
    can_export = forms.BooleanField(label="May export referral records", required=False)


class SafeguardPasswordResetForm(PasswordResetForm):
    """Queues the email on the task worker instead of sending it in the request."""

    email = EmailAddressField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def get_users(self, email):
        # Invited people have no password yet and may need a fresh link when theirs has expired.
        return User.objects.with_email(email).filter(is_active=True)

    def save(self, *args, **kwargs):
        for user in self.get_users(self.cleaned_data["email"]):
            notifications.password_reset_send(user=user)


class HolidayCoverForm(forms.Form):
    """Who covers one week the school is closed: a person of the safeguarding team, or an out-of-hours number."""

    week_starting = forms.DateField(
        label="Week starting",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Any day of the week: the cover runs Monday to Sunday.",
        error_messages={"required": "Give a day of the week to cover.", "invalid": "Give the date as a date."},
    )
    covered_by = forms.ChoiceField(label="Who covers", required=False)
    team_name = forms.CharField(label="Or an out-of-hours team", max_length=200, required=False)
    team_phone = forms.CharField(label="Its phone number", max_length=40, required=False)

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = {str(member.uuid): member for member in team}
        self.fields["covered_by"].choices = [("", "Nobody from the school: the team below")] + [
            (str(member.uuid), f"{member.user.full_name} ({member.get_role_display()})") for member in team
        ]

    def clean(self):
        cleaned = super().clean()
        cleaned["covered_by"] = self.team.get(cleaned.get("covered_by") or "")
        if cleaned["covered_by"] is None and not (cleaned.get("team_phone") or "").strip():
            self.add_error("team_phone", "Choose who covers, or give the out-of-hours team's phone number.")
        return cleaned


class LocalArrangementsForm(forms.ModelForm):
    """What the school's local safeguarding partners set: the front door's contacts, the published levels of need,
    and how long a referral may go with nothing back before it is reviewed."""

    class Meta:
        model = School
        fields = list(LOCAL_ARRANGEMENT_FIELDS)
        widgets = {"threshold_levels": forms.Textarea(attrs={"rows": 5})}
        labels = {"front_door_name": "Its name"}

    def clean_threshold_levels(self):
        levels = [line.strip() for line in self.cleaned_data["threshold_levels"].splitlines() if line.strip()]
        if any(len(level) > 200 for level in levels):
            raise forms.ValidationError("Keep each level to one line of at most 200 characters.")
        if len(levels) != len({level.casefold() for level in levels}):
            raise forms.ValidationError("Each level of need appears once.")
        return "\n".join(levels)


class TrustMovingSchoolsForm(forms.ModelForm):
    """The trust's two choices for a child moving school: how the five days are counted, and the copy left behind."""

    class Meta:
        model = Trust
        fields = ["transfer_days", "transfer_copy", "transfer_copy_months"]
        widgets = {"transfer_days": forms.RadioSelect, "transfer_copy": forms.RadioSelect}


class SignInRulesForm(forms.Form):
    """The school's one exception to a second factor for everyone: staff signing in with a password alone."""

    staff_password_only = forms.BooleanField(
        label="Let staff sign in with a password alone",
        required=False,
        help_text="Everyone above staff (you, your deputies, school admins) always uses a second factor.",
    )
    understood = forms.BooleanField(
        label="I accept the risk",
        help_text="This departs from requirement R12.1, multi-factor sign-in for every account that can see personal "
        "data: a stolen or guessed password would then be enough to read what staff have written.",
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        turning_on = cleaned.get("staff_password_only") and not self.initial.get("staff_password_only")
        if turning_on and not cleaned.get("understood"):
            self.add_error("understood", "Tick to accept the risk, or leave the second factor on for staff.")
        return cleaned
