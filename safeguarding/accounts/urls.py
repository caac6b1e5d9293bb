from django.urls import path

from safeguarding.accounts.views import passkeys, sessions, signin, staff

urlpatterns = [
    path("accounts/login/", signin.signin, name="login"),
    path("accounts/login/code/", signin.second_factor, name="second_factor"),
    path("accounts/login/set-up-authenticator/", signin.second_factor_setup, name="second_factor_setup"),
    path("accounts/login/passkey/", passkeys.passkey_signin, name="passkey_signin"),
    path("accounts/passkeys/options/", passkeys.passkey_options, name="passkey_options"),
    path("accounts/passkeys/add/", passkeys.passkey_add, name="passkey_add"),
    path("accounts/passkeys/<uuid:passkey_uuid>/rename/", passkeys.passkey_rename_view, name="passkey_rename"),
    path("accounts/passkeys/<uuid:passkey_uuid>/remove/", passkeys.passkey_remove_view, name="passkey_remove"),
    path("accounts/you/", passkeys.account_security, name="account_security"),
    path("accounts/logout/", signin.signout, name="logout"),
    path("accounts/sessions/", sessions.my_sessions, name="my_sessions"),
    path("accounts/password-reset/", signin.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", signin.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        signin.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", signin.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("schools/", staff.school_list, name="school_list"),
    path("schools/<uuid:school_uuid>/staff/", staff.staff_list, name="staff_list"),
    path("schools/<uuid:school_uuid>/holiday-cover/", staff.holiday_cover, name="holiday_cover"),
    path("schools/<uuid:school_uuid>/local-arrangements/", staff.local_arrangements, name="local_arrangements"),
    path("schools/<uuid:school_uuid>/sign-in-rules/", staff.sign_in_rules, name="sign_in_rules"),
    path("trust/moving-schools/", staff.trust_moving_schools, name="trust_moving_schools"),
    path("schools/<uuid:school_uuid>/staff/invite/", staff.staff_invite, name="staff_invite"),
    path("schools/<uuid:school_uuid>/staff/<uuid:membership_uuid>/", staff.staff_member, name="staff_member"),
    path("schools/<uuid:school_uuid>/staff/<uuid:membership_uuid>/role/", staff.staff_role, name="staff_role"),
    path("schools/<uuid:school_uuid>/staff/<uuid:membership_uuid>/export/", staff.staff_export, name="staff_export"),
    path(
        "schools/<uuid:school_uuid>/staff/<uuid:membership_uuid>/hand-over/",
        staff.staff_hand_over,
        name="staff_hand_over",
    ),
    path(
        "schools/<uuid:school_uuid>/staff/<uuid:membership_uuid>/deactivate/",
        staff.staff_deactivate,
        name="staff_deactivate",
    ),
    path(
        "schools/<uuid:school_uuid>/staff/<uuid:membership_uuid>/reactivate/",
        staff.staff_reactivate,
        name="staff_reactivate",
    ),
    path(
        "schools/<uuid:school_uuid>/staff/<uuid:membership_uuid>/reset-authenticator/",
        staff.staff_second_factor_reset,
        name="staff_second_factor_reset",
    ),
]
