from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import PasswordResetForm

from safeguarding.accounts import notifications
from safeguarding.accounts.addresses import EmailNotPlain, email_normalise
from safeguarding.accounts.models import User
from safeguarding.accounts.roles import GRANTABLE_ROLES


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
