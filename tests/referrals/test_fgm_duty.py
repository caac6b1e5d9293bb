"""FGM: a known case is the teacher's own duty to report to the police, kept on their home page until the police
reference is recorded, and shown to the DSL; a risk that it may be done is a referral like any other."""

import pytest

from referrals.models import Concern
from referrals.services.concerns import fgm_police_report_record
from referrals.services.reviews import concern_acknowledge
from tests.factories import ChildFactory
from tests.personas import signed_in_client
from tests.referrals.test_concern_form import form_data, start


@pytest.fixture
def jade(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def sent(world, client, child, **fields):
    key = start(client, world, child)
    return client.post(
        "/concerns/new/",
        form_data(school=str(world.northfield.uuid), submission_key=key, **{"ind_HOME-FGM": "told"}, **fields),
    )


def test_fgm_ticked_asks_whether_it_has_been_done_or_may_be(world, jade):
    client = signed_in_client(world.teacher)

    response = sent(world, client, jade)

    assert response.status_code == 400
    assert "Say whether FGM has been done, or you think it may be" in response.content.decode()
    assert not Concern.objects.exists()


def test_a_known_case_stays_on_the_teachers_home_page_until_the_police_reference_is_recorded(world, jade):
    teacher = signed_in_client(world.teacher)
    sent(world, teacher, jade, fgm_known_case="yes")
    concern = Concern.objects.get()
    assert concern.fgm_known_case and not concern.fgm_police_reference

    home = teacher.get("/").content.decode()
    assert "Your own duty: report FGM to the police" in home and str(concern.uuid) in home
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    dsl_page = signed_in_client(world.dsl).get(f"/queue/{concern.uuid}/").content.decode()
    assert "Known FGM case, not yet reported to the police." in dsl_page
    assert world.teacher.full_name in dsl_page
    # Still there after the DSL has acted: the duty is the teacher's.
    assert "Your own duty: report FGM to the police" in teacher.get("/").content.decode()

    empty = teacher.post(f"/concerns/{concern.uuid}/", {"action": "police_report", "reference": ""})
    assert empty.status_code == 400 and "Give the police reference" in empty.content.decode()
    done = teacher.post(f"/concerns/{concern.uuid}/", {"action": "police_report", "reference": "WY-2026-0412"})

    assert done.status_code == 302
    concern.refresh_from_db()
    assert (concern.fgm_police_reported, concern.fgm_police_reference) == (True, "WY-2026-0412")
    assert "Your own duty: report FGM to the police" not in teacher.get("/").content.decode()
    assert "reference WY-2026-0412" in signed_in_client(world.dsl).get(f"/queue/{concern.uuid}/").content.decode()


def test_only_the_author_records_the_police_reference(world, jade):
    sent(world, signed_in_client(world.teacher), jade, fgm_known_case="yes")
    concern = Concern.objects.get()

    with pytest.raises(PermissionError):
        fgm_police_report_record(actor=world.dsl, context=None, concern=concern, reference="X")
    other = signed_in_client(world.teacher2).post(
        f"/concerns/{concern.uuid}/", {"action": "police_report", "reference": "X"}
    )
    assert other.status_code == 404
    concern.refresh_from_db()
    assert concern.fgm_police_reference == ""


def test_a_risk_of_fgm_is_not_the_teachers_police_duty(world, jade):
    teacher = signed_in_client(world.teacher)
    sent(world, teacher, jade, fgm_known_case="no")

    concern = Concern.objects.get()
    assert concern.fgm_known_case is False
    assert "Your own duty: report FGM to the police" not in teacher.get("/").content.decode()
