"""The headers every kind of page carries: an enforced Content Security Policy with a nonce and nothing inline,
framing refused, a referrer policy, HSTS and secure cookies under production's transport settings, no caching of
anything shown to a signed-in person, and error pages with a reference and no trace."""

import re

import pytest
from django.test import Client

from tests.concerns import concern_by, referral_for
from tests.factories import PASSWORD, ChildFactory
from tests.personas import signed_in_client

ONE_YEAR = 31_536_000


@pytest.fixture
def production_transport(settings):
    """What production sets from SECURE (see test_production_settings_are_strict), applied in this process."""
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = ONE_YEAR
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"


def check_common_headers(response, *, html: bool):
    policy = response["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    for directive in ("script-src", "style-src"):
        assert directives[directive].startswith("'self'"), directive
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Strict-Transport-Security"] == f"max-age={ONE_YEAR}; includeSubDomains; preload"
    if html:
        page = response.content.decode()
        nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
        assert f"'nonce-{nonce}'" in directives["style-src"]
        tags = re.findall(r"<script\b[^>]*>", page)
        assert tags, "every page loads its scripts"
        for tag in tags:
            if 'type="application/json"' in tag:
                continue  # a data block from json_script: never run, so outside the policy
            assert 'src="/static/' in tag and f'nonce="{nonce}"' in tag, tag
        assert "<style" not in page
        assert not re.search(r"\sstyle=", page)
        assert not re.search(r"\son[a-z]+=", page), "no inline event handlers"


@pytest.fixture
def scene(world):
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")
    concern_by(world.teacher, pupil)
    return pupil, referral_for(world, pupil)


def test_the_sign_in_page_and_the_cookies_it_sets(db, production_transport):
    client = Client()
    response = client.get("/accounts/login/", secure=True)

    assert response.status_code == 200
    check_common_headers(response, html=True)
    assert "no-store" in response["Cache-Control"]
    assert client.get("/accounts/login/")["Location"].startswith("https://"), "plain HTTP is sent to HTTPS"


def test_cookies_are_secure_http_only_and_same_site(world, production_transport):
    client = Client()
    client.get("/accounts/login/", secure=True)
    response = client.post("/accounts/login/", {"email": world.teacher.email, "password": PASSWORD}, secure=True)

    session = response.cookies["__Host-sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert session["path"] == "/" and not session["domain"]
    csrf = client.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"


@pytest.mark.parametrize(
    ("person", "page", "kind"),
    [
        ("dsl", "/", "home page"),
        ("dsl", "/queue/", "list"),
        ("dsl", "/children/{child}/", "child's file"),
        ("teacher", "/concerns/new/", "form"),
        ("dsl", "/referrals/{referral}/pdf/", "download"),
        ("dsl", "/no-such-page/", "error page (404)"),
        ("teacher", "/queue/", "error page (403)"),
        ("teacher", "/children/{child}/", "error page (404 for a child out of scope)"),
    ],
)
def test_signed_in_pages_carry_every_header(world, scene, production_transport, person, page, kind):
    pupil, referral = scene
    client = signed_in_client(world.people[person])

    response = client.get(page.format(child=pupil.uuid, referral=referral.uuid), secure=True)

    expected = {"error page (404)": 404, "error page (403)": 403}.get(kind, 200)
    if kind.startswith("error page (404"):
        expected = 404
    assert response.status_code == expected, kind
    html = response["Content-Type"].startswith("text/html")
    assert html == (kind != "download")
    check_common_headers(response, html=html)
    assert "no-store" in response["Cache-Control"], kind
    if kind.startswith("error page"):
        body = response.content.decode()
        assert f"<code>{response['X-Request-ID']}</code>" in body
        assert "Traceback" not in body
        assert "Jade" not in body
    if kind == "download":
        assert response["Content-Disposition"].startswith("attachment;")


def test_signing_out_clears_what_the_browser_kept(world):
    client = signed_in_client(world.dsl)

    response = client.post("/accounts/logout/")

    assert response["Clear-Site-Data"] == '"cache", "storage"'
