"""The concern form's signs checklist is kept rendered only while untouched (nothing ticked, no basis, no error):
that list is built from the taxonomy alone, so it is the same for everyone. These tests show that a checklist
with anything of a person's in it is rendered for that person only and never kept, that a kept one is exactly
what rendering would give, and that the form's page records the same events whether its checklist was kept."""

import re

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string

from referrals.checklist import TEMPLATE, untouched_key
from referrals.forms.concerns import ConcernForm
from referrals.selectors.concerns import indicator_categories
from safeguarding.audit.models import AuditEvent
from tests.factories import ChildFactory
from tests.personas import signed_in_client

CHECKED_RADIO = re.compile(r'type="radio" class="btn-check"[^>]* checked')


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def checklist_of(page: str) -> str:
    return page.split('id="sign-search-result"')[1].split('id="fgm-duty"')[0]


def test_the_untouched_checklist_is_kept_and_is_what_rendering_gives(world):
    first = checklist_of(signed_in_client(world.teacher).get("/concerns/new/").content.decode())
    form = ConcernForm(categories=indicator_categories())
    key = untouched_key(form)

    assert key is not None and cache.get(key) is not None
    second = checklist_of(signed_in_client(world.teacher2).get("/concerns/new/").content.decode())
    assert first == second
    assert str(render_to_string(TEMPLATE, {"form": form})).strip() in second
    assert not CHECKED_RADIO.search(second)


@pytest.mark.parametrize("fresh_first", [True, False])
def test_a_teachers_ticked_signs_reach_only_them_and_are_never_kept(world, fresh_first):
    other = signed_in_client(world.teacher2)
    if fresh_first:
        other.get("/concerns/new/")  # the untouched checklist is kept
    author = signed_in_client(world.teacher)
    author.post(
        "/concerns/draft/",
        {"school": str(world.northfield.uuid), "sign": ["SIG-CARS"], "ind_SIG-CARS": "seen"},
    )

    mine = checklist_of(author.get("/concerns/new/").content.decode())
    theirs = checklist_of(other.get("/concerns/new/").content.decode())

    assert re.search(r'value="seen" id="id_ind_SIG-CARS_\d+" autocomplete="off" checked', mine)
    assert not CHECKED_RADIO.search(theirs)
    assert 'value="SIG-CARS" id="sign-SIG-CARS" checked' not in theirs
    drafted = ConcernForm(initial={"sign": ["SIG-CARS"], "ind_SIG-CARS": "seen"}, categories=indicator_categories())
    assert untouched_key(drafted) is None


def test_a_form_sent_back_with_a_problem_is_rendered_for_its_sender_and_not_kept(world):
    client = signed_in_client(world.teacher)
    page = client.get("/concerns/new/").content.decode()
    key = page.split('name="submission_key" value="')[1].split('"')[0]

    sent_back = client.post(
        "/concerns/new/",
        {"school": str(world.northfield.uuid), "submission_key": key, "ind_SIG-GIFTS": "professional"},
    )

    assert sent_back.status_code == 400
    assert re.search(
        r'value="professional" id="id_ind_SIG-GIFTS_\d+" autocomplete="off" checked', sent_back.content.decode()
    )
    bound = ConcernForm({"ind_SIG-GIFTS": "professional"}, categories=indicator_categories())
    assert untouched_key(bound) is None
    fresh = checklist_of(signed_in_client(world.teacher2).get("/concerns/new/").content.decode())
    assert not CHECKED_RADIO.search(fresh)


def test_the_form_records_the_same_events_whether_its_checklist_was_kept_or_not(world):
    pupil = ChildFactory(school=world.northfield)
    client = signed_in_client(world.teacher)
    page = client.get("/concerns/new/").content.decode()
    key = page.split('name="submission_key" value="')[1].split('"')[0]
    client.post(
        "/concerns/new/", {"school": str(world.northfield.uuid), "submission_key": key, "add_child": pupil.uuid}
    )
    cache.clear()

    def one_visit():
        before = set(AuditEvent.objects.values_list("pk", flat=True))
        page = client.get("/concerns/new/").content.decode()
        fresh = AuditEvent.objects.exclude(pk__in=before)
        return page, sorted((event.event_type, event.object_type, event.child_uuid) for event in fresh)

    rendered_page, rendered = one_visit()  # the checklist rendered, then kept
    kept_page, kept = one_visit()  # the checklist from the cache

    assert rendered == kept
    # What is the teacher's own (the child chosen) is rendered for them on each visit, around the kept checklist.
    assert pupil.display_name in rendered_page and pupil.display_name in kept_page
    assert checklist_of(rendered_page) == checklist_of(kept_page)
