"""The permission matrix: every URL pattern of the site, asked by every persona, with the answer each must get.

The expected answers follow DESIGN.md §2 and are published in docs/security.md (a test keeps the two equal).
The cells mean:

    ok     the page (200), or the action done and the person sent on (302) with no error or warning message
    refused  sent on (302) with an error or warning message: a rule turned the action down, and nothing changed
    form   the page answering the test's empty or incomplete form with its message (400)
    login  sent to the sign-in page: no one is signed in
    403    a page this role may never use
    404    an object out of the person's scope, answered exactly as one that does not exist
    405    the pattern takes POST only, and was asked with GET
    open   a public page, the same for everyone

Each request runs in a savepoint that is rolled back, so an action one cell takes (a hand-over, a deactivation)
does not change what the next cell sees. Every refusal of a signed-in person must leave an audit event.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client

from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.personas import signed_in_client
from tests.urlmap import PERSONAS, POST_BODIES, build_scene, site_patterns

COLUMNS = {
    "anon": "anonymous",
    "staff": "teacher",
    "staff2": "teacher2",
    "dsl": "dsl",
    "deputy": "deputy",
    "admin+x": "admin",
    "admin": "office",
    "o.staff": "riverside_teacher",
    "o.dsl": "riverside_dsl",
    "o.dep": "riverside_deputy",
    "o.admin": "riverside_office",
    "x.dsl": "elsewhere_dsl",
    "trust": "trustlead",
    "audit": "auditor",
    "head": "head",
    "chair": "chair",
    "hr": "hr",
    "dpo": "dpo",
}

MATRIX = """
pattern                   anon  staff staff2 dsl     deputy  admin+x admin   o.staff o.dsl o.dep o.admin x.dsl trust audit head  chair hr    dpo
home                      ok    ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    ok    ok    ok    ok    ok
healthz                   open  open  open   open    open    open    open    open    open  open  open    open  open  open  open  open  open  open
login                     ok    ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    ok    ok    ok    ok    ok
second_factor             login login login  login   login   login   login   login   login login login   login login login login login login login
second_factor_setup       login login login  login   login   login   login   login   login login login   login login login login login login login
logout                    login login login  login   login   login   login   login   login login login   login login login login login login login
my_sessions               login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    ok    ok    ok    ok    ok
account_security          login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    ok    ok    ok    ok    ok
passkey_options           403   ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    ok    ok    ok    ok    ok
passkey_signin            form  ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    ok    ok    ok    ok    ok
passkey_add               login form  form   form    form    form    form    form    form  form  form    form  form  form  form  form  form  form
passkey_rename            login ok    404    404     404     404     404     404     404   404   404     404   404   404   404   404   404   404
passkey_remove            login ok    404    404     404     404     404     404     404   404   404     404   404   404   404   404   404   404
password_reset            open  open  open   open    open    open    open    open    open  open  open    open  open  open  open  open  open  open
password_reset_done       open  open  open   open    open    open    open    open    open  open  open    open  open  open  open  open  open  open
password_reset_confirm    open  open  open   open    open    open    open    open    open  open  open    open  open  open  open  open  open  open
password_reset_complete   open  open  open   open    open    open    open    open    open  open  open    open  open  open  open  open  open  open
school_list               login 403   403    ok      403     ok      ok      403     ok    403   ok      ok    ok    403   403   403   403   403
staff_list                login 403   403    ok      403     ok      ok      404     404   404   404     404   ok    403   403   403   403   403
staff_invite              login 403   403    403     403     ok      ok      404     404   404   404     404   403   403   403   403   403   403
staff_member              login 403   403    ok      403     ok      ok      404     404   404   404     404   ok    403   403   403   403   403
staff_role                login 403   403    ok      403     403     403     404     404   404   404     404   ok    403   403   403   403   403
staff_export              login 403   403    ok      403     403     403     404     404   404   404     404   ok    403   403   403   403   403
staff_hand_over           login 403   403    ok      403     403     403     404     404   404   404     404   ok    403   403   403   403   403
holiday_cover             login 403   403    ok      403     403     403     404     404   404   404     404   ok    403   403   403   403   403
local_arrangements        login 403   403    ok      403     403     403     404     404   404   404     404   ok    403   403   403   403   403
sign_in_rules             login 403   403    ok      403     403     403     404     404   404   404     404   ok    403   403   403   403   403
staff_deactivate          login 403   403    403     403     ok      ok      404     404   404   404     404   403   403   403   403   403   403
staff_reactivate          login 403   403    403     403     refused refused 404     404   404   404     404   403   403   403   403   403   403
staff_second_factor_reset login 403   403    ok      403     403     403     404     404   404   404     404   ok    403   403   403   403   403
roster_list               login 403   403    403     403     ok      ok      404     404   404   404     404   403   403   403   403   403   403
roster_add                login 403   403    403     403     ok      ok      404     404   404   404     404   403   403   403   403   403   403
roster_pupil              login 403   403    403     403     ok      ok      404     404   404   404     404   403   403   403   403   403   403
concern_new               login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    403   ok    403   ok    403
concern_draft_save        login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    403   ok    403   ok    403
concern_child_search      login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    403   ok    403   ok    403
concern_receipt           login ok    404    404     404     404     404     404     404   404   404     404   404   404   404   404   404   404
concerns_mine             login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    403   ok    403   ok    403
concern_detail            login ok    404    404     404     404     404     404     404   404   404     404   404   404   404   404   404   404
attachment_download       login ok    404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
notifications             login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    ok    ok    ok    ok    ok
notifications_read        login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    ok    ok    ok    ok    ok
notification_open         login 404   404    ok      404     404     404     404     404   404   404     404   404   404   404   404   404   404
signs_guide               login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    ok    ok    ok    ok    ok
queue                     login 403   403    ok      ok      403     403     403     ok    ok    403     ok    ok    403   403   403   403   403
queue_acknowledge         login 404   404    ok      ok      404     404     404     404   404   404     404   404   404   404   404   404   404
concern_review            login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
child_search              login 403   403    ok      ok      403     403     403     ok    ok    403     ok    ok    403   403   403   403   403
child_file                login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
child_flags               login 404   404    ok      403     404     404     404     404   404   404     404   403   404   404   404   404   404
child_note                login 404   404    ok      ok      404     404     404     404   404   404     404   403   404   404   404   404   404
action_new                login 404   404    form    form    404     404     404     404   404   404     404   403   404   404   404   404   404
action_detail             login 404   ok     ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
child_alert_acknowledge   login 404   404    ok      ok      404     404     404     404   404   404     404   403   404   404   404   404   404
referral_detail           login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
referral_pdf              login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
child_file_pdf            login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
referral_new              login 404   404    refused refused 404     404     404     404   404   404     404   403   404   404   404   404   404
exports                   login 403   403    form    403     form    403     403     form  403   403     form  form  403   403   403   403   403
export_status             login 404   404    ok      404     404     404     404     404   404   404     404   404   404   404   404   404   404
export_download           login 404   404    404     404     404     404     404     404   404   404     404   404   404   404   404   404   404
audit_log                 login 403   403    ok      403     403     403     403     ok    403   403     ok    ok    ok    403   403   403   ok
child_access              login 404   404    ok      ok      404     404     404     404   404   404     404   ok    ok    404   404   404   404
child_leaving             login 404   404    ok      ok      404     404     404     404   404   404     404   404   404   404   404   404   404
received_pdf              login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
received_attachment       login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
transfers                 login 403   403    ok      ok      403     403     403     ok    ok    403     ok    403   403   403   403   403   403
transfer_detail           login 404   404    ok      ok      404     404     404     ok    ok    404     404   ok    404   404   404   404   404
transfer_package          login 404   404    ok      ok      404     404     404     ok    ok    404     404   ok    404   404   404   404   404
transfer_link             open  open  open   open    open    open    open    open    open  open  open    open  open  open  open  open  open  open
transfer_link_package     404   404   404    404     404     404     404     404     404   404   404     404   404   404   404   404   404   404
trust_moving_schools      login 403   403    403     403     403     403     403     403   403   403     403   ok    403   403   403   403   403
transfer_key              open  open  open   open    open    open    open    open    open  open  open    open  open  open  open  open  open  open
concern_to_adults         login 404   404    ok      403     404     404     404     404   404   404     404   403   404   404   404   404   404
adult_new                 login ok    ok     ok      ok      ok      ok      ok      ok    ok    ok      ok    ok    403   ok    ok    ok    403
adult_submitted           login ok    404    404     404     404     404     404     404   404   404     404   404   404   404   404   404   404
adult_cases               login 403   403    403     403     403     403     403     403   403   403     403   403   403   ok    ok    ok    403
adult_case                login 404   404    404     404     404     404     404     404   404   404     404   404   404   ok    404   ok    404
retention_list            login 403   403    ok      403     403     403     403     ok    403   403     ok    ok    403   403   403   403   ok
retention_review          login 404   404    ok      404     404     404     404     404   404   404     404   ok    404   404   404   404   ok
access_requests           login 403   403    ok      403     403     403     403     ok    403   403     ok    403   403   403   403   403   ok
access_request_new        login 403   403    ok      403     403     403     403     ok    403   403     ok    403   403   403   403   403   ok
access_request            login 404   404    ok      404     404     404     404     404   404   404     404   404   404   404   404   404   ok
access_request_pack       login 404   404    ok      404     404     404     404     404   404   404     404   404   404   404   404   404   ok
context_mention_new       login ok    404    ok      ok      404     404     404     404   404   404     404   404   404   404   404   404   404
context_link              login 404   404    refused refused 404     404     404     404   404   404     404   404   404   404   404   404   404
context_unlink            login 404   404    ok      ok      404     404     404     404   404   404     404   404   404   404   404   404   404
context_entity            login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
context_entity_network    login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
child_network             login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
trust_network             login 403   403    403     403     403     403     403     403   403   403     403   ok    403   403   403   403   403
screening_new             login 404   404    ok      ok      404     404     404     404   404   404     404   403   404   404   404   404   404
screening_detail          login 404   404    ok      ok      404     404     404     404   404   404     404   ok    404   404   404   404   404
screening_tools           login 403   403    ok      403     403     403     403     ok    403   403     ok    ok    403   403   403   403   403
reports                   login 403   403    ok      403     403     403     403     ok    403   403     ok    ok    403   ok    ok    403   403
school_report             login 404   404    ok      404     404     404     404     404   404   404     404   ok    404   ok    ok    404   404
school_report_pdf         login 404   404    ok      404     404     404     404     404   404   404     404   ok    404   ok    ok    404   404
school_report_xlsx        login 404   404    ok      404     404     404     404     404   404   404     404   ok    404   ok    ok    404   404
trust_report              login 404   404    404     404     404     404     404     404   404   404     404   ok    404   404   404   404   404
trust_report_pdf          login 404   404    404     404     404     404     404     404   404   404     404   ok    404   404   404   404   404
trust_report_xlsx         login 404   404    404     404     404     404     404     404   404   404     404   ok    404   404   404   404   404
"""  # noqa: E501 - one row per pattern, one column per persona


def expected_table() -> dict[str, dict[str, str]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    return {row[0]: {COLUMNS[col]: cell for col, cell in zip(header[1:], row[1:], strict=True)} for row in rows}


def markdown_table() -> str:
    """The matrix as published in docs/security.md, between its two markers."""
    header = MATRIX.strip().splitlines()[0].split()
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, cells in expected_table().items():
        lines.append(f"| `{name}` | " + " | ".join(cells[COLUMNS[col]] for col in header[1:]) + " |")
    return "\n".join(lines)


def answer(response) -> str:
    status = response.status_code
    if status in (301, 302):
        location = response["Location"]
        if location.startswith(resolve_url(settings.LOGIN_URL)):
            return "login"
        levels = {message.level for message in get_messages(response.wsgi_request)}
        return "refused" if levels & {messages.ERROR, messages.WARNING} else "ok"
    return {200: "ok", 400: "form"}.get(status, str(status))


def test_every_pattern_has_a_row_and_every_row_a_pattern():
    patterns = {name for name, _ in site_patterns()}
    rows = set(expected_table())

    assert patterns - rows == set(), "a URL pattern has no row in the permission matrix"
    assert rows - patterns == set(), "the permission matrix has a row for a pattern that no longer exists"
    assert set(next(iter(expected_table().values()))) == set(PERSONAS)


def test_the_published_table_is_the_tested_one():
    document = (Path(settings.BASE_DIR) / "docs" / "security.md").read_text()
    published = document.split("<!-- permission-matrix -->")[1]

    assert published.strip() == markdown_table(), (
        "regenerate it: DJANGO_ENV=development .venv/bin/python manage.py shell -v 0 -c "
        "'from tests.security.test_permissions import markdown_table; print(markdown_table())'"
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_answer_the_matrix_states(world, persona):
    scene = build_scene(world)
    table = expected_table()
    wrong = []
    for name, pattern in site_patterns():
        url = scene.url(pattern)
        with transaction.atomic():
            client = Client() if persona == "anonymous" else signed_in_client(world.people[persona])
            before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            response = client.post(url, POST_BODIES[name]) if name in POST_BODIES else client.get(url)
            got = answer(response)
            refusals = AuditEvent.objects.filter(
                id__gt=before, event_type=EventType.ACCESS_REFUSED, outcome=Outcome.REFUSED
            )
            if got in ("403", "404", "refused") and persona != "anonymous" and not refusals.exists():
                wrong.append(f"{name}: refused with {got} but left no audit event")
            transaction.set_rollback(True)
        want = table.get(name, {}).get(persona)
        if want == "open":
            want = got if got in ("ok", "503") else "ok"
        if want != got:
            wrong.append(f"{name}: expected {want}, got {got}")
    assert not wrong, f"{persona}: " + "; ".join(wrong)
