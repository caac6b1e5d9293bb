"""The body map: marks placed on a front and back outline, stored with the concern once and never changed, shown to
the DSL and drawn in both PDFs."""

import io
import re

import pypdfium2
import pytest
import time_machine
from django.db import DatabaseError, transaction
from django.utils import timezone
from PIL import ImageChops

from referrals import body_map
from referrals.body_map import MarkEntry, mark_at_region, marks_clean, region_at, region_point
from referrals.models import BodyMark, ConcernDraft
from referrals.services.concerns import concern_submit
from tests.concerns import concern_submission
from tests.factories import ChildFactory
from tests.personas import signed_in_client
from tests.referrals.test_concern_form import form_data, start

TAPPED = {"side": "front", "region": "left_forearm", "x": "153", "y": "190", "kind": "bruise"}
FROM_LIST = {"side": "back", "region": "trunk", "x": "100", "y": "177", "kind": "mark"}


def marks_posted_as(*marks: dict) -> dict:
    """The mark_* lists the form sends, one value per mark in each."""
    names = ("side", "region", "x", "y", "kind", "size", "colour", "note")
    return {"marks_shown": "1", **{f"mark_{name}": [mark.get(name, "") for mark in marks] for name in names}}


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def submitted_with_marks(world, pupil, *marks: MarkEntry):
    submission = concern_submission(world.teacher, pupil, with_file=False)
    submission["data"].marks = list(marks)
    incident = concern_submit(**submission)
    return incident.concerns.get()


def two_marks() -> list[MarkEntry]:
    return marks_clean(
        [
            {**TAPPED, "size": "3 cm", "colour": "purple and yellow", "note": "Says she fell off her bike"},
            {**FROM_LIST, "size": "5 cm", "colour": "red", "note": "Finger-shaped"},
        ]
    )


def test_a_concern_with_two_marks_is_stored_and_shown_to_the_dsl_on_the_review_page_and_the_file(world, pupil):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupil)
    data = {
        **form_data(school=str(world.northfield.uuid), submission_key=key),
        **marks_posted_as(
            {**TAPPED, "size": "3 cm", "colour": "purple", "note": "Says she fell"},
            {**FROM_LIST, "size": "5 cm", "colour": "red", "note": ""},
        ),
    }

    response = client.post("/concerns/new/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    marks = list(BodyMark.objects.order_by("number"))
    assert [(mark.number, mark.side, mark.region, mark.x, mark.y, mark.kind) for mark in marks] == [
        (1, "front", "left_forearm", 153, 190, "bruise"),
        (2, "back", "trunk", 100, 177, "mark"),
    ]
    assert marks[0].size == "3 cm" and marks[0].colour == "purple" and marks[0].note == "Says she fell"
    concern = marks[0].concern
    dsl = signed_in_client(world.dsl)
    for page in (
        dsl.get(f"/queue/{concern.uuid}/").content.decode(),
        dsl.get(f"/children/{pupil.uuid}/").content.decode(),
    ):
        assert "Body map" in page
        assert "Front: Left forearm and wrist</strong>: bruise, 3 cm, purple. Says she fell" in page
        assert "Back: Lower back</strong>: mark, 5 cm, red" in page
        assert 'aria-label="Body map, front: mark 1, left forearm and wrist"' in page
        assert page.count('<g class="body-mark">') == 2


def test_a_mark_without_its_kind_is_named_in_the_error_summary_and_linked_to_its_question(world, pupil):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupil)
    data = {
        **form_data(school=str(world.northfield.uuid), submission_key=key),
        **marks_posted_as(TAPPED, {**FROM_LIST, "kind": ""}),
    }

    response = client.post("/concerns/new/", data)

    assert response.status_code == 400
    page = response.content.decode()
    summary = page.split('class="alert alert-danger error-summary"')[1].split("</div>")[0]
    assert re.search(r'<a href="#mark-2-kind"><strong>Mark 2 \(Back: Lower back\)</strong> Choose what kind', summary)
    assert 'id="mark-2-kind"' in page
    assert not BodyMark.objects.exists()
    # Both marks are kept for the next try, the first with its answer.
    assert page.count('name="mark_side"') == 2 + 1  # and the empty row the script copies


def test_without_a_pointer_a_mark_is_added_from_the_region_list_and_removed_again(world, pupil):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupil)
    school = str(world.northfield.uuid)

    page = client.post(
        "/concerns/new/",
        {"school": school, "submission_key": key, "add_mark": "1", "mark_region_choice": "back:left_hand"},
    ).content.decode()

    assert "Mark <span data-mark-number>1</span>: <span data-mark-where>Back: Left hand</span>" in page
    draft = ConcernDraft.objects.get(author=world.teacher)
    x, y = region_point("back", "left_hand")
    assert draft.data["marks"] == [
        {"side": "back", "region": "left_hand", "x": x, "y": y, "kind": "", "size": "", "colour": "", "note": ""}
    ]
    posted = {
        "school": school,
        "submission_key": key,
        "remove_mark": "1",
        **marks_posted_as({"side": "back", "region": "left_hand", "x": x, "y": y}),
    }
    client.post("/concerns/new/", posted)
    assert ConcernDraft.objects.get(author=world.teacher).data["marks"] == []


def test_a_body_map_belongs_to_a_concern_about_one_child(world, pupil):
    other = ChildFactory(school=world.northfield, legal_first_name="Kai", legal_last_name="Turner")
    client = signed_in_client(world.teacher)
    key = start(client, world, pupil, other)

    response = client.post(
        "/concerns/new/",
        {**form_data(school=str(world.northfield.uuid), submission_key=key), **marks_posted_as(TAPPED)},
    )

    assert response.status_code == 400
    assert "A body map is for one child" in response.content.decode()
    assert not BodyMark.objects.exists()


def test_marks_are_append_only(world, pupil):
    concern = submitted_with_marks(world, pupil, *two_marks())
    mark = concern.body_marks.first()

    for change in (lambda: BodyMark.objects.filter(pk=mark.pk).update(note="changed"), mark.delete):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()


def test_bad_marks_are_dropped_and_the_rest_numbered_in_order():
    marks = marks_clean(
        [
            {"side": "sideways", "region": "head", "x": 1, "y": 1},
            {"side": "front", "region": "tail", "x": 1, "y": 1},
            {"side": "front", "region": "head", "x": 999, "y": 1},
            {"side": "front", "region": "head", "x": "a", "y": 1},
            {"side": "front", "region": "head", "x": 100, "y": 30, "kind": "stab", "note": "x\x00" * 600},
        ]
    )

    assert [(mark.number, mark.region, mark.kind, len(mark.note)) for mark in marks] == [(1, "head", "", 500)]
    assert len(mark_at_region(marks, "front:nowhere")) == 1
    assert len(mark_at_region(marks, "front:head")) == 2


def test_a_point_is_placed_in_the_region_it_falls_in_on_either_side():
    # On the front the child's left is on the viewer's right; on the back it is on the viewer's left.
    assert region_at("front", 160, 200) == "left_forearm"
    assert region_at("back", 40, 200) == "left_forearm"
    assert region_at("front", 100, 30) == "head"
    for side in ("front", "back"):
        for shape in body_map.SHAPES:
            assert region_at(side, *region_point(side, shape.key)) == shape.key


def _text(content: bytes) -> str:
    return "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(io.BytesIO(content)))


def _page_images(content: bytes) -> list:
    document = pypdfium2.PdfDocument(io.BytesIO(content))
    return [document[index].render(scale=1.5).to_pil().convert("RGB") for index in range(len(document))]


def test_the_marks_are_drawn_in_the_child_file_pdf(world, pupil, monkeypatch):
    submitted_with_marks(world, pupil, *two_marks())
    dsl = signed_in_client(world.dsl)

    with time_machine.travel(timezone.now(), tick=False):  # one minute for both: the watermark names it
        with_marks = dsl.get(f"/children/{pupil.uuid}/pdf/").getvalue()
        monkeypatch.setattr(body_map, "marks_drawn", lambda marks, side: "")  # the same map with nothing drawn on it
        without = dsl.get(f"/children/{pupil.uuid}/pdf/").getvalue()

    drawn, blank = _page_images(with_marks), _page_images(without)
    assert len(drawn) == len(blank)
    differences = [ImageChops.difference(a, b).getbbox() for a, b in zip(drawn, blank, strict=True)]
    changed = [box for box in differences if box is not None]
    assert len(changed) == 1, "the marks should change one page, the one with the body map"
    left, top, right, bottom = changed[0]
    assert right - left > 20 and bottom - top > 20  # two numbered circles, some way apart
    # The PDF's text names each mark too.
    assert "Front: Left forearm and wrist" in _text(with_marks)


def test_the_marks_are_drawn_in_the_referral_pdf(world, pupil):
    from tests.concerns import referral_for

    referral = referral_for(world, pupil)
    concern = referral.shared_concerns.first()
    BodyMark.objects.bulk_create(
        BodyMark(concern=concern, number=mark.number, **mark.as_data()) for mark in two_marks()
    )

    content = signed_in_client(world.dsl).get(f"/referrals/{referral.uuid}/pdf/").getvalue()

    text = _text(content)
    assert "Body map" in text
    assert "Front: Left forearm and wrist" in text
