import re

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from safeguarding import urls as site_urls

pytestmark = pytest.mark.django_db


def broken_view(request):
    raise RuntimeError("secret detail that must never reach the page")


def fine_view(request):
    return HttpResponse("fine")


urlpatterns = [path("broken/", broken_view), path("fine/", fine_view), *site_urls.urlpatterns]
handler500 = "safeguarding.core.views.server_error"
handler404 = "safeguarding.core.views.page_not_found"


def test_home_page_has_header_navigation_skip_link_and_footer(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<a class="skip-link visually-hidden-focusable" href="#main">Skip to main content</a>' in html
    assert '<main id="main"' in html
    assert 'aria-label="Main"' in html
    assert "<footer" in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert 'call <a href="tel:999">999</a>' in html.lower()


def test_pages_carry_a_strict_content_security_policy_and_no_inline_script(client):
    response = client.get("/")

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())
    assert not re.search(r"\sstyle=", response.content.decode())


def test_vendored_static_files_are_served_locally(client):
    html = client.get("/").content.decode()
    sources = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("bootstrap" in source for source in sources)
    assert any("htmx" in source for source in sources)
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html


def test_not_found_page_gives_a_reference_and_no_trace(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    reference = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9A-F]{12}", reference)
    assert f"<code>{reference}</code>" in html
    assert "Page not found" in html
    assert "Traceback" not in html
    assert "urlpatterns" not in html.lower()


@pytest.mark.urls("tests.core.test_pages")
def test_server_error_page_gives_a_reference_and_no_trace(caplog):
    client = Client(raise_request_exception=False)

    response = client.get("/broken/")

    assert response.status_code == 500
    html = response.content.decode()
    assert f"<code>{response['X-Request-ID']}</code>" in html
    assert "Traceback" not in html
    assert "secret detail" not in html
    assert "RuntimeError" not in html
    # The log line carries the same reference, so support can find it.
    assert any(getattr(record, "request_id", None) == response["X-Request-ID"] for record in caplog.records)


@pytest.mark.urls("tests.core.test_pages")
def test_every_response_has_its_own_reference(client):
    first = client.get("/fine/")["X-Request-ID"]
    second = client.get("/fine/")["X-Request-ID"]
    assert first != second


def test_every_page_shown_to_a_signed_in_person_is_not_stored(world):
    from tests.personas import signed_in_client

    client = signed_in_client(world.dsl)
    for url in ("/", "/queue/", "/audit/", "/guide/signs/", f"/schools/{world.northfield.uuid}/staff/", "/nope/"):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
