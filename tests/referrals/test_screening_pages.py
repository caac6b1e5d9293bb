"""The screening's pages as the DSL uses them: the form filled from the file, the nudge on blaming words, the record,
the file's trend, and the demo's build-up child."""

import json
import re
from html import escape
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from referrals.models import Child, Concern, Screening, ScreeningTool
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEvent
from tests.factories import ChildFactory, ConcernFactory
from tests.personas import signed_in_client


def form_data(page: str) -> dict:
    """The form as the browser would send it untouched: the ticked boxes, the filled fields, the hidden tool."""
    data = {"csrfmiddlewaretoken": "x"}
    for name, value in re.findall(r'<input type="text" name="([^"]+)" value="([^"]*)"', page):
        data[name] = value
    for name in re.findall(
        r'<input class="form-check-input screening-item" type="checkbox" name="([^"]+)"[^>]* checked', page
    ):
        data[name] = "on"
    for select in re.findall(r'<select name="([^"]+-basis)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', select[1])
        data[select[0]] = chosen.group(1) if chosen else ""
    data["tool"] = re.search(r'name="tool" value="(\d+)"', page).group(1)
    return data


def test_the_dsl_screens_from_the_file_is_nudged_once_and_the_screening_is_on_the_file(world):
    child = ChildFactory(school=world.northfield)
    concern = ConcernFactory(child=child, author=world.teacher, indicators=("SIG-GIFTS", "SIG-CARS"))
    client = signed_in_client(world.dsl)
    assert "Start an exploitation screening" in client.get(f"/children/{child.uuid}/").content.decode()

    page = client.get(f"/children/{child.uuid}/screenings/new/").content.decode()
    assert concern.reference in page and world.teacher.full_name in page
    data = form_data(page)
    assert data["money-and-gifts-present"] == "on" and data["cars-present"] == "on" and "missing-present" not in data
    data["narrative"] = "She is putting herself at risk by getting into the car."
    nudged = client.post(f"/children/{child.uuid}/screenings/new/", data)
    assert nudged.status_code == 200 and "putting herself at risk" in nudged.content.decode()
    assert "She is putting herself at risk" in nudged.content.decode()  # what was typed stays
    assert not Screening.objects.exists()

    data["narrative"] = "An unknown adult picks her up in a car and gives her gifts: likely grooming."
    data["band"] = "low"
    refused = client.post(f"/children/{child.uuid}/screenings/new/", data)
    assert refused.status_code == 400 and "say why" in refused.content.decode()
    assert AuditEvent.objects.filter(object_type="screening", outcome="refused").count() == 1

    data["band"] = ""
    saved = client.post(f"/children/{child.uuid}/screenings/new/", data)
    screening = Screening.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/screenings/{screening.uuid}/"
    assert screening.score == 5 and screening.band == "medium" and screening.tool.name == "safeguard-exploitation@1"
    detail = client.get(saved["Location"]).content.decode()
    assert "Medium: at risk of exploitation" in detail and concern.reference in detail and "About this score" in detail
    assert "none of the sources" in detail  # the validation disclaimer (R8.9)
    file_page = client.get(f"/children/{child.uuid}/").content.decode()
    assert "Exploitation screenings" in file_page and screening.band_label in file_page
    assert not AuditEvent.objects.filter(object_type="screening", detail__icontains="grooming").exists()


def test_a_teacher_and_another_school_cannot_open_the_screening(world):
    child = ChildFactory(school=world.northfield)
    assert signed_in_client(world.teacher).get(f"/children/{child.uuid}/screenings/new/").status_code in (403, 404)
    assert signed_in_client(world.riverside_dsl).get(f"/children/{child.uuid}/screenings/new/").status_code == 404
    trust_lead = signed_in_client(world.trustlead)
    assert trust_lead.get(f"/children/{child.uuid}/screenings/new/").status_code == 403


def test_the_dsl_chooses_the_schools_tool_and_the_trust_lead_the_trusts(world, tmp_path):
    local = tmp_path / "local.yaml"
    from referrals.screening_tools import TOOLS

    local.write_text(
        (TOOLS / "safeguard-exploitation.yaml")
        .read_text()
        .replace("tool: safeguard-exploitation", "tool: northshire-cse")
    )
    call_command("screening_tool_load", str(local), stdout=StringIO())
    dsl = signed_in_client(world.dsl)
    page = dsl.get("/screening/tools/").content.decode()
    assert "northshire-cse" in page and "The trust&#x27;s choice" in page
    school = str(world.northfield.uuid)
    assert dsl.post("/screening/tools/", {"scope": school, "tool_id": "northshire-cse"}).status_code == 302
    world.northfield.refresh_from_db()
    assert world.northfield.screening_tool == "northshire-cse"
    assert dsl.post("/screening/tools/", {"scope": "trust", "tool_id": "northshire-cse"}).status_code == 403
    lead = signed_in_client(world.trustlead)
    assert lead.post("/screening/tools/", {"scope": "trust", "tool_id": "northshire-cse"}).status_code == 302
    world.trust.refresh_from_db()
    assert world.trust.screening_tool == "northshire-cse"
    assert signed_in_client(world.teacher).get("/screening/tools/").status_code == 403


def test_the_demos_build_up_child_is_prefilled_with_each_sign_its_concern_author_and_date_and_has_a_trend(db):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # twice adds nothing
    story = Concern.objects.filter(incident__submission_key__startswith="demo-story-").select_related("author")
    child = Child.objects.get(pk=story.first().child_id)
    dsl = User.objects.get(email="dsl@northfield.example")
    client = signed_in_client(dsl)
    page = client.get(f"/children/{child.uuid}/screenings/new/").content.decode()

    expected = {
        "SIG-GIFTS": "money-and-gifts",
        "SIG-OLDER-PARTNER": "older-people",
        "SIG-SECRET-PHONE": "phones-and-online",
        "SIG-MISSING": "missing",
        "SIG-TRUANCY": "missing-education",
        "SIG-CARS": "cars",
        "SIG-OLDER-GROUPS": "older-people",
    }
    item = r'name="([a-z-]+)-present".*?(?=<input class="form-check-input screening-item"|id="judgement-heading")'
    cards = {match.group(1): match.group(0) for match in re.finditer(item, page, re.S)}
    for concern in story:
        for ticked in concern.indicators.select_related("indicator"):
            card = cards[expected[ticked.indicator.code]]
            line = (
                f"{concern.reference}</a>, {escape(concern.author.full_name)}, "
                f"{timezone.localtime(concern.observed_at):%-d %b %Y}: "
            )
            assert line in card and escape(ticked.label_at_time) in card, (ticked.indicator.code, concern.reference)
    assert "KX19RWT grey Vauxhall Astra" in cards["shared-network"]

    screenings = list(Screening.objects.filter(child=child).order_by("done_at"))
    assert len(screenings) == 3 and [s.band for s in screenings] == ["medium", "high", "high"]
    assert [s.score for s in screenings] == sorted(s.score for s in screenings)
    file_page = client.get(f"/children/{child.uuid}/").content.decode()
    trend = json.loads(
        re.search(r'<script id="screening-chart-data" type="application/json">(.*?)</script>', file_page).group(1)
    )
    assert [point["score"] for point in trend["points"]] == [s.score for s in screenings]
    rows = re.findall(r'<tr><td><a href="/screenings/([0-9a-f-]+)/">', file_page)
    assert rows == [str(s.uuid) for s in screenings]
    assert ScreeningTool.objects.count() == 1
