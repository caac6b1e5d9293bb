"""No page names a child outside the reader's schools, audit pages included, even after refused probes.

The permission matrix rolls each cell's events back, so it cannot see what one person's refusal later shows to
another. Here the probes are kept first (the Riverside DSL and another trust's DSL asking for a Northfield
child's file, and for a UUID that names nothing), then every page of the matrix is asked for as every persona, and
no response may carry the name or UPN of a child of a school the persona does not reach.
"""

import uuid

import pytest
from django.db import transaction
from django.test import Client

from referrals.upn import make_upn
from safeguarding.accounts.access import schools_for_user
from safeguarding.accounts.roles import Role
from tests.concerns import concern_by
from tests.factories import ChildFactory
from tests.personas import signed_in_client
from tests.urlmap import PERSONAS, POST_BODIES, build_scene, site_patterns


def _pupil(school, first, last, serial):
    return ChildFactory(
        school=school,
        legal_first_name=first,
        legal_last_name=last,
        preferred_name=f"{first}ie",
        upn=make_upn(la_code=873, establishment=8203, year=2019, serial=serial),
    )


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")


@pytest.fixture
def probed_world(world):
    """The matrix's scene, a pupil with a concern at each school, and refused probes already on record."""
    scene = build_scene(world)
    scene.pupil.upn = make_upn(la_code=873, establishment=8203, year=2019, serial=1)
    scene.pupil.save(update_fields=["upn"])
    pupils = [
        scene.pupil,
        _pupil(world.riverside, "Orla", "Pennington", 2),
        _pupil(world.elsewhere, "Zebedee", "Quartermaine", 3),
    ]
    concern_by(world.riverside_teacher, pupils[1])
    for prober in ("riverside_dsl", "elsewhere_dsl"):
        client = signed_in_client(world.people[prober])
        for asked in (scene.pupil.uuid, uuid.uuid4()):
            assert client.get(f"/children/{asked}/").status_code == 404
            assert client.get(f"/children/{asked}/access/").status_code == 404
    return scene, pupils


def _out_of_scope_marks(user, pupils) -> dict[str, str]:
    """What would identify each child the person may not see: names and UPN."""
    reach = set(schools_for_user(user=user, roles=set(Role)).values_list("pk", flat=True)) if user else set()
    marks = {}
    for pupil in pupils:
        if pupil.school_id not in reach:
            for mark in filter(None, (pupil.legal_first_name, pupil.legal_last_name, pupil.preferred_name, pupil.upn)):
                marks[mark] = f"{pupil.legal_first_name} {pupil.legal_last_name}"
    return marks


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_names_a_child_outside_the_readers_schools(world, probed_world, persona):
    scene, pupils = probed_world
    user = None if persona == "anonymous" else world.people[persona]
    marks = _out_of_scope_marks(user, pupils)
    leaks = []
    pages = [(name, scene.url(pattern)) for name, pattern in site_patterns()]
    pages.append(("audit_log (filtered to refusals)", "/audit/"))
    for name, url in pages:
        with transaction.atomic():
            client = Client() if user is None else signed_in_client(user)
            if name.startswith("audit_log ("):
                response = client.post(url, {"outcome": "refused"})
            elif name in POST_BODIES:
                response = client.post(url, POST_BODIES[name])
            else:
                response = client.get(url)
            body = _body(response)
            leaks += [f"{name} shows {child} ({mark!r})" for mark, child in marks.items() if mark in body]
            transaction.set_rollback(True)
    assert not leaks, f"{persona}: " + "; ".join(leaks)


def test_the_probes_are_on_every_page_that_should_show_them(world, probed_world):
    """The check above is only worth something if the refusals are there to be seen."""
    scene, _ = probed_world

    riverside_trail = signed_in_client(world.riverside_dsl).post("/audit/", {"outcome": "refused"})
    northfield_access = signed_in_client(world.dsl).get(f"/children/{scene.pupil.uuid}/access/")

    assert riverside_trail.content.decode().count("Access refused") >= 4
    body = northfield_access.content.decode()
    assert world.riverside_dsl.full_name in body and world.elsewhere_dsl.full_name in body
