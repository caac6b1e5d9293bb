"""The words Safeguard uses and nudges: no help text makes a child responsible for harm done to them, the DSL is
nudged when their own words do, and the exploitation signs are attributed to the two lists they come from."""

import json
import re
from pathlib import Path

import pytest

from referrals.hints import blaming_words, writing_hints
from referrals.models import Indicator, IndicatorCategory, SeedSign
from tests.concerns import concern_by
from tests.factories import ChildFactory
from tests.personas import signed_in_client

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "000_0c0ddf724c6b11cc.txt"
# Texts as the taxonomy had them before they were reworded: the phrase list must catch every one.
EARLIER_TEXTS = (
    "Sexual activity under 16, exchanging sex for things, or putting themselves in sexual danger.",
    "The child's own online behaviour putting them or others at risk, such as sharing images or bullying.",
    "Someone using their power over a child to get sexual activity. It can seem consensual and can happen online.",
)


def taxonomy_texts() -> list[str]:
    data = json.loads((ROOT / "fixtures" / "indicator_taxonomy.json").read_text())
    texts = []
    for category in data["categories"]:
        texts += [category["label"], category["guidance"]]
        for item in category["indicators"]:
            texts += [item["label"], item["guidance"]]
    return texts


@pytest.mark.parametrize("text", EARLIER_TEXTS)
def test_the_phrase_list_catches_the_texts_the_taxonomy_used_to_have(text):
    assert blaming_words(text)


@pytest.mark.parametrize(
    "text",
    [
        "she put herself at risk",
        "He keeps putting himself in danger at the park",
        "they are putting themselves at serious risk",
        "She chose to go with them",
        "he is choosing to stay out",
        "She consented to it",
        "she is consenting to sex with him",
        "a lifestyle choice",
        "he was a willing participant",
        "she is sexually active",
    ],
)
def test_the_phrase_list_catches_the_framings_and_their_variants(text):
    assert blaming_words(text), text


@pytest.mark.parametrize(
    "text",
    [
        "A man put her in his car and drove off.",
        "She did not consent to any of it.",
        "It was a non-consensual assault.",
        "Adults are putting her at risk by giving her alcohol.",
    ],
)
def test_the_phrase_list_leaves_plain_descriptions_alone(text):
    assert not blaming_words(text)


def test_no_help_text_of_the_taxonomy_makes_the_child_responsible():
    found = {text: blaming_words(text) for text in taxonomy_texts() if blaming_words(text)}

    assert found == {}


def test_the_loaded_taxonomy_has_the_reworded_texts(db):
    for indicator in Indicator.objects.current():
        assert not blaming_words(f"{indicator.label} {indicator.guidance}"), indicator.code
    for category in IndicatorCategory.objects.all():
        assert not blaming_words(category.guidance), category.code


def test_the_teachers_form_hint_names_the_framing():
    hints = writing_hints(account="She keeps putting herself in danger.", child_words="", disclosure_ticked=False)

    assert any("a child cannot consent" in hint for hint in hints)


def test_the_dsls_rationale_that_blames_the_child_is_kept_and_nudged(world):
    from referrals.services.reviews import concern_acknowledge

    concern = concern_by(world.teacher, ChildFactory(school=world.northfield), indicators=("SIG-GIFTS",))
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    concern.refresh_from_db()
    client = signed_in_client(world.dsl)

    response = client.post(
        f"/queue/{concern.uuid}/",
        {
            "action": "decide",
            "version": str(concern.version),
            "outcomes": ["monitor"],
            "rationale": "She put herself at risk by going to the park.",
            "next_review": "2027-01-15",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Decision recorded." in page
    assert "You wrote “put herself at risk”" in page and "a child cannot consent" in page
    assert concern.decisions.get().rationale == "She put herself at risk by going to the park."


def _seed_lists(text: str) -> tuple[list[str], list[str]]:
    """The seed's two bulleted lists, each sign as written (curly quotes straightened, the closing stop dropped)."""
    lines = text.splitlines()

    def bullets_after(marker: str) -> list[str]:
        start = next(n for n, line in enumerate(lines) if line.strip().startswith(marker))
        found = []
        for line in lines[start + 1 :]:
            if line.strip().startswith("•"):
                found.append(line.strip().lstrip("•").strip())
            elif found and line.strip():
                break
        return found

    def plain(sign: str) -> str:
        return re.sub(r"\s+", " ", sign.replace("’", "'").replace("‘", "'")).rstrip(".").strip()

    return [plain(s) for s in bullets_after("Know the Signs")], [plain(s) for s in bullets_after("Signs include:")]


def test_the_guide_shows_each_seed_sign_under_its_own_list(world):
    by_list = {
        value: [sign.text for sign in SeedSign.objects.filter(source_list=value).order_by("pk")]
        for value in SeedSign.List.values
    }
    police, poster = by_list[SeedSign.List.KNOW_THE_SIGNS], by_list[SeedSign.List.CSE_POSTER]
    assert len(police) == 10 and len(poster) == 28

    page = signed_in_client(world.teacher).get("/guide/signs/").content.decode()
    section = page[page.index("Where the exploitation signs come from") :]
    police_part, poster_part = section.split("A 2013 poster from a children")[:2]
    assert "West Yorkshire Police" in police_part
    assert "Barnardo" in poster_part and "CEOP (2011)" in poster_part and "Berelowitz" in poster_part
    for sign in police:
        assert sign.replace("'", "&#x27;") in police_part, sign
    for sign in poster:
        assert sign.replace("'", "&#x27;") in poster_part, sign


@pytest.mark.skipif(not SEED.exists(), reason="the seed text is not beside the project")
def test_the_seed_signs_are_the_seeds_two_lists_each_under_its_source(db):
    police, poster = _seed_lists(SEED.read_text())
    assert len(police) == 10 and len(poster) == 28

    for value, listed in ((SeedSign.List.KNOW_THE_SIGNS, police), (SeedSign.List.CSE_POSTER, poster)):
        assert [sign.text for sign in SeedSign.objects.filter(source_list=value).order_by("pk")] == listed


def test_a_merged_sign_keeps_both_meanings(db):
    older = Indicator.objects.get(code="SIG-OLDER-PARTNER").label
    injuries = Indicator.objects.get(code="SIG-INJURIES").label

    assert "significantly older" in older and "lots of new friends" in older
    assert all(part in injuries for part in ("physical assault", "physical restraint", "sexual assault"))
