import re
import stat
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.test import Client

from safeguarding.accounts.models import UserSession
from safeguarding.accounts.ratelimit import RAISED_SESSION_KEY
from safeguarding.audit.models import AuditEvent

PRODUCTION = {"DJANGO_ENV": None, "SECRET_KEY": "k" * 60, "AUDIT_KEY": "a" * 40, "ALLOWED_HOSTS": "safeguard.example"}


def scan_session(email: str, directory) -> tuple[str, dict[str, str]]:
    """Run the command; return what it printed and the cookies, read from its Netscape file as curl reads it."""
    out = StringIO()
    call_command("scan_session", email, "--dir", str(directory), stdout=out)
    cookies = {}
    for line in (directory / "cookies.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            domain, _, path, secure, expires, name, value = line.split("\t")
            assert (domain, path, secure, expires) == ("127.0.0.1", "/", "FALSE", "0")
            cookies[name] = value
    assert set(cookies) == {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}
    return out.getvalue(), cookies


def scanner(cookies: dict[str, str]) -> Client:
    client = Client(enforce_csrf_checks=True)
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def test_the_scan_session_lets_the_dsl_open_their_queue(world, tmp_path):
    _, cookies = scan_session(world.dsl.email, tmp_path)

    response = scanner(cookies).get("/queue/")

    assert response.status_code == 200
    assert response.wsgi_request.user == world.dsl
    assert UserSession.objects.filter(user=world.dsl, session_key=cookies[settings.SESSION_COOKIE_NAME]).exists()
    login = AuditEvent.objects.filter(event_type="login", user_uuid=world.dsl.uuid).get()
    assert login.user_agent == "manage.py scan_session"
    assert login.detail == {"second_factor": True, "factor": "authenticator app"}


def test_forms_are_accepted_with_the_csrf_cookie_of_the_file_alone(world, tmp_path):
    _, cookies = scan_session(world.dsl.email, tmp_path)
    page = scanner(cookies).get("/queue/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    # A new client with only the file's cookies, as sqlmap sends them when it ignores the cookies the site sets.
    response = scanner(cookies).post(
        "/concerns/children/",
        {"csrfmiddlewaretoken": token, "school": world.northfield.uuid, "child_search": "ab"},
    )

    assert response.status_code == 200


def test_the_scan_session_carries_raised_rate_limits(world, tmp_path):
    _, cookies = scan_session(world.dsl.email, tmp_path)

    assert scanner(cookies).session[RAISED_SESSION_KEY] is True


def test_the_session_key_is_written_for_the_owner_only_and_never_printed(world, tmp_path):
    printed, cookies = scan_session(world.dsl.email, tmp_path)
    key = cookies[settings.SESSION_COOKIE_NAME]

    assert key not in printed
    for name in ("cookies.txt", "cookies.json", "cookies.header"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
        assert key in (tmp_path / name).read_text()


def test_scan_session_refuses_in_production_mode(run_python, tmp_path):
    result = run_python("", PRODUCTION, "manage.py", "scan_session", "--dir", str(tmp_path))

    assert result.returncode != 0
    assert "scan_session only runs with DJANGO_ENV=development" in result.stderr
    assert not (tmp_path / "cookies.txt").exists()
