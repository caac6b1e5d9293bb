"""Published defaults that the README names, kept apart so that code can tell when they are in use."""

DEFAULT_DEMO_PASSWORD = "northfield-demo-2026"  # noqa: S105 - published on purpose, development only
DEFAULT_DEMO_TOTP_SECRET = "NORTHFIELDDEMOTOTPSECRETKEY23456"  # noqa: S105 - as above
