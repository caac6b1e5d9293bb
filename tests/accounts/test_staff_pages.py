from urllib.parse import unquote

import pytest
from django.test import Client

from safeguarding.accounts.roles import Role
from tests.personas import signed_in_client


def staff_url(school, membership=None, action=""):
    url = f"/schools/{school.uuid}/staff/"
    if membership is not None:
        url += f"{membership.uuid}/"
    return url + action


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("office", 200),
        ("admin", 200),
        ("dsl", 200),
        ("trustlead", 200),
        ("deputy", 403),
        ("teacher", 403),
        ("auditor", 403),
        ("riverside_office", 404),
        ("riverside_dsl", 404),
        ("elsewhere_dsl", 404),
    ],
)
def test_who_sees_northfields_staff_list(world, person, status):
    response = signed_in_client(world.people[person]).get(staff_url(world.northfield))

    assert response.status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(world):
    response = Client().get(staff_url(world.northfield))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_school_admin_cannot_open_another_schools_staff_member(world):
    client = signed_in_client(world.riverside_office)

    assert client.get(staff_url(world.northfield, world.membership("teacher"))).status_code == 404
    response = client.post(staff_url(world.northfield, world.membership("teacher"), "deactivate/"))
    assert response.status_code == 404
    assert world.membership("teacher").is_active


def test_a_member_of_another_school_is_not_found_through_this_school(world):
    client = signed_in_client(world.office)

    response = client.get(staff_url(world.northfield, world.membership("riverside_teacher")))

    assert response.status_code == 404


def test_a_school_admin_cannot_grant_the_export_permission(world):
    client = signed_in_client(world.office)

    response = client.post(staff_url(world.northfield, world.membership("office"), "export/"), {"can_export": "on"})

    assert response.status_code == 403
    assert not world.membership("office").can_export


def test_a_school_admin_cannot_change_their_own_role(world):
    client = signed_in_client(world.office)

    response = client.post(staff_url(world.northfield, world.membership("office"), "role/"), {"role": "deputy_dsl"})

    assert response.status_code == 403
    assert world.membership("office").role == Role.SCHOOL_ADMIN


def test_the_dsl_cannot_change_their_own_role_through_the_page(world):
    client = signed_in_client(world.dsl)

    response = client.post(
        staff_url(world.northfield, world.membership("dsl"), "role/"), {"role": "staff"}, follow=True
    )

    assert "You cannot change your own role." in response.content.decode()
    assert world.membership("dsl").role == Role.DSL


def test_the_dsl_grants_the_export_permission_through_the_page(world):
    client = signed_in_client(world.dsl)

    response = client.post(staff_url(world.northfield, world.membership("office"), "export/"), {"can_export": "on"})

    assert response.status_code == 302
    assert world.membership("office").can_export


def test_a_school_admin_invites_and_deactivates_staff(world):
    client = signed_in_client(world.office)

    response = client.post(
        staff_url(world.northfield, action="invite/"),
        {"full_name": "Nia Evans", "email": "nia.evans@safeguard.example", "job_title": "Teaching assistant"},
    )
    assert response.status_code == 302
    response = client.post(staff_url(world.northfield, world.membership("teacher2"), "deactivate/"), follow=True)

    assert "has been deactivated" in response.content.decode()
    assert not world.membership("teacher2").is_active


def test_deactivating_the_dsl_through_the_page_is_refused_with_a_message(world):
    client = signed_in_client(world.office)

    response = client.post(staff_url(world.northfield, world.membership("dsl"), "deactivate/"), follow=True)

    assert "Hand the DSL role to someone else before deactivating them." in response.content.decode()
    assert world.membership("dsl").is_active


def test_the_dsl_hands_over_through_the_page(world):
    client = signed_in_client(world.dsl)

    response = client.post(staff_url(world.northfield, world.membership("deputy"), "hand-over/"), follow=True)

    assert world.membership("deputy").role == Role.DSL
    assert world.membership("dsl").role == Role.DEPUTY_DSL
    # Now a deputy, the outgoing DSL may no longer open staff pages: she lands on her home page, told it is done.
    assert response.redirect_chain[-1][0] == "/"
    assert response.status_code == 200
    assert "is now the school&#x27;s DSL." in response.content.decode()


@pytest.mark.parametrize("school", ["northfield", "riverside"])
def test_the_trust_lead_reaches_every_school_of_the_trust(world, school):
    client = signed_in_client(world.trustlead)
    school = getattr(world, school)

    assert client.get(staff_url(school)).status_code == 200


def test_the_trust_lead_reaches_no_school_of_another_trust(world):
    client = signed_in_client(world.trustlead)

    assert client.get(staff_url(world.elsewhere)).status_code == 404
    assert client.get(staff_url(world.elsewhere, world.membership("elsewhere_dsl"))).status_code == 404


def test_the_trust_lead_home_lists_the_trusts_schools_only(world):
    page = signed_in_client(world.trustlead).get("/").content.decode()

    assert "Northfield Academy" in page
    assert "Riverside Primary" in page
    assert "Elsewhere High School" not in page


def test_navigation_shows_staff_only_to_those_who_manage_it(world):
    assert 'href="/schools/"' in signed_in_client(world.office).get("/").content.decode()
    assert 'href="/schools/"' not in signed_in_client(world.teacher).get("/").content.decode()
    assert 'href="/schools/"' not in signed_in_client(world.deputy).get("/").content.decode()


def test_the_staff_home_names_the_safeguarding_team(world):
    page = signed_in_client(world.teacher).get("/").content.decode()

    assert "Dsl (DSL)" in page
    assert "Deputy (Deputy DSL)" in page


class TestOperatorAdmin:
    def superuser(self, world):
        from tests.factories import UserFactory, totp_device_for

        user = UserFactory(email="operator@safeguard.example", is_superuser=True, is_staff=True)
        totp_device_for(user)
        return user

    def test_refuses_a_superuser_without_a_verified_second_factor(self, world):
        client = Client()
        client.force_login(self.superuser(world), backend="django.contrib.auth.backends.ModelBackend")

        response = client.get("/admin/")

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_serves_a_superuser_with_a_verified_second_factor(self, world):
        client = signed_in_client(self.superuser(world))

        assert client.get("/admin/").status_code == 200
        assert client.get("/admin/accounts/membership/").status_code == 200

    def test_refuses_school_people_even_when_verified(self, world):
        response = signed_in_client(world.dsl).get("/admin/")

        assert response.status_code == 403

    @pytest.mark.parametrize("url", ["/admin/", "/admin/login/?next=/admin/", "/admin/accounts/user/"])
    def test_a_dsl_who_opens_the_admin_gets_a_recorded_refusal_not_a_loop_of_redirects(self, world, url):
        from safeguarding.audit.events import EventType, Outcome
        from safeguarding.audit.models import AuditEvent

        response = signed_in_client(world.dsl).get(url, follow=True)

        assert response.status_code == 403 and not response.redirect_chain
        refusal = AuditEvent.objects.get(event_type=EventType.ACCESS_REFUSED, user_uuid=world.dsl.uuid)
        assert refusal.outcome == Outcome.REFUSED and refusal.route.startswith("admin:")

    def test_a_superuser_who_is_not_staff_is_refused_rather_than_looped(self, world):
        user = self.superuser(world)
        user.is_staff = False
        user.save(update_fields=["is_staff"])

        assert signed_in_client(user).get("/admin/", follow=True).status_code == 403

    def test_an_operator_without_a_verified_second_factor_is_sent_to_give_it_and_back(self, world):
        client = Client()
        client.force_login(self.superuser(world), backend="django.contrib.auth.backends.ModelBackend")

        response = client.get("/admin/login/?next=/admin/", follow=True)

        [(sign_in, _)] = response.redirect_chain
        assert response.status_code == 200 and unquote(sign_in) == "/accounts/login/?next=/admin/login/?next=/admin/"
        assert not response.wsgi_request.user.is_authenticated  # signs in again, code and all
        verified = signed_in_client(self.superuser(world)).get("/admin/login/?next=/admin/", follow=True)
        assert verified.status_code == 200 and verified.redirect_chain == [("/admin/", 302)]


def test_a_school_with_no_active_dsl_is_named_on_every_page_for_its_admin_and_the_trust_lead(world):
    from safeguarding.accounts.models import Membership

    banner = "No Designated Safeguarding Lead:"
    for person in (world.office, world.trustlead, world.teacher):
        assert banner not in signed_in_client(person).get("/").content.decode()

    Membership.objects.filter(school=world.northfield, role=Role.DSL).update(is_active=False)

    for person, path in ((world.office, "/"), (world.office, "/guide/signs/"), (world.trustlead, "/queue/")):
        page = signed_in_client(person).get(path, follow=True).content.decode()
        assert banner in page, (person, path)
        assert "Northfield" in page.split(banner)[1].split("</aside>")[0]
    assert banner not in signed_in_client(world.teacher).get("/").content.decode()
    assert banner not in signed_in_client(world.deputy).get("/").content.decode()
