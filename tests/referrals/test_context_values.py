"""The keys by which the people, vehicles, places and accounts around children are compared."""

import pytest

from referrals.context_values import (
    ContextKind,
    context_key,
    handle_key,
    name_key,
    postcode_district,
    registration_key,
)


@pytest.mark.parametrize("typed", ["ab12 cde", "AB12CDE", " Ab12-cde ", "ab 12 c d e"])
def test_one_registration_however_it_is_typed(typed):
    assert registration_key(typed) == "AB12CDE"
    assert context_key(ContextKind.VEHICLE, registration=typed) == "AB12CDE"


@pytest.mark.parametrize("typed", ["@Jay_99", "jay_99", " JAY_99 ", "@ jay_99"])
def test_one_handle_however_it_is_typed(typed):
    assert handle_key("Snapchat", typed) == "snapchat:jay_99"


def test_the_same_handle_on_two_platforms_is_two_accounts():
    assert handle_key("Snapchat", "jay") != handle_key("Instagram", "jay")
    assert handle_key("Snapchat", "  @ ") == ""


@pytest.mark.parametrize(
    ("typed", "district"),
    [("NF4 2QP", "NF4"), ("nf4 2qp", "NF4"), ("NF4", "NF4"), ("SW1A 1AA", "SW1A"), ("M1 1AE", "M1"), ("hotel", "")],
)
def test_a_postcode_is_kept_as_its_district(typed, district):
    assert postcode_district(typed) == district


def test_people_and_places_are_compared_without_case_or_extra_spaces():
    assert name_key("  Big   Jay ") == name_key("big jay") == "big jay"
    assert context_key(ContextKind.PLACE, name="The  Chip Shop", postcode="NF4 2QP") == "the chip shop"
    assert context_key(ContextKind.PLACE, postcode="nf4 2qp") == "district:NF4"
    assert context_key(ContextKind.PERSON, name="") == ""
