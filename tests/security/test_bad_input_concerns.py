"""Generated bad input for logging a concern: the form, its files, its draft, the child search and the addendum."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.forms.concerns import TEXT_LIMIT
from referrals.models import (
    Addendum,
    Attachment,
    BodyMark,
    Child,
    Concern,
    ConcernDraft,
    ConcernIndicator,
    Incident,
    Urgency,
)
from tests.concerns import concern_by, jpeg_bytes
from tests.factories import ChildFactory
from tests.personas import signed_in_client
from tests.security.bad_input import (
    answered,
    characters,
    corrupted,
    counts,
    fuzz,
    posted,
    recent,
    rolled_back,
    uuid_like,
)
from tests.stored import attachment as attachment_path

CONCERN_RECORDS = (Incident, Concern, ConcernIndicator, Attachment, BodyMark)
PROBLEM = "There is a problem"


@pytest.fixture
def jade(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


@pytest.fixture
def writing(world, jade):
    """The teacher has opened the form and chosen Jade; returns the client and the form's submission key."""
    client = signed_in_client(world.teacher)
    page = client.get("/concerns/new/").content.decode()
    key = page.split('name="submission_key" value="')[1].split('"')[0]
    client.post("/concerns/new/", {"school": str(world.northfield.uuid), "submission_key": key, "add_child": jade.uuid})
    return client, key


def concern_fields(world, key: str) -> dict:
    """Each field of the concern form, with values it accepts."""
    return {
        "school": st.just(str(world.northfield.uuid)),
        "submission_key": st.just(key),
        "observed_at": st.builds(recent),
        "location": st.sampled_from(["Bus stop", ""]),
        "account": st.sampled_from(["Saw Jade get into a silver car.", "Jade said she was scared to go home."]),
        "child_words": st.sampled_from(["", "He buys me stuff"]),
        "people_present": st.sampled_from(["", "Mr Reid"]),
        "action_taken": st.sampled_from(["", "Told the DSL."]),
        "dsl_told_in_person": st.sampled_from(["", "on"]),
        "urgency": st.sampled_from(Urgency.values),
        "unlisted_child_name": st.sampled_from(["", "Sam Cole"]),
        "unlisted_child_details": st.sampled_from(["", "Jade's cousin, at Riverside"]),
        "ind_SIG-GIFTS": st.sampled_from(["", "seen", "told", "professional"]),
        "ind_SIG-CARS": st.sampled_from(["", "seen"]),
        "sign": st.sampled_from(["", "SIG-GIFTS", "SIG-CARS"]),
        "marks_shown": st.just("1"),
        "mark_side": st.sampled_from(["front", "back"]),
        "mark_region": st.sampled_from(["left_forearm", "trunk"]),
        "mark_x": st.sampled_from(["100", "153"]),
        "mark_y": st.sampled_from(["177", "190"]),
        "mark_kind": st.sampled_from(["bruise", "mark", ""]),
        "mark_note": st.sampled_from(["", "Finger-shaped"]),
        "fgm_known_case": st.sampled_from(["", "yes", "no", "perhaps"]),
        "fgm_police_reported": st.sampled_from(["", "on"]),
        "fgm_police_reference": st.sampled_from(["", "WY-123"]),
    }


def valid_concern(world, key: str) -> dict:
    return {
        "school": str(world.northfield.uuid),
        "submission_key": key,
        "observed_at": recent(),
        "account": "Saw Jade get into a silver car.",
        "urgency": "today",
    }


CONCERN_EXTRAS = (
    "ind_NOT-A-CODE",
    "ind_",
    "ind_HOME-FGM",
    "attachments",
    "version",
    "mark_size",
    "mark_colour",
)


def assert_clean(*values):
    for value in values:
        assert "\x00" not in value


@fuzz
@given(data=st.data())
def test_concern_form(world, writing, data):
    client, key = writing
    body = data.draw(corrupted(concern_fields(world, key), extra=CONCERN_EXTRAS), label="body")
    with rolled_back():
        before = counts(*CONCERN_RECORDS)
        response = client.post("/concerns/new/", body)
        sent = answered(response) == 302
        after = counts(*CONCERN_RECORDS)
        if not sent:
            assert after == before
            # Refused with the form's message, or (a form from before the draft was replaced) shown the current
            # draft again, or a school the teacher does not belong to.
            assert PROBLEM in response.content.decode() or response.status_code in (200, 404)
            assert response.status_code != 200 or posted(body, "submission_key") != key
            return
        assert response["Location"].startswith("/concerns/submitted/")
        incident = Incident.objects.latest("pk")
        concerns = list(incident.concerns.all())
        assert after["Incident"] == before["Incident"] + 1
        assert after["Concern"] == before["Concern"] + len(concerns)
        assert len(concerns) in (1, 2)
        for concern in concerns:
            assert len(concern.account) <= TEXT_LIMIT
            for mark in concern.body_marks.all():
                assert mark.kind and 0 <= mark.x <= 200 and 0 <= mark.y <= 420
                assert_clean(mark.note, mark.size, mark.colour)
            assert_clean(concern.account, concern.child_words, concern.location, concern.unlisted_child_name)


@fuzz
@given(data=st.data())
def test_concern_form_choosing_children(world, writing, jade, data):
    client, key = writing
    choose = st.sampled_from(["add_child", "remove_child", "find_child"])
    body = data.draw(
        corrupted(
            {
                "school": st.just(str(world.northfield.uuid)),
                "submission_key": st.just(key),
                "child_search": st.sampled_from(["Jade", "Tu", ""]),
            }
        ),
        label="body",
    )
    button = data.draw(choose, label="button")
    body[button] = data.draw(st.one_of(st.just(str(jade.uuid)), uuid_like, st.just("1")), label="value")
    with rolled_back():
        before = counts(*CONCERN_RECORDS, Child)
        answered(client.post("/concerns/new/", body))
        assert counts(*CONCERN_RECORDS, Child) == before
        for draft in ConcernDraft.objects.filter(author=world.teacher):
            assert set(draft.data.get("children", [])) <= {str(jade.uuid)}


@fuzz
@given(data=st.data())
def test_concern_draft_save(world, writing, data):
    client, key = writing
    body = data.draw(corrupted(concern_fields(world, key), extra=CONCERN_EXTRAS), label="body")
    with rolled_back():
        before = counts(*CONCERN_RECORDS)
        response = client.post("/concerns/draft/", body)
        assert answered(response) in (200, 404)
        assert counts(*CONCERN_RECORDS) == before
        drafts = list(ConcernDraft.objects.filter(author=world.teacher))
        assert len(drafts) == 1
        for name, value in drafts[0].data.items():
            if isinstance(value, str):
                assert "\x00" not in value and len(value) <= TEXT_LIMIT, name


@fuzz
@given(data=st.data())
def test_child_type_ahead(world, signed_in, jade, data):
    # The teacher's own school, usually; the other school of the trust, or none, is not found.
    schools = [str(world.northfield.uuid)] * 3 + [str(world.riverside.uuid), ""]
    body = data.draw(
        corrupted({"school": st.sampled_from(schools), "child_search": st.sampled_from(["Jade", "J", "Turner"])}),
        label="body",
    )
    client = signed_in("teacher")
    with rolled_back():
        before = counts(*CONCERN_RECORDS, Child, ConcernDraft)
        response = client.post("/concerns/children/", body)
        assert answered(response) in (200, 404)
        assert counts(*CONCERN_RECORDS, Child, ConcernDraft) == before


@pytest.fixture
def own_concern(world, jade):
    return concern_by(world.teacher, jade, with_file=False)


@fuzz
@given(
    body=corrupted(
        {
            "reason": st.sampled_from(["I remembered something else", "A detail was wrong"]),
            "text": st.sampled_from(["The car was blue, not silver.", "It was 15:30."]),
        }
    )
)
def test_addendum(world, signed_in, own_concern, body):
    client = signed_in("teacher")
    with rolled_back():
        before = counts(Addendum, Concern)
        response = client.post(f"/concerns/{own_concern.uuid}/", body)
        added = answered(response) == 302
        assert counts(Addendum, Concern) == {**before, "Addendum": before["Addendum"] + added}
        if added:
            addendum = Addendum.objects.get(concern=own_concern)
            assert_clean(addendum.reason, addendum.text)
            assert len(addendum.text) <= TEXT_LIMIT
        else:
            assert PROBLEM in response.content.decode() or not body  # an empty post shows the empty form


file_names = st.one_of(
    st.sampled_from(["photo.jpg", "../../etc/passwd.jpg", "..\\..\\boot.ini", "/etc/shadow", "a\x00.php.jpg"]),
    st.text(characters, max_size=300).filter(lambda name: name.strip()),
)
JPEG = jpeg_bytes(gps=True)
file_contents = st.one_of(
    st.binary(max_size=2000),
    st.builds(lambda tail: JPEG[: len(JPEG) // 2] + tail, st.binary(max_size=200)),
    st.builds(lambda tail: JPEG + tail, st.binary(max_size=200)),
    st.builds(lambda body: b"%PDF-1.7\n" + body + b"\n%%EOF\n", st.binary(max_size=500)),
    st.builds(lambda body: b"\xff\xd8\xff" + body, st.binary(max_size=500)),
    st.just(b"GIF89a<script>alert(1)</script>"),
)


@fuzz
@given(name=file_names, content=file_contents)
def test_concern_form_uploads(world, writing, name, content):
    client, key = writing
    upload = io.BytesIO(content)
    upload.name = name
    with rolled_back():
        before = counts(*CONCERN_RECORDS)
        response = client.post("/concerns/new/", {**valid_concern(world, key), "attachments": upload})
        sent = answered(response) == 302
        after = counts(*CONCERN_RECORDS)
        if not sent:
            assert after == before
            assert response.status_code == 400
            return
        for attachment in Attachment.objects.all():
            assert "/" not in attachment.original_name and "\\" not in attachment.original_name
            assert "\x00" not in attachment.original_name and len(attachment.original_name) <= 200
            assert attachment_path(attachment.stored_name).exists()
