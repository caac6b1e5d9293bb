"""Malformed input for the property tests of every form: generated text, numbers, identifiers and dates that a
careless browser, a script or an attacker could send, and the checks each test makes of the answer.

Each form's test starts from a body the form accepts and replaces some of its fields with junk, leaves them out or
sends them several times, so that the generated examples reach both the refusals and the successful writes.
Every example runs in a savepoint that is rolled back, so the examples do not see each other's records.
"""

from contextlib import contextmanager
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

# Every form's test runs this many examples; no test depends on how long one takes.
EXAMPLES = 200
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
    print_blob=True,
)

# Input people have sent to web forms on purpose or by accident, as whole values.
SPECIMENS = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "%00",
    "\x1b[31m\x07\x7f",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7|add:7 }}{% debug %}",
    "'; DROP TABLE referrals_child; --",
    "%s%s%n",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd\x00.jpg",
    '=HYPERLINK("http://x")',
    "\u202egnp.exe",
    "\ufeff\u200b",
    "🙂🙂",
    "null",
    "None",
    "NaN",
    "Infinity",
    "-1",
    "0",
    "-0",
    "1e309",
    "0x10",
    "1_000",
    "١٢٣٤٥٦",
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    "9" * 40,
    "-" + "9" * 40,
    "9" * 5000,
    "on",
    "true",
    "[]",
    "{}",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "12345678-1234-1234-1234-1234567890123",
    "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
    "{12345678-1234-1234-1234-123456789012}",
    "2024-02-30",
    "2024-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "-2024-01-01",
    "2024-01-01T25:61",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "31/12/2024",
]

# Any character but the surrogates, which no browser can send in UTF-8.
characters = st.characters(exclude_categories=("Cs",))
short_text = st.text(characters, max_size=40)
with_nul = st.builds(lambda before, after: f"{before}\x00{after}", short_text, short_text)
long_text = st.builds(
    lambda seed, size: ((seed or "x") * size)[:size],
    st.text(characters, min_size=1, max_size=3),
    st.sampled_from([101, 201, 301, 1001, 2001, 5001, 20_001, 100_000]),
)
numbers = st.one_of(st.integers(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True)).map(str)
uuid_like = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda value: str(value)[:-1] + "g"),
    st.uuids().map(lambda value: str(value).upper()),
)
dates = st.one_of(
    st.dates().map(date.isoformat),
    st.datetimes().map(lambda value: value.strftime("%Y-%m-%dT%H:%M")),
    st.tuples(st.integers(-10, 100_000), st.integers(-1, 14), st.integers(-1, 40)).map(
        lambda t: f"{t[0]}-{t[1]:02d}-{t[2]:02d}"
    ),
)

# One value for any field.
junk = st.one_of(st.sampled_from(SPECIMENS), short_text, with_nul, long_text, numbers, uuid_like, dates)
# What arrives for one field: a value, several values under the same name, or nothing at all (None).
field_value = st.one_of(junk, st.lists(junk, min_size=2, max_size=3), st.none())


@st.composite
def corrupted(draw, valid: dict, extra: tuple[str, ...] = ()):
    """A form body: for each field a value drawn from `valid` (a strategy per field), except, mostly, a few fields
    which get junk, several values or are left out; `extra` names fields the form does not expect, sent too."""
    body = {name: draw(strategy) for name, strategy in valid.items()}
    spoilt = draw(st.lists(st.sampled_from([*valid, *extra]), min_size=1, unique=True, max_size=4))
    for name in spoilt if draw(st.integers(0, 3)) else ():
        body[name] = draw(field_value)
    return {name: value for name, value in body.items() if value is not None}


def posted(body: dict, name: str):
    """The value the view reads for `name`, as QueryDict.get gives it: the last of several values."""
    value = body.get(name)
    return value[-1] if isinstance(value, list) else value


def counts(*models) -> dict:
    """The number of rows of each model, by name, in one query."""
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in tables))  # noqa: S608
        return dict(zip((model.__name__ for model in models), cursor.fetchone(), strict=True))


@contextmanager
def rolled_back():
    """Whatever the request writes is undone afterwards, so the next example starts from the same records."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def answered(response) -> int:
    """The response's status, after asserting it is not a server error. The statuses seen are counted in
    hypothesis' statistics (pytest --hypothesis-show-statistics), to show that both the refusals and the
    successes are reached."""
    assert response.status_code < 500, response.status_code
    event(f"answered {response.status_code}")
    return response.status_code


def recent() -> str:
    """An hour ago, as the concern form's date and time field sends it."""
    return (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
