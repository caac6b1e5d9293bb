"""The people, vehicles, places and accounts around children, through the pages: recording, linking, the alert as
each reader sees it, the entity's page and the network."""

import json
import re

import pytest

from referrals.models import ContextAlert, ContextEntity, ContextLink, ContextMention
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.factories import ChildFactory, ConcernFactory
from tests.personas import signed_in_client


@pytest.fixture
def two_schools(world):
    """A Northfield girl and a Riverside boy, each with a concern by their teacher."""
    mia = ChildFactory(school=world.northfield, legal_first_name="Mia", legal_last_name="Sorensen")
    leo = ChildFactory(school=world.riverside, legal_first_name="Leo", legal_last_name="Brannigan")
    return (
        ConcernFactory(child=mia, author=world.teacher),
        ConcernFactory(child=leo, author=world.riverside_teacher),
    )


def add_car(client, concern, registration):
    return client.post(
        f"/concerns/{concern.uuid}/context/",
        {"kind": "vehicle", "registration": registration, "make": "Vauxhall Corsa", "colour": "black"},
    )


def test_two_teachers_two_schools_one_car_one_alert_each_dsl_sees_only_their_own_child(world, two_schools):
    mia_concern, leo_concern = two_schools
    teacher, riverside_teacher = signed_in_client(world.teacher), signed_in_client(world.riverside_teacher)
    assert add_car(teacher, mia_concern, "ab12 cde").status_code == 302
    assert add_car(riverside_teacher, leo_concern, "AB12CDE").status_code == 302
    assert "ab12 cde" in teacher.get(f"/concerns/{mia_concern.uuid}/").content.decode().lower()

    dsl, riverside_dsl = signed_in_client(world.dsl), signed_in_client(world.riverside_dsl)
    mia_mention = ContextMention.objects.get(concern=mia_concern)
    dsl.post(f"/context/mentions/{mia_mention.uuid}/link/", {"entity": "new"})
    entity = ContextEntity.objects.get()
    review = riverside_dsl.get(f"/queue/{leo_concern.uuid}/").content.decode()
    assert review.count("The same as") == 1 and entity.label in review  # one entity offered, for the two spellings
    leo_mention = ContextMention.objects.get(concern=leo_concern)
    riverside_dsl.post(f"/context/mentions/{leo_mention.uuid}/link/", {"entity": str(entity.uuid)})

    assert ContextAlert.objects.count() == 1
    trust_home = signed_in_client(world.trustlead).get("/").content.decode()
    assert "Mia Sorensen" in trust_home and "Leo Brannigan" in trust_home
    northfield_queue = dsl.get("/queue/").content.decode()
    assert "Mia Sorensen" in northfield_queue and "Leo Brannigan" not in northfield_queue
    assert "1 child at another school" in northfield_queue
    riverside_queue = riverside_dsl.get("/queue/").content.decode()
    assert "Leo Brannigan" in riverside_queue and "Mia Sorensen" not in riverside_queue
    northfield_entity = dsl.get(f"/context/{entity.uuid}/").content.decode()
    assert "Mia Sorensen" in northfield_entity and "Leo Brannigan" not in northfield_entity

    for path in (f"/context/{entity.uuid}/", f"/context/{entity.uuid}/network/"):
        assert teacher.get(path).status_code == 404
    refused = AuditEvent.objects.filter(
        event_type=EventType.ACCESS_REFUSED, user_uuid=world.teacher.uuid, outcome=Outcome.REFUSED
    )
    assert refused.count() == 2


def test_a_teacher_sees_only_what_they_typed_themselves(world, two_schools):
    mia_concern, _leo = two_schools
    add_car(signed_in_client(world.teacher), mia_concern, "AB12CDE")
    signed_in_client(world.dsl).post(
        f"/concerns/{mia_concern.uuid}/context/", {"kind": "person", "name": "Kez", "approximate_age": "20s"}
    )
    page = signed_in_client(world.teacher).get(f"/concerns/{mia_concern.uuid}/").content.decode()
    assert "AB12CDE" in page and "Kez" not in page


def test_the_network_and_its_table_hold_the_same_nodes_and_links(world, two_schools):
    mia_concern, leo_concern = two_schools
    for concern, author in ((mia_concern, world.teacher), (leo_concern, world.riverside_teacher)):
        add_car(signed_in_client(author), concern, "AB12CDE")
    dsl, riverside_dsl = signed_in_client(world.dsl), signed_in_client(world.riverside_dsl)
    dsl.post(f"/context/mentions/{ContextMention.objects.get(concern=mia_concern).uuid}/link/", {"entity": "new"})
    entity = ContextEntity.objects.get()
    riverside_dsl.post(
        f"/context/mentions/{ContextMention.objects.get(concern=leo_concern).uuid}/link/", {"entity": str(entity.uuid)}
    )

    page = signed_in_client(world.trustlead).get(f"/context/{entity.uuid}/network/").content.decode()
    data = json.loads(re.search(r'<script id="network-data" type="application/json">(.*?)</script>', page).group(1))
    labels = {node["label"] for node in data["nodes"]}
    assert {"Mia Sorensen", "Leo Brannigan", mia_concern.reference, leo_concern.reference, entity.label} == labels
    table = set(re.findall(r'<tr data-from="([^"]+)" data-to="([^"]+)">', page))
    assert table == {(edge["from"], edge["to"]) for edge in data["edges"]} and len(table) == 4

    northfield = dsl.get(f"/context/{entity.uuid}/network/").content.decode()
    assert "Mia Sorensen" in northfield and "Leo Brannigan" not in northfield and "A child at" in northfield


def test_a_wrong_link_undone_on_the_page_closes_the_alert_and_stays_in_the_history(world, two_schools):
    mia_concern, leo_concern = two_schools
    for concern, author in ((mia_concern, world.teacher), (leo_concern, world.riverside_teacher)):
        add_car(signed_in_client(author), concern, "AB12CDE")
    dsl, riverside_dsl = signed_in_client(world.dsl), signed_in_client(world.riverside_dsl)
    dsl.post(f"/context/mentions/{ContextMention.objects.get(concern=mia_concern).uuid}/link/", {"entity": "new"})
    entity = ContextEntity.objects.get()
    riverside_dsl.post(
        f"/context/mentions/{ContextMention.objects.get(concern=leo_concern).uuid}/link/", {"entity": str(entity.uuid)}
    )
    link = ContextLink.objects.get(mention__concern=leo_concern)
    riverside_dsl.post(f"/context/links/{link.uuid}/undo/", {"reason": ""})
    assert ContextLink.objects.get(pk=link.pk).standing
    riverside_dsl.post(f"/context/links/{link.uuid}/undo/", {"reason": "Another black Corsa: the teacher checked."})

    assert not ContextAlert.objects.filter(closed_at__isnull=True).exists()
    review = riverside_dsl.get(f"/queue/{leo_concern.uuid}/").content.decode()
    assert ("Another black Corsa" in review and "Confirm it as a new one" not in review) or "The same as" in review
    assert ContextLink.objects.filter(entity=entity).count() == 2


def test_the_entity_page_and_the_network_cost_the_same_queries_as_the_trust_grows(world, two_schools):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mia_concern, _leo = two_schools
    dsl = signed_in_client(world.dsl)
    add_car(signed_in_client(world.teacher), mia_concern, "AB12CDE")
    dsl.post(f"/context/mentions/{ContextMention.objects.get(concern=mia_concern).uuid}/link/", {"entity": "new"})
    entity = ContextEntity.objects.get()

    def cost(path):
        with CaptureQueriesContext(connection) as queries:
            assert dsl.get(path).status_code == 200
        return len(queries)

    paths = [
        f"/context/{entity.uuid}/",
        f"/context/{entity.uuid}/network/",
        f"/children/{mia_concern.child.uuid}/network/",
    ]
    before = [cost(path) for path in paths]
    for _ in range(6):
        concern = ConcernFactory(child=ChildFactory(school=world.northfield), author=world.teacher)
        add_car(signed_in_client(world.teacher), concern, "AB12CDE")
        mention = ContextMention.objects.get(concern=concern)
        dsl.post(f"/context/mentions/{mention.uuid}/link/", {"entity": str(entity.uuid)})
    assert [cost(path) for path in paths] == before
