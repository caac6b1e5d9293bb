"""Journeys in Chromium: the site as its own server process, on its own PostgreSQL database with the demo loaded,
driven by Playwright with Debian's `chromium` (DESIGN.md §9).

Playwright's synchronous API keeps an event loop running in this process, and Django refuses database work while
one runs; so these tests never touch Django's database themselves. The site runs under gunicorn, as in production,
and anything the tests need from the database goes through a management command in a subprocess.
"""

import base64
import hashlib
import hmac
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from safeguarding.settings_defaults import DEFAULT_DEMO_PASSWORD, DEFAULT_DEMO_TOTP_SECRET

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "var" / "screens"
AXE_SCRIPT = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
# The site is given these, whatever the caller's environment says, so that the journeys sign in with what it seeded.
PASSWORD = DEFAULT_DEMO_PASSWORD
TOTP_SECRET = DEFAULT_DEMO_TOTP_SECRET
IMPACTS = ("critical", "serious", "moderate", "minor")
# What a journey counted of a person's effort: its name -> (taps, typed fields).
JOURNEY_COUNTS: dict[str, tuple[int, int]] = {}
# WCAG 2.2 level A and AA (2.5.8 target size included) and the rules before it, plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


# The site ------------------------------------------------------------------------------------------------------


@dataclass
class Site:
    url: str
    env: dict
    log: Path

    def manage(self, *args: str) -> str:
        """Run a management command against the site's database and return what it printed."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise AssertionError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def python(self, code: str) -> str:
        """Run Python in the Django shell of the site; the last printed line is the answer."""
        lines = self.manage("shell", "--verbosity", "0", "--command", code).strip().splitlines()
        return lines[-1] if lines else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"The site stopped while starting:\n{log.read_text(errors='replace')}")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=5)  # noqa: S310 - our own server on 127.0.0.1
            return
        except urllib.error.HTTPError:
            return  # 503: no worker or scheduler runs here, but the site answers
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"The site did not answer within a minute:\n{log.read_text(errors='replace')}")


def _admin_connection():
    return psycopg.connect(dbname=os.environ.get("PGDATABASE", "postgres"), autocommit=True)


@pytest.fixture(scope="module")
def site_settings() -> dict:
    """Settings of the site's environment that a module wants changed; the journeys keep the defaults."""
    return {}


@pytest.fixture(scope="module")
def site(tmp_path_factory, site_settings):
    """The site under gunicorn on 127.0.0.1, on a database of its own in the throwaway cluster, with the demo."""
    if not os.environ.get("PGHOST"):
        pytest.fail("The journeys need the throwaway PostgreSQL: run them with `make test` or scripts/with-postgres.sh")
    folder = tmp_path_factory.mktemp("site")
    name = f"safeguard_journeys_{os.getpid()}"
    with _admin_connection() as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = {
        **os.environ,
        "DJANGO_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "safeguarding.settings",
        "PGDATABASE": name,
        "AUDIT_ANCHOR_PATH": str(folder / "audit-anchor.json"),
        "LOG_LEVEL": "WARNING",
        "DEMO_PASSWORD": PASSWORD,
        "DEMO_TOTP_SECRET": TOTP_SECRET,
        **site_settings,
    }
    for unwanted in ("DATABASE_URL", "DEBUG"):
        env.pop(unwanted, None)
    port = _free_port()
    site = Site(url=f"http://127.0.0.1:{port}", env=env, log=folder / "server.log")
    site.manage("migrate", "--no-input")
    site.manage("seed_demo")
    gunicorn = [sys.executable, "-m", "gunicorn", "safeguarding.wsgi", "--bind", f"127.0.0.1:{port}"]
    with site.log.open("w") as log:
        server = subprocess.Popen(
            [*gunicorn, "--workers", "2", "--threads", "4", "--no-control-socket", "--access-logfile", "-"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(site.url, server, site.log)
        yield site
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        with _admin_connection() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed journey carries the end of the server's log."""
    report = yield
    site = getattr(item, "funcargs", {}).get("site")
    if report.failed and isinstance(site, Site):
        report.sections.append(("server log (last lines)", site.log_tail()))
    return report


# The browser ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium; Playwright never downloads a browser of its own here."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@dataclass
class Person:
    """One person's browser: their own cookies, the page they look at, and what the browser complained of."""

    email: str
    page: object
    problems: list = field(default_factory=list)

    def assert_no_problems(self) -> None:
        assert not self.problems, "The browser reported:\n" + "\n".join(self.problems)


@pytest.fixture
def open_browser(browser, site):
    """A fresh browser context for a person, on a phone or a desktop screen; closed at the end of the test."""
    contexts = []

    def open_for(email: str, *, phone: bool = False, **options) -> Person:
        """`options` change the screen's, e.g. `viewport` or `device_scale_factor`, or the site's `base_url`."""
        context = browser.new_context(
            locale="en-GB",
            timezone_id="Europe/London",
            accept_downloads=True,
            # No colour fading on buttons: axe judges the colours a control settles on, not one half-way there.
            reduced_motion="reduce",
            **{"base_url": site.url, **(PHONE if phone else DESKTOP), **options},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        person = Person(email=email, page=context.new_page())
        # Script errors and Content Security Policy violations are failures: the CSP the site sends stays strict.
        person.page.on("pageerror", lambda error: person.problems.append(f"script error: {error}"))
        person.page.on(
            "console",
            lambda message: (
                person.problems.append(f"console {message.type}: {message.text}") if message.type == "error" else None
            ),
        )
        return person

    yield open_for
    for context in contexts:
        context.close()


# Codes ---------------------------------------------------------------------------------------------------------


def totp(at_step: int) -> str:
    """The 6-digit code of the demo authenticator secret for one 30-second step (RFC 6238)."""
    secret = TOTP_SECRET.replace(" ", "").upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", at_step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


CODE_WAITS: list[float] = []


class Authenticator:
    """The demo accounts' authenticator app. Each code is accepted once per person, so a second code for the same
    person waits for the next 30-second window (DESIGN.md §8), and only as long as it must."""

    def __init__(self):
        self.last_step: dict[str, int] = {}

    def fresh_code(self, email: str) -> str:
        step = int(time.time() // 30)
        if step <= self.last_step.get(email, -1):
            pause = (step + 1) * 30 - time.time() + 0.5
            CODE_WAITS.append(pause)
            time.sleep(pause)
            step = int(time.time() // 30)
        self.last_step[email] = step
        return totp(step)


@pytest.fixture(scope="module")
def authenticator():
    return Authenticator()


# Accessibility and screenshots ---------------------------------------------------------------------------------

AXE_RESULTS: dict[str, Counter] = {}
AXE_NOTES: dict[str, list[str]] = {}


def axe_check(page, label: str) -> None:
    """Run axe-core's WCAG 2.2 A and AA rules (and its best practices) on the page as it is now; fail on any
    violation, whatever its impact.

    axe is evaluated through the DevTools protocol, which the page's Content Security Policy does not govern, so
    the site's own CSP stays in force while it is checked."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text())
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\\s+/g, " "))
            }));
        }""",
        AXE_TAGS,
    )
    key = f"{label} ({page.url.split('//', 1)[-1].partition('/')[2] or '/'})"
    AXE_RESULTS[key] = Counter(violation["impact"] for violation in violations)
    AXE_NOTES[key] = [f"{v['impact']} {v['id']}: {v['help']}" for v in violations]
    assert not violations, f"axe-core on {key}:\n" + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"][:5]) for v in violations
    )


class Screens:
    def __init__(self):
        SCREENS.mkdir(parents=True, exist_ok=True)
        for old in SCREENS.glob("*.png"):
            old.unlink()
        self.taken = 0

    def take(self, page, name: str) -> None:
        self.taken += 1
        page.screenshot(path=SCREENS / f"{self.taken:02d}-{name}.png", full_page=True)


@pytest.fixture(scope="module")
def screens():
    return Screens()


def pytest_terminal_summary(terminalreporter):
    if not AXE_RESULTS:
        return
    terminalreporter.section("axe-core (WCAG 2.2 A and AA, best practices) on the pages the journeys visited")
    terminalreporter.write_line(f"{'page':<78} " + " ".join(f"{impact:>8}" for impact in IMPACTS))
    for page, counts in AXE_RESULTS.items():
        terminalreporter.write_line(f"{page[:78]:<78} " + " ".join(f"{counts[impact]:>8}" for impact in IMPACTS))
        for note in AXE_NOTES[page]:
            terminalreporter.write_line(f"    {note}")
    totals = sum(AXE_RESULTS.values(), Counter())
    terminalreporter.write_line(
        f"{len(AXE_RESULTS)} page views checked; violations by impact: "
        + ", ".join(f"{impact} {totals[impact]}" for impact in IMPACTS)
    )
    for journey, (taps, typed) in JOURNEY_COUNTS.items():
        terminalreporter.write_line(f"{journey}: {taps} taps, {typed} typed fields")
    if CODE_WAITS:
        terminalreporter.write_line(f"Waited {sum(CODE_WAITS):.0f}s in all for fresh 30-second code windows.")
