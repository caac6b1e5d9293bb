"""The permission table and the site agree: every page says what it needs, and every capability is needed by a page."""

import pytest

from safeguarding.accounts.permissions import (
    PAGE_CAPABILITIES,
    ROLE_CAPABILITIES,
    Capability,
    can,
    capabilities_at,
    schools_where,
)
from safeguarding.accounts.roles import Role
from tests.urlmap import site_patterns


def test_every_page_says_which_capabilities_it_needs():
    names = {name for name, _ in site_patterns()}
    assert names - set(PAGE_CAPABILITIES) == set(), "pages missing from PAGE_CAPABILITIES"


def test_every_page_in_the_table_exists():
    names = {name for name, _ in site_patterns()}
    assert set(PAGE_CAPABILITIES) - names == set(), "PAGE_CAPABILITIES names pages the site does not have"


def test_every_capability_is_used_by_a_page():
    used = {capability for needed in PAGE_CAPABILITIES.values() for capability in needed}
    assert set(Capability) - used == set(), "capabilities no page uses"


def test_every_capability_is_held_by_some_role():
    held = {capability for capabilities in ROLE_CAPABILITIES.values() for capability in capabilities}
    assert set(Capability) - held == set()


def test_every_role_is_in_the_table():
    assert set(ROLE_CAPABILITIES) == set(Role)


def test_only_those_outside_the_school_day_to_day_may_not_log_a_concern():
    """The auditor and the data protection officer, and the chair of governors and the trust's chief executive, who
    manage concerns about adults but do not work with the children day to day."""
    not_logging = {role for role, held in ROLE_CAPABILITIES.items() if Capability.LOG_CONCERN not in held}

    assert not_logging == {Role.AUDITOR, Role.DPO, Role.CHAIR, Role.CHIEF_EXECUTIVE}


@pytest.mark.django_db
def test_admin_with_the_export_permission_may_export_and_office_may_not(world):
    assert can(world.admin, Capability.EXPORT, world.northfield)
    assert not can(world.office, Capability.EXPORT, world.northfield)


@pytest.mark.django_db
def test_trust_lead_reads_the_queue_of_every_trust_school_but_acts_on_none(world):
    assert set(schools_where(world.trustlead, Capability.READ_QUEUE)) == {world.northfield, world.riverside}
    assert not schools_where(world.trustlead, Capability.ACT_ON_CONCERN).exists()


@pytest.mark.django_db
def test_deputy_acts_on_concerns_of_own_school_only(world):
    assert list(schools_where(world.deputy, Capability.ACT_ON_CONCERN)) == [world.northfield]
    assert not can(world.deputy, Capability.MOVE_CONCERN, world.northfield)


@pytest.mark.django_db
def test_capabilities_at_a_school_come_from_memberships_of_it_and_its_trust(world):
    lead = list(world.trustlead.memberships.all())
    assert Capability.READ_CHILD_FILE in capabilities_at(lead, world.riverside)
    assert capabilities_at(lead, world.elsewhere) == frozenset()
