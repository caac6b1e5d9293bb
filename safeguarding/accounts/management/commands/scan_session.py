"""A signed-in session for a security scanner, made without the password or the code. Development only.

The session is made by the sign-in flow's own last step (signin_complete), so it holds exactly what a real
sign-in leaves: the user, the authenticator that verified them, the sign-in time and a UserSession row. It
also carries RAISED_SESSION_KEY, which raises the rate limits for this one session, so that a scanner can
crawl the site without being stopped while every other session keeps the normal limits.

The session key is a password in all but name: it is written only to the cookie files (mode 600), never
printed.
"""

import json
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError
from django.http import HttpRequest
from django.utils.module_loading import import_string

from safeguarding.accounts.access import user_may_sign_in, user_needs_second_factor
from safeguarding.accounts.models import User
from safeguarding.accounts.ratelimit import RAISED_SESSION_KEY
from safeguarding.accounts.signin import confirmed_device, signin_complete
from safeguarding.audit.context import RequestContext

USER_AGENT = "manage.py scan_session"


class Command(BaseCommand):
    help = (
        "Sign a demo account in as if it had given its password and code, for a security scanner, and write the "
        "session and CSRF cookies to DIR/cookies.txt (Netscape format: curl, wget), DIR/cookies.json (wapiti) and "
        "DIR/cookies.header (a Cookie header: sqlmap --live-cookies), all mode 600. The session's rate limits are "
        "raised. Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", default="dsl@northfield.example")
        parser.add_argument(
            "--dir", dest="directory", default=str(settings.VAR_DIR / "scan"), help="Where to write the cookie files."
        )
        parser.add_argument("--host", default="127.0.0.1", help="The host name the scanner uses for the site.")

    def handle(self, *, email, directory, host, **options):
        if not settings.DEVELOPMENT:
            raise CommandError(
                "scan_session only runs with DJANGO_ENV=development: it signs a person in without their password."
            )
        user = User.objects.with_email(email).filter(is_active=True).first()
        if user is None or not user_may_sign_in(user):
            raise CommandError(f"{email} is not an active account with a role. Run seed_demo first.")
        device = confirmed_device(user)
        if device is None and user_needs_second_factor(user):
            raise CommandError(f"{email} has no confirmed authenticator. Run seed_demo first.")
        cookies = scan_session_create(user=user, device=device)
        paths = cookie_files_write(Path(directory), host=host, cookies=cookies)
        self.stdout.write(f"Signed in {user.email} for a scan; cookies written to {', '.join(map(str, paths))}")


def scan_session_create(*, user: User, device) -> dict[str, str]:
    """Sign `user` in through the sign-in flow's last step and raise the session's rate limits. Returns the cookies
    a browser would hold afterwards: the session, and the CSRF cookie that signing in renews."""
    request = HttpRequest()
    request.method = "POST"
    request.META = {"HTTP_USER_AGENT": USER_AGENT, "SERVER_NAME": "localhost", "SERVER_PORT": "80"}
    request.session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    request.user = AnonymousUser()
    request.audit = RequestContext.from_request(request)
    signin_complete(request, user=user, device=device)
    request.session[RAISED_SESSION_KEY] = True
    request.session.save()
    return {
        settings.SESSION_COOKIE_NAME: request.session.session_key,
        settings.CSRF_COOKIE_NAME: request.META["CSRF_COOKIE"],
    }


def cookie_files_write(directory: Path, *, host: str, cookies: dict[str, str]) -> list[Path]:
    """The cookies for `host`, in the three formats scanners read, each file readable by its owner only.

    In the Netscape format an expiry of 0 marks a cookie that lasts as long as the browser, as curl and wget read
    it. The CSRF cookie is what lets a scanner that ignores the cookies the site sets (sqlmap --drop-set-cookie)
    still send forms: the tokens in the pages are made from it.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    netscape = "# Netscape HTTP Cookie File\n" + "".join(
        f"{host}\tFALSE\t/\tFALSE\t0\t{name}\t{value}\n" for name, value in cookies.items()
    )
    attributes = {"expires": None, "secure": False, "port": None, "version": 0}
    wapiti = {host: {"/": {name: {"value": value, **attributes} for name, value in cookies.items()}}}
    files = {
        directory / "cookies.txt": netscape,
        directory / "cookies.json": json.dumps(wapiti, indent=2) + "\n",
        directory / "cookies.header": "; ".join(f"{name}={value}" for name, value in cookies.items()) + "\n",
    }
    for path, text in files.items():
        _write_private(path, text)
    return list(files)


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # the file may have been there already, with wider permissions
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
