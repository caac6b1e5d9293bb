"""A third party's data (the registration of a car around a pupil) never reaches staff, school admins or the auditor,
on any page of the site or in an export, except on the concern where the teacher typed it; and it does reach the
safeguarding team's and the trust lead's entity pages."""

import pytest
from django.test import Client

from tests.personas import current_code, signed_in_client
from tests.urlmap import CANARY_PLATE, POST_BODIES, build_scene, site_patterns

KEPT_FROM = {"anonymous", "teacher", "teacher2", "admin", "office", "riverside_teacher", "riverside_office", "auditor"}
SHOWN_TO = {"dsl", "deputy", "trustlead"}
FORMS = {CANARY_PLATE, CANARY_PLATE.replace(" ", ""), CANARY_PLATE.lower()}


def _holds(response) -> bool:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode(errors="replace")
    return any(form in text for form in FORMS)


@pytest.mark.parametrize("persona", sorted(KEPT_FROM | SHOWN_TO))
def test_the_car_around_a_pupil_reaches_only_the_safeguarding_team(world, persona):
    scene = build_scene(world)
    client = Client() if persona == "anonymous" else signed_in_client(world.people[persona])
    seen_on = set()
    for name, pattern in site_patterns():
        if name in POST_BODIES or name in ("logout",):
            continue
        response = client.get(scene.url(pattern))
        if response.status_code == 200 and _holds(response):
            seen_on.add(name)
    if persona == "teacher":
        assert seen_on == {"concern_detail"}  # the concern on which the teacher typed it, and nowhere else
    elif persona in KEPT_FROM:
        assert seen_on == set()
    else:
        assert "context_entity" in seen_on


def test_an_export_holds_no_entity(world):
    build_scene(world)
    admin = signed_in_client(world.admin)
    response = admin.post(
        "/exports/", {"purpose": "Termly return to the governors", "format": "csv", "code": current_code(world.admin)}
    )
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and b"Turner" in content  # the scene's pupil's referral is in it
    assert not any(form.encode() in content for form in FORMS)
