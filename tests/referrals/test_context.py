"""The people, vehicles, places and accounts around children: recorded by staff, confirmed by a DSL as one entity of
the trust, undone with a reason."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from referrals.models import ContextEntity, ContextLink
from referrals.selectors.context import context_matches
from referrals.services.context import (
    ContextRefused,
    context_link_confirm,
    context_link_undo,
    context_mention_add,
)
from safeguarding.audit.models import AuditEvent
from tests.factories import ChildFactory, ConcernFactory


def car(world, school, author, registration):
    concern = ConcernFactory(child=ChildFactory(school=school), author=author)
    return context_mention_add(
        actor=author,
        context=None,
        concern=concern,
        kind="vehicle",
        values={"registration": registration, "make": "Ford", "colour": "silver"},
    )


def test_one_car_typed_two_ways_at_two_schools_is_offered_as_one_entity(world):
    northfield = car(world, world.northfield, world.teacher, "ab12 cde")
    riverside = car(world, world.riverside, world.riverside_teacher, "AB12CDE")
    assert northfield.key == riverside.key == "AB12CDE"

    _mention, offered = context_matches(user=world.dsl, context=None, mention_uuid=northfield.uuid)
    assert offered == []
    first = context_link_confirm(actor=world.dsl, context=None, mention=northfield)
    _mention, offered = context_matches(user=world.riverside_dsl, context=None, mention_uuid=riverside.uuid)
    assert offered == [first.entity]
    second = context_link_confirm(actor=world.riverside_dsl, context=None, mention=riverside, entity=offered[0])

    assert ContextEntity.objects.count() == 1 and second.entity == first.entity
    events = AuditEvent.objects.filter(object_type="context_link")
    assert events.count() == 2 and not any("AB12" in str(event.detail) for event in events)


def test_only_the_schools_safeguarding_team_confirms_and_no_one_outside_sees_the_mention(world):
    mention = car(world, world.northfield, world.teacher, "AB12CDE")
    with pytest.raises(PermissionDenied):
        context_link_confirm(actor=world.teacher, context=None, mention=mention)
    with pytest.raises(Http404):
        context_matches(user=world.riverside_dsl, context=None, mention_uuid=mention.uuid)
    with pytest.raises(Http404):
        context_matches(user=world.teacher, context=None, mention_uuid=mention.uuid)
    with pytest.raises(PermissionDenied):
        context_mention_add(
            actor=world.teacher2, context=None, concern=mention.concern, kind="handle", values={"handle": "x"}
        )


def test_a_wrong_link_undone_with_a_reason_keeps_both_in_the_history(world):
    mention = car(world, world.northfield, world.teacher, "AB12CDE")
    link = context_link_confirm(actor=world.dsl, context=None, mention=mention)
    with pytest.raises(ContextRefused, match="linked already"):
        context_link_confirm(actor=world.deputy, context=None, mention=mention)
    with pytest.raises(ContextRefused, match="reason"):
        context_link_undo(actor=world.deputy, context=None, link=link, reason="  ")
    context_link_undo(actor=world.deputy, context=None, link=link, reason="The teacher misread the plate.")
    again = context_link_confirm(actor=world.dsl, context=None, mention=mention)

    history = list(ContextLink.objects.filter(mention=mention))
    assert history == [link, again]
    assert history[0].undone_by == world.deputy and history[0].undo_reason and history[1].standing


def test_the_childs_own_home_is_never_a_place_of_concern(world):
    child = ChildFactory(school=world.northfield, address="14 Canal Terrace, Northfield")
    concern = ConcernFactory(child=child, author=world.teacher)
    with pytest.raises(ContextRefused, match="own home"):
        context_mention_add(
            actor=world.teacher, context=None, concern=concern, kind="place", values={"name": "14 canal terrace"}
        )
    place = context_mention_add(
        actor=world.teacher,
        context=None,
        concern=concern,
        kind="place",
        values={"name": "", "postcode_district": "nf4 2qp"},
    )
    assert place.postcode_district == "NF4" and place.key == "district:NF4"
    with pytest.raises(ContextRefused, match="enough"):
        context_mention_add(actor=world.teacher, context=None, concern=concern, kind="person", values={"name": " "})


def test_disposing_of_a_file_takes_its_mentions_and_an_entity_no_other_file_holds(
    world, django_capture_on_commit_callbacks
):
    from datetime import date

    from referrals.models import RetentionReview
    from referrals.services.retention import file_disposal_confirm, file_disposal_propose, reviews_queue

    former = ChildFactory(school=world.northfield, date_of_birth=date(1995, 5, 1))
    alone = context_mention_add(
        actor=world.teacher,
        context=None,
        concern=ConcernFactory(child=former, author=world.teacher),
        kind="handle",
        values={"platform": "Snapchat", "handle": "@quiet_one"},
    )
    shared = car(world, world.northfield, world.teacher, "AB12CDE")
    shared_too = context_mention_add(
        actor=world.teacher, context=None, concern=alone.concern, kind="vehicle", values={"registration": "ab12cde"}
    )
    for mention in (alone, shared, shared_too):
        context_link_confirm(actor=world.dsl, context=None, mention=mention)
    reviews_queue()
    review = RetentionReview.objects.get(child=former)
    file_disposal_propose(actor=world.dsl, context=None, review=review, rationale="Reviewed at 25.")
    with django_capture_on_commit_callbacks(execute=True):
        file_disposal_confirm(actor=world.dpo, context=None, review=review)

    assert list(ContextEntity.objects.values_list("key", flat=True)) == ["AB12CDE"]
    assert ContextLink.objects.count() == 1


def test_both_dsls_confirming_fires_one_alert_for_the_trust_lead_and_an_undone_link_closes_it(world):
    from referrals.models import ContextAlert, Notification

    northfield = car(world, world.northfield, world.teacher, "ab12 cde")
    riverside = car(world, world.riverside, world.riverside_teacher, "AB12CDE")
    first = context_link_confirm(actor=world.dsl, context=None, mention=northfield)
    assert not ContextAlert.objects.exists()
    context_link_confirm(actor=world.riverside_dsl, context=None, mention=riverside, entity=first.entity)

    alert = ContextAlert.objects.get()
    assert set(alert.children.all()) == {northfield.concern.child, riverside.concern.child}
    assert set(alert.concerns.all()) == {northfield.concern, riverside.concern}
    told = Notification.objects.filter(context_alert=alert)
    assert told.filter(recipient=world.trustlead).count() == 1
    assert {n.recipient for n in told} >= {world.dsl, world.riverside_dsl, world.trustlead}

    context_link_undo(actor=world.dsl, context=None, link=first, reason="A different car: the plate was misread.")
    alert.refresh_from_db()
    assert alert.closed_at is not None and "undone" in alert.close_reason
    assert ContextLink.objects.filter(entity=first.entity).count() == 2


def test_links_further_apart_than_the_trusts_window_raise_no_alert(world):
    from datetime import timedelta

    from django.utils import timezone

    from referrals.models import ContextAlert

    old = car(world, world.northfield, world.teacher, "AB12CDE")
    old.concern.observed_at = timezone.now() - timedelta(days=200)
    old.concern.save(update_fields=["observed_at"])
    new = car(world, world.northfield, world.teacher, "AB12CDE")
    link = context_link_confirm(actor=world.dsl, context=None, mention=old)
    context_link_confirm(actor=world.dsl, context=None, mention=new, entity=link.entity)
    assert not ContextAlert.objects.exists()
    world.trust.context_window_days = 365
    world.trust.save()
    link.entity.refresh_from_db()
    from referrals.services.context import context_alert_evaluate

    assert context_alert_evaluate(entity=link.entity, actor=None, context=None) is not None


def test_the_transfer_package_and_a_subject_access_request_carry_the_car_marked_for_redaction(world):
    from datetime import date

    from referrals.access_pack import file_for_request, redacted
    from referrals.services.access_requests import access_request_log
    from referrals.transfer_package import file_items

    mention = car(world, world.northfield, world.teacher, "AB12CDE")
    link = context_link_confirm(actor=world.dsl, context=None, mention=mention)
    child = mention.concern.child

    carried = file_items(child)["context"]
    assert [row["registration"] for row in carried] == ["AB12CDE"]
    assert carried[0]["links"][0]["entity"] == link.entity.label

    request = access_request_log(
        actor=world.dsl,
        context=None,
        child=child,
        requester_name="A Parent",
        requester="parent",
        requester_address="",
        identity_check="Known.",
        received_on=date.today(),
        identity_confirmed_on=date.today(),
        fee_received_on=None,
    )
    proposed = request.redactions.get(item_kind="context")
    assert proposed.item_uuid == mention.uuid and proposed.whole_item and proposed.proposed_automatically
    items = file_for_request(child)
    assert any(item.kind == "context" for item in items)
    assert not any(item.kind == "context" for item in redacted(items, list(request.redactions.all())))
