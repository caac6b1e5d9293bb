"""The safeguarding report for governors, the trust board and inspectors: every figure of a known term checked
against values worked out by hand, small numbers hidden everywhere the report goes, the trust lead's oversight, and
who may read which report."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from pypdf import PdfReader

from referrals.models import Action, Concern, Decision, DecisionOutcome, Referral
from referrals.report_periods import PeriodRefused, period_from, term
from referrals.selectors.reports import report_build, trust_oversight
from referrals.suppression import FEWER, HIDDEN
from safeguarding.accounts.models import Membership
from safeguarding.accounts.roles import Role
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by, referral_for
from tests.factories import ChildFactory, MembershipFactory, SchoolFactory, UserFactory, totp_device_for
from tests.personas import signed_in_client

pytestmark = pytest.mark.django_db

# The clock stands after the autumn term of 2026, so the whole term is counted.
AFTER_TERM = "2027-01-10 12:00 +0000"
HOUR = timedelta(hours=1)


def _at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _place(concern, *, recorded, acknowledged_after=None, due_after):
    Concern.objects.filter(pk=concern.pk).update(
        recorded_at=recorded,
        observed_at=recorded - HOUR,
        ack_due_at=recorded + due_after,
        acknowledged_at=recorded + acknowledged_after if acknowledged_after is not None else None,
        status="in_review" if acknowledged_after is not None else "submitted",
    )


def _decide(concern, world, *, after, outcome="monitor"):
    recorded = Concern.objects.get(pk=concern.pk).recorded_at
    decision = Decision.objects.create(
        concern=concern,
        decided_by=world.dsl,
        decided_at=recorded + after,
        rationale="Known to the team; watch and review.",
        next_review=date(2027, 2, 1),
    )
    DecisionOutcome.objects.create(decision=decision, outcome=outcome)


def known_term(world):
    """Autumn term 2026 at Northfield, with the autumn before it:
    - 7 routine concerns in October about possessions and money, acknowledged after 1, 2, 3, 4, 5, 6 and 30 hours
      against a 24-hour target; 5 of them decided after 1 to 5 days;
    - 3 immediate-risk concerns in November about physical abuse, acknowledged after 10, 20 and 40 minutes against
      15 minutes;
    - 2 routine concerns in October 2025;
    - a referral to children's social care made in November, acknowledged after 3 hours (due in a day);
    - 6 actions due in November: 4 done on the day, 1 done two days late, 1 not done."""
    children = [ChildFactory(school=world.northfield) for _ in range(7)]
    owners = [0, 0, 1, 1, 2, 2, 3]
    for n, hours in enumerate([1, 2, 3, 4, 5, 6, 30]):
        concern = concern_by(world.teacher, children[owners[n]], with_file=False)
        _place(concern, recorded=_at(f"2026-10-{5 + n:02d}"), acknowledged_after=hours * HOUR, due_after=24 * HOUR)
        if n < 5:
            _decide(concern, world, after=timedelta(days=n + 1))
    for n, minutes in enumerate([10, 20, 40]):
        concern = concern_by(
            world.teacher2,
            children[4 + min(n, 1)],
            indicators=("ABUSE-PHYSICAL",),
            urgency="immediate",
            with_file=False,
        )
        _place(
            concern,
            recorded=_at(f"2026-11-{3 + n:02d}"),
            acknowledged_after=timedelta(minutes=minutes),
            due_after=timedelta(minutes=15),
        )
    for n in range(2):
        concern = concern_by(world.teacher, children[6], with_file=False)
        _place(concern, recorded=_at(f"2025-10-{15 + n}"), due_after=24 * HOUR)
    referral = referral_for(world, children[6])
    made = _at("2026-11-10")
    Concern.objects.filter(pk=referral.decision.concern_id).update(recorded_at=_at("2026-08-20"))
    Decision.objects.filter(pk=referral.decision_id).update(decided_at=made - HOUR)
    Referral.objects.filter(pk=referral.pk).update(
        made_at=made, ack_due_at=made + 24 * HOUR, acknowledged_at=made + 3 * HOUR
    )
    for n, (done_after, done) in enumerate([(0, True)] * 4 + [(2, True), (0, False)]):
        due = date(2026, 11, 2 + n)
        Action.objects.create(
            school=world.northfield,
            child=children[0],
            what="Check in with her",
            owner=world.teacher,
            due_on=due,
            assigned_by=world.dsl,
            completed_at=datetime(due.year, due.month, due.day, 15, tzinfo=UTC) + timedelta(days=done_after)
            if done
            else None,
            completed_by=world.teacher if done else None,
        )
    return children


def _report(world, user=None, **options):
    with time_machine.travel(AFTER_TERM, tick=False):
        return report_build(
            user=user or world.dsl,
            context=None,
            schools=[world.northfield],
            period=term("autumn-2026"),
            scope="school",
            name=world.northfield.name,
            uuid=world.northfield.uuid,
            **options,
        )


def _section(report, key):
    return next(section for section in report.sections if section.key == key)


def _texts(table):
    return [[cell.text for cell in row] for row in table.shown]


def test_every_figure_of_a_known_term_matches_the_hand_count(world):
    known_term(world)

    report = _report(world)

    assert report.period.first == date(2026, 9, 1) and report.period.last == date(2026, 12, 31)
    assert report.before.first == date(2025, 9, 1) and report.before.last == date(2025, 12, 31)
    headline = {key: shown.text for key, shown in report.headline.items()}
    assert headline == {"concerns": "10", "before": FEWER, "children": "6", "referrals": FEWER}
    assert [shown.value for shown in report.headline.values()] == [10, 2, 6, 1]

    by_month = _section(report, "by_month").tables[0]
    assert by_month.rows == ["Sep 2026", "Oct 2026", "Nov 2026", "Dec 2026"]
    assert by_month.counts == [[0, 0], [7, 2], [3, 0], [0, 0]]
    # November's 3 is fewer than 5; October's 7 is hidden too, or 10 - 0 - 0 - 0 would give November away.
    assert _texts(by_month) == [["0", "0"], [HIDDEN, FEWER], [FEWER, "0"], ["0", "0"]]
    assert [cell.text for cell in by_month.column_totals_shown] == ["10", FEWER]

    by_category = _section(report, "by_category").tables[0]
    # Both counts of this term are hidden (3, and the 7 that would give it away), so the rows keep the taxonomy's
    # order rather than an order that would say which is larger.
    assert by_category.rows == ["Categories of abuse and neglect", "Signs: possessions and money"]
    assert by_category.counts == [[3, 0], [7, 2]]
    assert _texts(by_category) == [[FEWER, "0"], [HIDDEN, FEWER]]

    acknowledgement, decision = _section(report, "waiting").tables
    assert acknowledgement.rows == ["Immediate risk", "Today", "Routine"]
    assert acknowledgement.counts == [[1, 2, 0], [0, 0, 0], [6, 1, 0]]
    immediate, today, routine = (row[1:] for row in acknowledgement.extra)
    assert immediate == ["not shown (fewer than 5)"] * 2
    assert today == ["none", "none"]
    # Waits of 1, 2, 3, 4, 5, 6 and 30 hours: the median is the fourth, 4 hours; the slowest tenth starts at
    # position 0.9 x 6 = 5.4 of the sorted waits, 6 + 0.4 x (30 - 6) = 15.6 hours.
    assert routine == ["4.0 h", "15.6 h"]
    assert decision.counts == [[0, 3], [0, 0], [5, 2]]
    # Decided after 1 to 5 days: the median is 3 days; position 0.9 x 4 = 3.6 gives 4 + 0.6 = 4.6 days.
    assert decision.extra[2] == ["3.0 days", "4.6 days"]

    outcomes = _section(report, "outcomes").tables[0]
    assert dict(zip(outcomes.rows, (row[0] for row in outcomes.counts), strict=True)) == {
        "Monitor in school": 5,
        "Refer to children's social care": 1,
    }
    assert outcomes.column_totals_shown[0].value == 6

    by_decision, agency_ack = _section(report, "referrals").tables
    assert by_decision.rows == ["Children's social care"] and by_decision.counts == [[1]]
    assert agency_ack.counts == [[1, 0, 0]] and agency_ack.extra == [["not shown (fewer than 5)"] * 2]

    actions = _section(report, "actions").tables[0]
    assert actions.counts == [[4, 1, 1, 0]]
    assert actions.row_totals_shown[0].text == "6"

    assert _section(report, "escalations").tables[0].counts == [[0], [0], [0]]
    assert _section(report, "transfers").tables[0].counts == [[0, 0, 0, 0]] * 3
    assert _section(report, "access_requests").tables[0].counts == [[0, 0, 0, 0]]
    assert "adults" not in [section.key for section in report.sections]


def _lines(table):
    """Every sum of a table as shown: its counts and its total, as texts."""
    lines = []
    shown = _texts(table)
    if table.row_totals:
        lines += [[*row, total.text] for row, total in zip(shown, table.row_totals_shown, strict=True)]
    if table.column_totals:
        for j, total in enumerate(table.column_totals_shown):
            lines.append([*(row[j] for row in shown), total.text])
    if table.grand_shown is not None:
        lines.append([*(t.text for t in table.column_totals_shown), table.grand_shown.text])
        lines.append([*(t.text for t in table.row_totals_shown), table.grand_shown.text])
    return lines


def _recoverable(line) -> bool:
    """Whether subtracting the shown counts of `line` from its shown total would give away its one hidden count."""
    *parts, total = line
    hidden = [p for p in parts if not p.replace(",", "").isdigit()]
    return total.replace(",", "").isdigit() and len(hidden) == 1


def test_no_hidden_count_can_be_worked_out_from_a_total(world):
    known_term(world)

    report = _report(world)

    for table in report.tables:
        for line in _lines(table):
            assert not _recoverable(line), (table.title, line)
    # Two tables of the same concerns hide the same totals: neither shows what the other hides.
    for key in ("waiting", "referrals"):
        first, second = _section(report, key).tables
        assert [t.text for t in first.row_totals_shown] == [t.text for t in second.row_totals_shown]
        assert first.grand_shown.text == second.grand_shown.text


def test_three_concerns_show_as_fewer_than_5_on_the_page_in_the_pdf_and_in_the_spreadsheet(world):
    known_term(world)
    address = f"/reports/schools/{world.northfield.uuid}/"

    with time_machine.travel(AFTER_TERM):
        client = signed_in_client(world.dsl)
        page = client.get(address, {"period": "autumn-2026"}).content.decode()
        pdf = client.get(f"{address}pdf/", {"period": "autumn-2026"})
        xlsx = client.get(f"{address}xlsx/", {"period": "autumn-2026"})

    november = re.search(r"<th scope=\"row\">Nov 2026</th>\s*<td[^>]*>([^<]+)</td>", page)
    assert november.group(1) == FEWER
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "Nov 2026 fewer than 5 0" in text
    assert "Nov 2026 3" not in text
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book["Concerns recorded each month"]
    rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True)}
    assert rows["Nov 2026"] == (FEWER, 0)
    assert rows["Oct 2026"] == (HIDDEN, FEWER)
    assert rows["Total"] == (10, FEWER)
    assert isinstance(rows["Total"][0], int)
    for name in book.sheetnames[1:]:
        for row in book[name].iter_rows(min_row=2, values_only=True):
            assert 3 not in row[1:] or name == "DSL and deputy training"


def _first_page_pixels(content: bytes):
    import pypdfium2

    page = pypdfium2.PdfDocument(content)[0]
    return page.render(scale=1).to_pil().convert("RGB").tobytes()


def _bars(pixels: bytes) -> int:
    """How many pixels of the first page are the charts' blue."""
    return sum(1 for i in range(0, len(pixels), 3) if pixels[i : i + 3] == bytes((29, 95, 168)))


def test_the_pdf_draws_its_charts_without_a_browser(world, monkeypatch):
    address = f"/reports/schools/{world.northfield.uuid}/pdf/"
    with time_machine.travel(AFTER_TERM):
        client = signed_in_client(world.dsl)
        empty = client.get(address, {"period": "autumn-2026"}).content
    known_term(world)
    # Enough concerns in September for a bar: the known term's own months are all hidden or nought.
    for n in range(6):
        concern = concern_by(world.teacher, ChildFactory(school=world.northfield), with_file=False)
        _place(concern, recorded=_at(f"2026-09-{10 + n}"), acknowledged_after=HOUR, due_after=24 * HOUR)
    # Nothing that drives a browser is in reach: the charts are SVG drawn by Safeguard itself.
    monkeypatch.setattr("subprocess.Popen", None)
    with time_machine.travel(AFTER_TERM):
        client = signed_in_client(world.dsl)
        full = client.get(address, {"period": "autumn-2026"}).content

    assert full.startswith(b"%PDF") and b"<svg" not in full
    assert "Concerns each month" in PdfReader(io.BytesIO(full)).pages[0].extract_text()
    assert _first_page_pixels(full) != _first_page_pixels(empty)
    assert _bars(_first_page_pixels(empty)) == 0 and _bars(_first_page_pixels(full)) > 500


def test_a_headteacher_and_the_chair_see_concerns_about_adults_counted_and_the_dsl_does_not(world):
    known_term(world)
    chair = world.chair

    assert "adults" not in [s.key for s in _report(world).sections]
    for person in (world.head, chair):
        with time_machine.travel(AFTER_TERM, tick=False):
            page = signed_in_client(person).get(f"/reports/schools/{world.northfield.uuid}/").content.decode()
        assert "Allegations and low-level concerns about adults" in page


def test_a_riverside_headteacher_gets_404_for_northfields_report(world):
    head = UserFactory(email="head@riverside.example")
    MembershipFactory(user=head, school=world.riverside, role=Role.HEADTEACHER)
    totp_device_for(head)
    client = signed_in_client(head)

    for suffix in ("", "pdf/", "xlsx/"):
        assert client.get(f"/reports/schools/{world.northfield.uuid}/{suffix}").status_code == 404
        assert client.get(f"/reports/trusts/{world.trust.uuid}/{suffix}").status_code == 404
    assert client.get(f"/reports/schools/{world.riverside.uuid}/").status_code == 200
    assert signed_in_client(world.teacher).get("/reports/").status_code == 403


def test_every_report_built_is_in_the_audit_trail(world):
    before = AuditEvent.objects.filter(object_type="safeguarding_report").count()
    with time_machine.travel(AFTER_TERM):
        client = signed_in_client(world.dsl)
        client.get(f"/reports/schools/{world.northfield.uuid}/", {"period": "autumn-2026"})
        client.get(f"/reports/schools/{world.northfield.uuid}/pdf/", {"from": "2026-10-01", "to": "2026-10-31"})
        client.get(f"/reports/schools/{world.northfield.uuid}/xlsx/", {"period": "year-2025"})
        signed_in_client(world.trustlead).get(f"/reports/trusts/{world.trust.uuid}/")

    events = list(AuditEvent.objects.filter(object_type="safeguarding_report").order_by("pk"))[before:]
    assert [(e.event_type, e.detail["format"], e.detail["first"], e.detail["last"]) for e in events] == [
        ("view", "page", "2026-09-01", "2026-12-31"),
        ("download", "pdf", "2026-10-01", "2026-10-31"),
        ("download", "xlsx", "2025-09-01", "2026-08-31"),
        ("view", "page", "2027-01-01", "2027-01-10"),
    ]
    assert {e.user_uuid for e in events[:3]} == {world.dsl.uuid} and events[3].user_uuid == world.trustlead.uuid
    assert {e.school_uuid for e in events[:3]} == {world.northfield.uuid} and events[3].object_uuid == world.trust.uuid
    assert events[3].detail["scope"] == "trust"


def test_the_reports_queries_do_not_grow_with_the_number_of_concerns(world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _report(world)
        return len(queries)

    known_term(world)
    few = count()
    child = ChildFactory(school=world.northfield)
    for _ in range(3):
        concern_by(world.teacher, ChildFactory(school=world.northfield), with_file=False)
    concern_by(world.teacher, child, indicators=("SIG-PHONES", "ABUSE-NEGLECT"), with_file=False)

    assert count() == few


def test_a_period_a_report_cannot_cover_is_refused_in_words(world):
    today = date(2026, 12, 4)
    assert period_from({}, today=today) == term("autumn-2026")
    assert period_from({"period": "spring-2027"}, today=today).last == date(2027, 3, 31)
    for params in (
        {"from": "2026-10-01", "to": "2026-09-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},
        {"from": "x"},
    ):
        with pytest.raises(PeriodRefused):
            period_from(params, today=today)
    page = signed_in_client(world.dsl).get(
        f"/reports/schools/{world.northfield.uuid}/", {"from": "2026-10-01", "to": "2026-09-01"}
    )
    assert page.status_code == 400 and "The period ends before it starts." in page.content.decode()


# The trust lead's oversight -----------------------------------------------------------------------------------


def _with_dsl(school, *, trained_on):
    user = UserFactory()
    MembershipFactory(user=user, school=school, role=Role.DSL, dsl_trained_on=trained_on)
    return user


def test_the_trust_leads_home_puts_no_dsl_then_training_overdue_then_a_rise_above_the_rest(world):
    with time_machine.travel("2026-12-04 11:00 +0000", tick=False):
        Membership.objects.filter(school=world.riverside, role=Role.DSL).update(is_active=False)
        Membership.objects.filter(user=world.dsl, school=world.northfield).update(dsl_trained_on=date(2024, 6, 1))
        rising = SchoolFactory(trust=world.trust, name="Ashby Church School")
        steady = SchoolFactory(trust=world.trust, name="Aardvark Infants")
        for school in (rising, steady):
            _with_dsl(school, trained_on=date(2026, 1, 10))
        author = MembershipFactory(school=rising, role=Role.STAFF).user
        for n in range(6):
            concern = concern_by(author, ChildFactory(school=rising), with_file=False)
            _place(concern, recorded=_at(f"2026-10-{10 + n}"), acknowledged_after=HOUR, due_after=24 * HOUR)
        concern = concern_by(author, ChildFactory(school=rising), with_file=False)
        _place(concern, recorded=_at("2025-10-10"), acknowledged_after=HOUR, due_after=24 * HOUR)

        schools = [steady, rising, world.northfield, world.riverside]
        rows = trust_oversight(schools=schools)
        home = signed_in_client(world.trustlead).get("/").content.decode()

    assert [row.school for row in rows] == [world.riverside, world.northfield, rising, steady]
    assert [row.reasons for row in rows] == [
        ["No active DSL"],
        ["DSL training overdue"],
        ["Concerns up on last year"],
        [],
    ]
    assert (rows[2].term, rows[2].term_before, rows[2].in_time, rows[2].acknowledged) == (6, 1, 6, 6)
    assert rows[2].trend[-3] == 6
    names = re.findall(r'<tr class="trust-school">\s*<th scope="row"><a href="([^"]+)">([^<]+)</a>', home)
    assert [name for _, name in names] == [world.riverside.name, world.northfield.name, rising.name, steady.name]
    assert names[0][0] == f"/reports/schools/{world.riverside.uuid}/"
    assert 'class="sparkline"' in home and "Concerns each month from Jan 2026 to Dec 2026" in home
