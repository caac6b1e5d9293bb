"""Exploitation screening as decision support (REQUIREMENTS.md §8): tools as checked data, the floors no score or
override goes below, the pre-fill with its sources, the review task and what a screening never touches."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals.models import Action, Concern, Screening, ScreeningTool
from referrals.screening import OverrideRefused, screening_result
from referrals.screening_tools import TOOLS, ToolFileInvalid, tool_parse
from referrals.selectors.queue import QueueFilters, queue_page
from referrals.services.context import context_link_confirm, context_mention_add
from referrals.services.screening import (
    Answer,
    ScreeningRefused,
    screening_prefill,
    screening_record,
    screening_reviews_raise,
    tool_in_use,
    tool_load,
)
from safeguarding.audit.models import AuditEvent
from tests.factories import ChildFactory, ConcernFactory
from tests.personas import signed_in_client

SHIPPED = (TOOLS / "safeguard-exploitation.yaml").read_text()
TOOL = tool_parse(SHIPPED)


def shipped_with(old: str, new: str) -> str:
    assert old in SHIPPED
    return SHIPPED.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# -------------------------------------------------------------------------------------------------------- the file


def test_a_tool_file_with_a_missing_band_is_refused_with_the_line_and_reason():
    text = shipped_with("    from: 10\n", "    from: 12\n")
    with pytest.raises(ToolFileInvalid) as refused:
        tool_parse(text)
    assert refused.value.problems == [
        (line_of(text, "    from: 12\n"), "no band covers scores 10 to 11: a band is missing.")
    ]

    text = shipped_with("    band: very_high\n", "    band: critical\n")
    with pytest.raises(ToolFileInvalid) as refused:
        tool_parse(text)
    assert refused.value.problems == [
        (
            line_of(text, "band: critical"),
            "the floor names the band “critical”, which the file does not define: a band is missing.",
        )
    ]
    top = SHIPPED[SHIPPED.index("  - key: very_high") :]
    without_top = SHIPPED.replace(top[: top.index("floors:")], "")
    with pytest.raises(ToolFileInvalid) as refused:
        tool_parse(without_top)
    assert any(
        "no band covers scores above 19: a band is missing." in reason for _line, reason in refused.value.problems
    )


def test_an_item_of_an_unknown_kind_is_refused_with_the_line_and_reason():
    text = shipped_with("    kind: disclosure\n", "    kind: confession\n")
    with pytest.raises(ToolFileInvalid) as refused:
        tool_parse(text)
    assert str(refused.value) == (
        f"line {line_of(text, 'kind: confession')}: the item “disclosure” has the kind “confession”, which is not one "
        "of: vulnerability, risk_indicator, sign_of_harm, disclosure."
    )


def test_unknown_keys_signs_and_missing_floors_are_each_named():
    text = shipped_with(
        "    points: 3\n    window_days: 183\n    signs: [SIG-CARS]\n", "    pionts: 3\n    signs: [SIG-VANS]\n"
    )
    text = text.replace("  learning_disability:\n    lowest: medium\n", "")
    with pytest.raises(ToolFileInvalid) as refused:
        tool_parse(text, known_signs={"SIG-CARS"} | {sign for item in TOOL.items for sign in item.signs} - {"SIG-CARS"})
    reasons = [reason for _line, reason in refused.value.problems]
    assert "“floors” has no “learning_disability”." in reasons
    assert any(reason.startswith("“pionts” is not a key of entry") for reason in reasons)
    assert "the item “cars” names the sign “SIG-VANS”, which Safeguard does not have." in reasons
    assert all(line > 1 for line, _reason in refused.value.problems)


def test_a_file_that_is_not_yaml_is_refused_with_its_line():
    with pytest.raises(ToolFileInvalid, match=r"^line 3: not readable as YAML"):
        tool_parse("tool: x\nversion: 1\ntitle: a: b\n")


def test_each_assessment_names_its_tool_and_a_new_version_leaves_earlier_ones_on_the_old(world):
    child = ChildFactory(school=world.northfield)
    first = screen(world, child)
    assert first.tool.name == "safeguard-exploitation@1"

    version_two = (
        shipped_with("version: 1\n", "version: 2\n")
        .replace("    to: 3\n", "    to: 4\n")
        .replace("    from: 4\n", "    from: 5\n")
    )
    stored, new = tool_load(version_two)
    assert new and stored.name == "safeguard-exploitation@2"
    second = screen(world, child)

    first.refresh_from_db()
    assert first.tool.name == "safeguard-exploitation@1" and second.tool.name == "safeguard-exploitation@2"
    assert first.tool.tool().band("low").high == 3 and second.tool.tool().band("low").high == 4
    assert tool_in_use(world.northfield) == stored
    event = AuditEvent.objects.get(object_type="screening", object_uuid=second.uuid)
    assert event.detail["tool"] == "safeguard-exploitation@2"


def test_the_same_version_with_other_content_is_refused_and_the_same_file_changes_nothing(db):
    _stored, new = tool_load(SHIPPED)
    assert not new and ScreeningTool.objects.count() == 1
    with pytest.raises(ToolFileInvalid, match="already loaded, from a different file"):
        tool_load(shipped_with("    points: 10\n", "    points: 12\n"))


def test_the_load_command_prints_each_problem_with_its_line(db, tmp_path):
    broken = tmp_path / "local.yaml"
    broken.write_text(
        shipped_with("tool: safeguard-exploitation\n", "tool: local-cse\n").replace(
            "kind: vulnerability", "kind: worry", 1
        )
    )
    with pytest.raises(CommandError) as refused:
        call_command("screening_tool_load", str(broken))
    assert (
        f"local.yaml:{line_of(broken.read_text(), 'kind: worry')}: the item “harm-at-home” has the kind “worry”"
        in str(refused.value)
    )

    licensed = tmp_path / "licensed.yaml"
    licensed.write_text(
        shipped_with("tool: safeguard-exploitation\n", "tool: partnership-tool\nlicence_required: true\n")
    )
    out = StringIO()
    call_command("screening_tool_load", str(licensed), stdout=out)
    assert "needs a licence reference" in out.getvalue()
    assert not ScreeningTool.objects.get(tool_id="partnership-tool").usable


# ------------------------------------------------------------------------------------------------------ the floors

ITEM_KEYS = [item.key for item in TOOL.items]
BAND_KEYS = [band.key for band in TOOL.bands]


@settings(max_examples=400, deadline=None)
@given(
    present=st.sets(st.sampled_from(ITEM_KEYS)),
    age=st.one_of(st.none(), st.integers(min_value=4, max_value=19)),
    learning_disability=st.booleans(),
    significant_harm=st.booleans(),
    chosen=st.sampled_from(["", *BAND_KEYS]),
    rationale=st.sampled_from(["", "   ", "The police told me of a second car; the risk is higher than the score."]),
)
def test_the_floors_always_hold_and_a_moved_band_always_has_a_reason(
    present, age, learning_disability, significant_harm, chosen, rationale
):
    kinds = {item.kind for item in TOOL.items if item.key in present}
    rank = TOOL.rank
    floors = []
    if "disclosure" in kinds:
        floors.append("very_high")
    if age is not None and age < 13:
        floors.append("medium")
        if "sign_of_harm" in kinds:
            floors.append("high")
    if learning_disability:
        floors.append("medium")
    if significant_harm:
        floors.append("high")
    score = sum(item.points for item in TOOL.items if item.key in present)
    proposed = max([TOOL.band_for(score).key, *floors], key=rank)
    arguments = dict(
        present=present, age=age, learning_disability=learning_disability, significant_harm=significant_harm
    )
    moved = chosen not in ("", proposed)
    below_a_floor = chosen and any(rank(chosen) < rank(floor) for floor in floors)
    if below_a_floor or (moved and not rationale.strip()):
        with pytest.raises(OverrideRefused):
            screening_result(TOOL, chosen_band=chosen, rationale=rationale, **arguments)
        return
    result = screening_result(TOOL, chosen_band=chosen, rationale=rationale, **arguments)
    assert all(rank(result.band) >= rank(floor) for floor in floors)
    assert result.score == score and result.overridden == moved
    if "disclosure" in kinds:
        assert result.band == "very_high" and set(result.refer) == {"children's social care", "the police"}
    if (age is not None and age < 13) or learning_disability:
        assert result.band != "low"
    if significant_harm:
        assert result.child_protection and "section 47" in result.pathway


def test_without_any_floor_the_dsl_may_move_the_band_down_with_a_reason():
    present = {"missing", "money-and-gifts", "older-people", "cars", "shared-network"}
    arguments = dict(present=present, age=15, learning_disability=False, significant_harm=False)
    assert screening_result(TOOL, **arguments).band == "high"
    with pytest.raises(OverrideRefused, match="say why"):
        screening_result(TOOL, chosen_band="medium", **arguments)
    lowered = screening_result(TOOL, chosen_band="medium", rationale="The car is her uncle's; confirmed.", **arguments)
    assert lowered.band == "medium" and lowered.overridden
    with pytest.raises(OverrideRefused, match="cannot go below"):
        screening_result(TOOL, chosen_band="low", rationale="Felt fine.", **{**arguments, "learning_disability": True})


# ------------------------------------------------------------------------------------------------ the pre-fill


def screen(world, child, *, answers=None, actor=None, **options) -> Screening:
    stored = tool_in_use(child.school)
    answers = (
        answers
        if answers is not None
        else {
            suggestion.item.key: Answer(present=True, basis=suggestion.basis, when=suggestion.when)
            for suggestion in screening_prefill(child=child, tool=stored.tool())
            if suggestion.present
        }
    )
    return screening_record(
        actor=actor or world.dsl,
        context=None,
        child=child,
        tool=stored,
        answers=answers,
        significant_harm=options.pop("significant_harm", False),
        narrative=options.pop("narrative", "Gifts and an older boyfriend: grooming is likely. Talk to her mum."),
        **options,
    )


def test_the_prefill_lists_each_sign_with_its_concern_author_and_date_within_the_items_window(world):
    child = ChildFactory(school=world.northfield, date_of_birth=datetime.date(2011, 5, 1))
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=200)):
        old = ConcernFactory(child=child, author=world.teacher2, indicators=("SIG-GIFTS", "WB-HOMELESS"))
    with time_machine.travel(now - datetime.timedelta(days=20)):
        gifts = ConcernFactory(child=child, author=world.teacher, indicators=("SIG-GIFTS", "SIG-CARS"))
    suggestions = {s.item.key: s for s in screening_prefill(child=child, tool=TOOL)}

    money = suggestions["money-and-gifts"]
    assert [source.concern for source in money.sources] == [gifts]  # six months: the old one is out of the window
    assert money.sources[0].concern.author == world.teacher and money.basis == "evidence"
    assert money.when == f"{timezone.localtime(gifts.observed_at):%-d %b %Y}"
    assert [source.concern for source in suggestions["no-settled-home"].sources] == [old]  # any time
    assert suggestions["cars"].present and not suggestions["missing"].present


def test_a_car_linked_to_another_child_suggests_the_shared_network_item(world):
    child = ChildFactory(school=world.northfield)
    other = ChildFactory(school=world.riverside)
    here = ConcernFactory(child=child, author=world.teacher, indicators=("SIG-CARS",))
    there = ConcernFactory(child=other, author=world.riverside_teacher, indicators=("SIG-CARS",))
    values = {"registration": "KX19 RWT", "make": "Vauxhall", "colour": "grey"}
    mine = context_mention_add(actor=world.teacher, context=None, concern=here, kind="vehicle", values=values)
    theirs = context_mention_add(
        actor=world.riverside_teacher, context=None, concern=there, kind="vehicle", values=values
    )
    assert not {s.item.key: s for s in screening_prefill(child=child, tool=TOOL)}["shared-network"].present
    link = context_link_confirm(actor=world.dsl, context=None, mention=mine)
    context_link_confirm(actor=world.riverside_dsl, context=None, mention=theirs, entity=link.entity)

    suggestions = {s.item.key: s for s in screening_prefill(child=child, tool=TOOL)}
    assert suggestions["shared-network"].entities == [(link.entity, here)]
    assert suggestions["cars"].entities == [(link.entity, here)]
    screening = screen(world, child)
    shared = screening.answers.get(item_key="shared-network")
    assert shared.present and list(shared.entities.all()) == [link.entity] and list(shared.concerns.all()) == [here]


# ------------------------------------------------------------------------------------------------ recording


def test_a_screening_changes_no_concern_its_urgency_or_its_place_in_the_queue(world):
    child = ChildFactory(school=world.northfield, date_of_birth=datetime.date(2015, 1, 1))
    ConcernFactory(child=child, author=world.teacher, indicators=("DISC-ABUSE", "EXP-CSE"))
    ConcernFactory(child=ChildFactory(school=world.northfield), author=world.teacher2, indicators=("SIG-MOOD",))
    ConcernFactory(child=child, author=world.teacher2, indicators=("SIG-GIFTS",), urgency="today")

    def state():
        return list(
            Concern.objects.order_by("pk").values_list(
                "pk", "status", "urgency", "ack_due_at", "version", "assigned_to"
            )
        )

    before, order = (
        state(),
        [concern.pk for concern in queue_page(user=world.dsl, context=None, filters=QueueFilters(), page_number=1)],
    )
    screening = screen(world, child, significant_harm=True)
    assert screening.band == "very_high" and screening.referral_prompted == ["children's social care", "the police"]
    assert state() == before
    assert [
        concern.pk for concern in queue_page(user=world.dsl, context=None, filters=QueueFilters(), page_number=1)
    ] == order

    with pytest.raises(OverrideRefused):
        screen(world, child, chosen_band="low", rationale="She seems fine to me.")
    assert state() == before and Screening.objects.count() == 1


def test_an_item_needs_when_and_basis_and_one_staff_did_not_record_needs_a_source(world):
    child = ChildFactory(school=world.northfield)
    with pytest.raises(ScreeningRefused, match="when"):
        screen(world, child, answers={"isolated": Answer(present=True, basis="evidence", source="Her mum told me")})
    with pytest.raises(ScreeningRefused, match="how you know it"):
        screen(world, child, answers={"isolated": Answer(present=True, basis="evidence", when="Since September")})
    with pytest.raises(ScreeningRefused, match="your judgement"):
        screen(world, child, answers={}, narrative=" ")
    screening = screen(
        world,
        child,
        answers={"isolated": Answer(present=True, basis="professional_concern", when="This term", source="Form tutor")},
    )
    answer = screening.answers.get(item_key="isolated")
    assert answer.present and not answer.suggested and answer.source == "Form tutor"
    assert screening.answers.count() == len(TOOL.items)


def test_only_the_schools_dsl_and_deputies_screen(world):
    child = ChildFactory(school=world.northfield)
    for outsider in (world.teacher, world.riverside_dsl, world.trustlead):
        with pytest.raises(PermissionDenied):
            screen(world, child, actor=outsider, answers={})
    assert screen(world, child, actor=world.deputy, answers={}).band == "low"


# ------------------------------------------------------------------------------------------------ the review task


def test_a_review_task_appears_ninety_days_after_the_last_screening_once(world):
    child = ChildFactory(school=world.northfield)
    start = datetime.datetime(2026, 9, 7, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        ConcernFactory(child=child, author=world.teacher, indicators=("SIG-GIFTS",))
        screening = screen(world, child)
    with time_machine.travel(start + datetime.timedelta(days=89), tick=False):
        assert screening_reviews_raise() == 0
    with time_machine.travel(start + datetime.timedelta(days=90), tick=False):
        assert screening_reviews_raise() == 1
        assert screening_reviews_raise() == 0
    with time_machine.travel(start + datetime.timedelta(days=91), tick=False):
        assert screening_reviews_raise() == 0
    review = Action.objects.get(child=child)
    assert review.owner == world.dsl and review.due_on == datetime.date(2026, 12, 6) and review.is_open
    screening.refresh_from_db()
    assert screening.review_action == review

    with time_machine.travel(start + datetime.timedelta(days=92), tick=False):
        again = screen(world, child)
    review.refresh_from_db()
    assert not review.is_open and "Screened again" in review.completion_note
    with time_machine.travel(start + datetime.timedelta(days=92 + 90), tick=False):
        assert screening_reviews_raise() == 1
    assert Action.objects.filter(child=child).count() == 2
    again.refresh_from_db()
    assert again.review_action is not None


def test_no_review_task_once_concerns_have_stopped(world):
    child = ChildFactory(school=world.northfield)
    start = datetime.datetime(2026, 9, 7, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        screen(world, child, answers={})
    with time_machine.travel(start + datetime.timedelta(days=120), tick=False):
        assert screening_reviews_raise() == 0
    assert not Action.objects.filter(child=child).exists()


def test_the_shipped_tool_is_loaded_by_the_migrations(db):
    stored = ScreeningTool.objects.get()
    assert stored.name == "safeguard-exploitation@1" and stored.usable and stored.tool() == TOOL


# ---------------------------------------------------------------------------------------------- with the file


def test_a_screening_goes_with_the_file_to_the_next_school_to_a_subject_access_request_and_at_disposal(
    world, django_capture_on_commit_callbacks
):
    from referrals.access_pack import file_for_request
    from referrals.models import RetentionReview
    from referrals.services.retention import file_disposal_confirm, file_disposal_propose, reviews_queue
    from referrals.transfer_package import KINDS, _canonical, _sha256, counted, file_items, received_history

    child = ChildFactory(school=world.northfield, date_of_birth=datetime.date(1995, 5, 1))
    concern = ConcernFactory(child=child, author=world.teacher, indicators=("SIG-GIFTS",))
    with time_machine.travel(concern.observed_at + datetime.timedelta(hours=1)):
        screening = screen(world, child)

    rows = file_items(child)["screening"]
    assert "screening" in KINDS and len(rows) == 1 and rows[0]["uuid"] == str(screening.uuid)
    assert rows[0]["tool"] == "safeguard-exploitation@1" and rows[0]["band_label"] == screening.band_label
    gifts = next(answer for answer in rows[0]["answers"] if answer["item_key"] == "money-and-gifts")
    assert gifts["present"] and gifts["concerns"] == [str(concern.uuid)]
    assert _sha256(_canonical(rows[0]))  # listed in the manifest with its own checksum, as every item
    assert counted({"screening": 1}) == ["1 exploitation screening"]
    history = received_history({"items": {"screening": rows}})
    assert history and "Exploitation screening" in history[0]["heading"]

    items = [item for item in file_for_request(child) if item.kind == "screening"]
    assert len(items) == 1 and items[0].uuid == screening.uuid
    assert any(p.name == "narrative" and p.text == screening.narrative for p in items[0].passages)

    reviews_queue()
    review = RetentionReview.objects.get(child=child)
    file_disposal_propose(actor=world.dsl, context=None, review=review, rationale="Reviewed at 25.")
    with django_capture_on_commit_callbacks(execute=True):
        certificate = file_disposal_confirm(actor=world.dpo, context=None, review=review)
    assert not Screening.objects.exists()
    assert certificate.counts["exploitation screenings"] == 1
    assert certificate.counts["items of exploitation screenings"] == len(TOOL.items)
    assert ScreeningTool.objects.count() == 1  # the tool stays: it holds no one's data


def test_the_package_sent_to_the_next_school_lists_the_screening_in_its_manifest(world):
    from referrals.transfer_package import package_document, package_manifest
    from tests.concerns import leaver_sent

    leaver = ChildFactory(school=world.riverside)
    ConcernFactory(child=leaver, author=world.riverside_teacher, indicators=("SIG-CARS",))
    screening = screen(world, leaver, actor=world.riverside_dsl)
    sent = leaver_sent(world, leaver, dsl=world.riverside_dsl)
    manifest = package_manifest(sent.package_name)
    assert manifest["counts"]["screening"] == 1
    assert {"kind": "screening", "uuid": str(screening.uuid)} in [
        {"kind": item["kind"], "uuid": item["uuid"]} for item in manifest["items"]
    ]
    carried = package_document(sent.package_name)["items"]["screening"][0]
    assert carried["tool"] == "safeguard-exploitation@1" and carried["narrative"] == screening.narrative


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    signs=st.sets(st.sampled_from(["DISC-ABUSE", "EXP-CSE", "SIG-CARS", "SIG-GIFTS", "WB-HOMELESS"]), min_size=1),
    age=st.integers(min_value=8, max_value=17),
    learning_disability=st.booleans(),
    significant_harm=st.booleans(),
    chosen=st.sampled_from(["", *BAND_KEYS]),
)
def test_no_screening_changes_a_concerns_status_urgency_or_clock(
    world, signs, age, learning_disability, significant_harm, chosen
):
    today = timezone.localdate()
    child = ChildFactory(
        school=world.northfield,
        date_of_birth=today.replace(year=today.year - age) - datetime.timedelta(days=30),
        learning_disability=learning_disability,
    )
    ConcernFactory(child=child, author=world.teacher, indicators=tuple(signs))

    def state():
        return list(
            Concern.objects.order_by("pk").values_list(
                "pk", "status", "urgency", "ack_due_at", "acknowledged_at", "version", "assigned_to"
            )
        )

    before = state()
    try:
        screening = screen(world, child, significant_harm=significant_harm, chosen_band=chosen, rationale="Judged.")
    except OverrideRefused:
        screening = None
    assert state() == before
    if screening is not None:
        assert screening.child_age == age and screening.tool.name == "safeguard-exploitation@1"
        if learning_disability or age < 13:
            assert screening.band != "low"


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("    band: very_high\n", "    band: high\n", "a disclosure is always the highest band (R8.3)"),
        ("    age: 13\n", "    age: 11\n", "should be a whole number of at least 13"),
        (
            "  learning_disability:\n    lowest: medium\n",
            "  learning_disability:\n    lowest: low\n",
            "this floor cannot be the lowest band",
        ),
        ("    refer: [social_care, police]\n", "    refer: [social_care]\n", "to both social_care and police"),
        ("    entities: [vehicle]\n", "    entities: [{kind: vehicle}]\n", "“entities” should list some of"),
        ("    label: Drugs or alcohol\n", f"    label: {'Drugs ' * 60}\n", "keep it to 300"),
        ("    kind: disclosure\n", "    kind: sign_of_harm\n", "no item of the kind disclosure"),
    ],
)
def test_floors_weaker_than_the_requirement_and_unstorable_entries_are_refused(old, new, reason):
    with pytest.raises(ToolFileInvalid) as refused:
        tool_parse(shipped_with(old, new))
    assert any(reason in problem for _line, problem in refused.value.problems), refused.value.problems


def test_a_licensed_tool_loaded_again_with_its_licence_can_then_be_chosen(db):
    licensed = shipped_with("tool: safeguard-exploitation\n", "tool: partnership-tool\nlicence_required: true\n")
    stored, _ = tool_load(licensed)
    assert not stored.usable
    again, new = tool_load(licensed, licence_ref="Partnership licence 2026/7")
    assert not new and again.pk == stored.pk and again.usable


def test_a_screening_filled_with_another_tool_than_the_schools_is_refused(world):
    child = ChildFactory(school=world.northfield)
    other, _ = tool_load(shipped_with("tool: safeguard-exploitation\n", "tool: elsewhere-cse\n"))
    with pytest.raises(ScreeningRefused, match="has changed"):
        screening_record(
            actor=world.dsl,
            context=None,
            child=child,
            tool=other,
            answers={},
            significant_harm=False,
            narrative="Nothing yet.",
        )
    page = signed_in_client(world.dsl).post(
        f"/children/{child.uuid}/screenings/new/", {"tool": other.pk, "narrative": "Nothing yet."}
    )
    assert page.status_code == 400 and "has changed since you opened this page" in page.content.decode()
    assert not Screening.objects.exists()
