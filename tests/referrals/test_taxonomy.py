import json
from pathlib import Path

import pytest

from referrals.models import Indicator, IndicatorCategory, IndicatorKind, SeedSign

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_0c0ddf724c6b11cc.txt"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

pytestmark = pytest.mark.django_db


def test_every_sign_of_the_seed_maps_to_an_indicator():
    mapping = dict(SeedSign.objects.values_list("text", "indicator__code"))

    assert len(mapping) == 38
    for sign, code in sorted(mapping.items()):
        assert Indicator.objects.filter(code=code).exists(), f"{sign} -> {code}"
    # The mapping covers every bullet of the seed text (when the seed is beside the project).
    if SEED.exists():
        bullets = [line.strip(" •\t").rstrip(".") for line in SEED.read_text().splitlines() if "•" in line]
        normalise = lambda text: text.replace("’", "'").replace("‘", "'").lower()  # noqa: E731
        known = {normalise(sign) for sign in mapping}
        assert [bullet for bullet in bullets if normalise(bullet) not in known] == []


def test_the_seed_signs_are_grouped_as_the_design_asks():
    groups = set(IndicatorCategory.objects.filter(code__startswith="SIGNS-").values_list("label", flat=True))

    assert groups == {
        "Signs: going missing and places",
        "Signs: relationships and associations",
        "Signs: possessions and money",
        "Signs: behaviour and mood",
        "Signs: health",
        "Signs: online and phone",
        "Signs: education",
        "Signs: offending",
    }


@pytest.mark.parametrize(
    "code",
    [
        # R1.1: the four categories of abuse and neglect
        "ABUSE-PHYSICAL", "ABUSE-EMOTIONAL", "ABUSE-SEXUAL", "ABUSE-NEGLECT",
        # R1.3: child-on-child abuse and its kinds
        "COC-BULLYING", "COC-RELATIONSHIP", "COC-PHYSICAL", "COC-SEXUAL-VIOLENCE", "COC-SEXUAL-HARASSMENT",
        "COC-NO-CONSENT", "COC-IMAGES", "COC-UPSKIRTING", "COC-INITIATION",
        # R1.3: exploitation, violence, home and honour, online, radicalisation, circumstances
        "EXP-CSE", "EXP-CCE", "EXP-COUNTY-LINES", "EXP-SERIOUS-VIOLENCE", "EXP-MODERN-SLAVERY",
        "HOME-DOMESTIC-ABUSE", "HOME-HONOUR-BASED", "HOME-FGM", "HOME-FORCED-MARRIAGE",
        "RAD-EXTREMISM", "ONL-CONTENT", "ONL-CONTACT", "ONL-CONDUCT", "ONL-COMMERCE", "ONL-CYBERCRIME",
        "ONL-MISINFORMATION", "WB-MENTAL-HEALTH", "WB-ABSENT", "WB-HOMELESS", "WB-FAMILY-PRISON",
        "WB-ABDUCTION", "WB-COURT",
    ],
)  # fmt: skip
def test_every_kcsie_category_and_issue_exists(code):
    indicator = Indicator.objects.get(code=code)

    assert indicator.guidance
    assert indicator.source
    assert indicator.valid_to is None


def test_every_indicator_has_a_kind_guidance_and_source():
    for indicator in Indicator.objects.all():
        assert indicator.kind in IndicatorKind.values
        assert indicator.guidance and indicator.source and indicator.label


def test_a_disclosure_indicator_exists():
    assert Indicator.objects.filter(kind=IndicatorKind.DISCLOSURE).exists()


def test_reloading_the_taxonomy_retires_what_the_file_no_longer_lists(tmp_path, monkeypatch):
    from referrals import taxonomy

    data = json.loads((FIXTURES / "indicator_taxonomy.json").read_text())
    data["categories"][1]["indicators"] = [
        item for item in data["categories"][1]["indicators"] if item["code"] != "ABUSE-NEGLECT"
    ]
    (tmp_path / "indicator_taxonomy.json").write_text(json.dumps(data))
    (tmp_path / "seed_signs.json").write_text((FIXTURES / "seed_signs.json").read_text())
    monkeypatch.setattr(taxonomy, "FIXTURES", tmp_path)

    taxonomy.taxonomy_load()

    retired = Indicator.objects.get(code="ABUSE-NEGLECT")
    assert retired.valid_to is not None
    assert not Indicator.objects.current().filter(code="ABUSE-NEGLECT").exists()


def test_the_guide_lists_the_signs_and_where_to_turn(world):
    from tests.personas import signed_in_client

    world.northfield.front_door_phone = "0113 496 0500"
    world.northfield.save()
    client = signed_in_client(world.teacher)

    page = client.get("/guide/signs/").content.decode()
    found = client.get("/guide/signs/", {"q": "older"}).content.decode()

    assert "Unexplained gifts, money or new things" in page
    assert "0113 496 0500" in page and "101" in page and "Crimestoppers" in page and "CEOP" in page
    assert "A significantly older boyfriend" in found and "Unexplained gifts" not in found
