"""The widgets and fields the domain's forms share."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and writes yyyy-mm-dd whatever the site's own date format."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or "%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PlainText(forms.CharField):
    """Free text with NUL bytes taken out, and a too-long message that names the field as the person knows it."""

    def __init__(self, *, label: str, max_length: int, named: str, **kwargs):
        messages = {"max_length": f"{named} is too long: it can be at most {max_length:,} characters."}
        messages.update(kwargs.pop("error_messages", {}))
        super().__init__(label=label, max_length=max_length, error_messages=messages, **kwargs)

    def to_python(self, value):
        return super().to_python(value.replace("\x00", "") if isinstance(value, str) else value)


class CodeInput(forms.TextInput):
    """A one-time code: never written back into the page, since it cannot be used twice."""

    def format_value(self, value):
        return None
