"""Safeguard under load and faults: busy teachers, a database restart, a mail server that refuses, and two people
deciding the same concern at the same instant. Every accepted concern must be stored exactly once with one audit
event, every page that showed data must have its audit event, and the site must recover by itself.

    make stress     # or: PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/stress.py

Runs on the throwaway PostgreSQL of scripts/with-postgres.sh (it needs PGDATA and PG_BINDIR from there, to
restart the server), on 127.0.0.1 only. It migrates, seeds the demo and adds TEACHERS staff accounts, then starts
gunicorn, the task worker, the scheduler and a local SMTP server, and signs everyone in through the real sign-in
pages (the DSL and the deputy with their authenticator codes). Then:

1. Load: TEACHERS teachers log concerns through the real form for LOAD_SECONDS (open the form, choose a child,
   send it, read the receipt), each pressing "send" again after a "try again" page, as a person would.
   - From REFUSE_FROM to REFUSE_UNTIL seconds the SMTP server refuses mail (451).
   - At RESTART_AT seconds PostgreSQL is stopped (fast shutdown), kept down OUTAGE_SECONDS and started again.
     Nothing else is restarted. The recovery is the time from PostgreSQL accepting connections to the first answer
     to a request sent after that; a probe also reads a page every PROBE_SECONDS, for one reader's view of it.
2. Mail: waits (at most MAIL_WAIT_SECONDS) until every notification of a concern has been delivered.
3. Decisions: ROUNDS times, the DSL acknowledges a concern, then the DSL and the deputy both send a decision for
   it at the same instant (a barrier, each on their own connection and session).
4. Checks the database and prints a table of what was done and found; writes bench/results/stress.json.
Exits 0 when every check passes. The whole run is bounded by DEADLINE_SECONDS.
"""

import contextlib
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="safeguard-stress-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.settings")
os.environ["DJANGO_ENV"] = "development"
os.environ.update(
    AUDIT_ANCHOR_PATH=str(WORK / "audit-anchor.json"),
    LOG_LEVEL="WARNING",
)

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.tasks import TaskResultStatus  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.oath import TOTP  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402
from stress_http import Browser, RequestLog  # noqa: E402
from stress_smtp import SmtpSink  # noqa: E402

from referrals.models import Child, Concern, ConcernIndicator, ConcernStatus, Decision, Incident  # noqa: E402
from safeguarding.accounts.models import Membership, School, User  # noqa: E402
from safeguarding.accounts.roles import Role  # noqa: E402
from safeguarding.audit.events import EventType  # noqa: E402
from safeguarding.audit.models import AuditEvent  # noqa: E402


def setting(name: str, default: float) -> float:
    return type(default)(os.environ.get(name, default))


TEACHERS = setting("TEACHERS", 50)
LOAD_SECONDS = setting("LOAD_SECONDS", 60)
REFUSE_FROM, REFUSE_UNTIL = setting("REFUSE_FROM", 5), setting("REFUSE_UNTIL", 25)
RESTART_AT, OUTAGE_SECONDS = setting("RESTART_AT", 30), setting("OUTAGE_SECONDS", 3.0)
PROBE_SECONDS = setting("PROBE_SECONDS", 0.25)
RECOVERY_LIMIT = setting("RECOVERY_LIMIT", 10.0)
ROUNDS = setting("ROUNDS", 100)
MAIL_WAIT_SECONDS = setting("MAIL_WAIT_SECONDS", 150)
WEB_WORKERS, WEB_THREADS = setting("WEB_WORKERS", 3), setting("WEB_THREADS", 8)
DEADLINE_SECONDS = setting("DEADLINE_SECONDS", 540)
RETRY_PAUSE = (1.0, 2.0)  # how long a teacher waits after a "try again" page, at random in this range
FINISH_SECONDS = 30  # how long a concern under way when the load ends may take to finish
NEW_CONCERN = "new concern"  # in the subject of the team's email
RESULTS = ROOT / "bench" / "results" / "stress.json"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- PostgreSQL, controlled directly so that it can be restarted mid-run -------------------------------------


class Postgres:
    def __init__(self):
        try:
            self.data = Path(os.environ["PGDATA"])
            self.bindir = Path(os.environ["PG_BINDIR"])
        except KeyError:
            sys.exit("Run through scripts/with-postgres.sh (make stress): PGDATA and PG_BINDIR are needed.")
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # The options the server was started with, to start it again the same way.
        words = shlex.split((self.data / "postmaster.opts").read_text())[1:]
        at = words.index("-D")
        self.options = shlex.join(words[:at] + words[at + 2 :])
        self.log = self.data.parent / "server.log"

    def pg_ctl(self, *args: str) -> None:
        command = [*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self.pg_ctl("-w", "-t", "60", "-l", str(self.log), "-o", self.options, "start")

    @staticmethod
    def accepting() -> bool:
        try:
            psycopg.connect(connect_timeout=2).close()  # the PG* variables say where
            return True
        except psycopg.OperationalError:
            return False


# --- The site's processes ---------------------------------------------------------------------------------------


class Site:
    def __init__(self, smtp_port: int):
        self.port = free_port()
        self.environment = {
            **os.environ,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_RETRY_SECONDS": "1",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        python = sys.executable
        gunicorn = str(Path(python).parent / "gunicorn")
        commands = {
            "web": [
                gunicorn,
                "safeguarding.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={WEB_WORKERS}",
                f"--threads={WEB_THREADS}",
                "--worker-class=gthread",
                "--keep-alive=30",
                "--timeout=60",
            ],
            "worker": [python, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"],
            "scheduler": [python, "manage.py", "scheduler"],
        }
        for name, command in commands.items():
            log = (WORK / f"{name}.log").open("ab")
            self.processes[name] = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        probe = Browser(self.port, RequestLog(), timeout=5)
        while time.monotonic() < deadline:
            try:
                probe.get("/healthz")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer; see {WORK / 'web.log'}")

    def pids(self) -> dict[str, object]:
        """The process ids now: the web server's workers too, to show that none was restarted."""
        web = self.processes["web"].pid
        return {
            "web": web,
            "web workers": sorted(child_pids(web)),
            "worker": self.processes["worker"].pid,
            "scheduler": self.processes["scheduler"].pid,
        }

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.processes.values())

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_pids(parent: int) -> set[int]:
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                children.add(int(entry.name))
    return children


# --- People -----------------------------------------------------------------------------------------------------


def teachers_create(count: int) -> list[User]:
    """Staff accounts for the load, split between the two demo schools, sharing the demo password, each with an
    authenticator."""
    schools = [School.objects.get(name="Northfield Academy"), School.objects.get(name="Riverside Primary")]
    password = make_password(os.environ.get("DEMO_PASSWORD", "northfield-demo-2026"))
    people = []
    for number in range(1, count + 1):
        school = schools[0] if number <= count * 3 // 5 or number == count else schools[1]
        email = f"stress{number:02d}@{'northfield' if school == schools[0] else 'riverside'}.example"
        user, _ = User.objects.update_or_create(
            email=email, defaults={"full_name": f"Stress Teacher {number}", "password": password, "is_active": True}
        )
        Membership.objects.get_or_create(user=user, school=school, defaults={"role": Role.STAFF})
        # Everyone signs in with a second factor; each load teacher has an authenticator of their own.
        TOTPDevice.objects.get_or_create(user=user, defaults={"name": "Stress authenticator", "confirmed": True})
        people.append(user)
    return people


def sign_in(browser: Browser, email: str, *, code_for: User | None = None) -> None:
    page = browser.get("/accounts/login/", kind="sign-in")
    fields = {"csrfmiddlewaretoken": page.field("csrfmiddlewaretoken"), "email": email, "password": password()}
    answer = browser.post("/accounts/login/", fields, kind="sign-in")
    if code_for is not None:
        page = browser.get("/accounts/login/code/", kind="sign-in")
        device = TOTPDevice.objects.get(user=code_for, confirmed=True)
        code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
        answer = browser.post(
            "/accounts/login/code/",
            {"csrfmiddlewaretoken": page.field("csrfmiddlewaretoken"), "code": f"{code:06d}"},
            kind="sign-in",
        )
    if answer.status != 302 or "/accounts/login" in answer.location:
        raise RuntimeError(f"{email} could not sign in (status {answer.status}, to {answer.location!r})")


def password() -> str:
    return os.environ.get("DEMO_PASSWORD", "northfield-demo-2026")


# --- 1. Teachers logging concerns, while the mail server refuses and the database restarts ------------------------


class Teacher(threading.Thread):
    def __init__(self, user: User, browser: Browser, children: list[str], load):
        super().__init__(name=f"teacher-{user.pk}", daemon=True)
        self.user, self.browser, self.children, self.load = user, browser, children, load
        self.acknowledged: dict[str, tuple[str, float]] = {}  # submission key -> (incident uuid, when)
        self.unanswered = 0  # submissions given up on without an answer
        self.refused = []  # submissions the form refused (status, first words of the page)
        self.errors: list[str] = []

    def run(self):
        number = 0
        while time.monotonic() < self.load.ends_at:
            number += 1
            try:
                self.concern(number)
            except Exception as error:  # counted and reported as a client error, never hidden
                self.errors.append(f"{type(error).__name__}: {error}")
                time.sleep(random.uniform(*RETRY_PAUSE))

    def patiently(self, send):
        """Send, and again after a "try again" page or a failed connection, until an answer or time is up."""
        while True:
            try:
                reply = send()
            except OSError:
                reply = None
            if reply is not None and reply.status != 503:
                return reply
            if time.monotonic() > self.load.ends_at + FINISH_SECONDS:
                return reply
            time.sleep(random.uniform(*RETRY_PAUSE))

    def concern(self, number: int) -> None:
        form = self.patiently(lambda: self.browser.get("/concerns/new/", kind="form"))
        if form is None or form.status != 200:
            return
        fields = {
            "csrfmiddlewaretoken": form.field("csrfmiddlewaretoken"),
            "school": form.field("school"),
            "submission_key": form.field("submission_key"),
            "observed_at": (timezone.localtime() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
            "location": "Corridor by the sports hall",
            "account": f"Stress concern {number} by {self.user.full_name}: seen with an expensive new phone.",
            "urgency": "routine",
            "ind_SIG-GIFTS": "seen",
        }
        child = {"add_child": random.choice(self.children)}
        self.patiently(lambda: self.browser.post("/concerns/new/", {**fields, **child}, kind="choose child"))
        sent = self.patiently(lambda: self.browser.post("/concerns/new/", fields, kind="send"))
        if sent is None or sent.status == 503:
            self.unanswered += 1
        elif sent.status == 302 and "/concerns/submitted/" in sent.location:
            incident = sent.location.rstrip("/").rsplit("/", 1)[1]
            self.acknowledged[fields["submission_key"]] = (incident, sent.ended)
            self.patiently(lambda: self.browser.get(sent.location, kind="receipt"))
        else:
            self.refused.append((sent.status, " ".join(sent.text.split())[:200]))


class Probe(threading.Thread):
    """Reads a page that needs the database every PROBE_SECONDS, to time the recovery."""

    def __init__(self, browser: Browser, load):
        super().__init__(name="probe", daemon=True)
        self.browser, self.load = browser, load

    def run(self):
        while time.monotonic() < self.load.ends_at:
            with contextlib.suppress(OSError):  # logged as "no answer" by the browser
                self.browser.get("/concerns/mine/", kind="probe")
            time.sleep(PROBE_SECONDS)


class Load:
    def __init__(self):
        self.started_at = self.ends_at = 0.0
        self.times: dict[str, float] = {}
        self.pending_retries = 0

    def run(self, *, teachers: list[Teacher], probe: Probe, sink: SmtpSink, postgres: Postgres) -> None:
        self.started_at = time.monotonic()
        self.ends_at = self.started_at + LOAD_SECONDS
        for thread in [*teachers, probe]:
            thread.start()
        self.at(REFUSE_FROM)
        sink.refusing = True
        self.times["refusing"] = time.monotonic()
        say("The SMTP server refuses mail")
        self.at(REFUSE_UNTIL - 1)
        self.pending_retries = email_retries_waiting()
        self.at(REFUSE_UNTIL)
        sink.refusing = False
        self.times["accepting"] = time.monotonic()
        say(f"The SMTP server accepts mail again ({sink.refused} sends refused, {self.pending_retries} waiting)")
        self.at(RESTART_AT)
        self.restart(postgres)
        for thread in [*teachers, probe]:
            thread.join(LOAD_SECONDS + FINISH_SECONDS + 60)
        self.times["ended"] = time.monotonic()

    def at(self, seconds: float) -> None:
        time.sleep(max(0.0, self.started_at + seconds - time.monotonic()))

    def restart(self, postgres: Postgres) -> None:
        self.times["stopping"] = time.monotonic()
        postgres.stop()
        self.times["stopped"] = time.monotonic()
        say(f"PostgreSQL stopped; starting it again in {OUTAGE_SECONDS:g} s")
        time.sleep(OUTAGE_SECONDS)
        postgres.start()
        while not postgres.accepting():
            time.sleep(0.05)
        self.times["accepting connections"] = time.monotonic()
        say("PostgreSQL accepts connections again")


def email_retries_waiting() -> int:
    return DBTaskResult.objects.filter(
        task_path="safeguarding.core.emails.email_send",
        status=TaskResultStatus.READY,
        args_kwargs__kwargs__attempt__gte=2,
    ).count()


# --- 2. The mail that was refused arrives ------------------------------------------------------------------------


def mail_wait(*, expected: int, sink: SmtpSink) -> float:
    """Wait until every notification is delivered and no email task is left; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < MAIL_WAIT_SECONDS:
        left = DBTaskResult.objects.filter(
            task_path="safeguarding.core.emails.email_send",
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        ).exists()
        if not left and len(sink.messages(NEW_CONCERN)) >= expected:
            break
        time.sleep(1)
    return time.monotonic() - started


# --- 3. The DSL and the deputy deciding the same concern at once ----------------------------------------------------


def decision_rounds(*, dsl: Browser, deputy: Browser, concerns: list[Concern]) -> list[dict]:
    rounds = []
    for number, concern in enumerate(concerns, start=1):
        page_path = f"/queue/{concern.uuid}/"
        page = dsl.get(page_path, kind="review")
        acknowledged = dsl.post(
            page_path,
            {
                "csrfmiddlewaretoken": page.field("csrfmiddlewaretoken"),
                "action": "acknowledge",
                "version": page.field("version"),
            },
            kind="acknowledge",
        )
        if acknowledged.status != 302:
            rounds.append({"concern": str(concern.uuid), "error": f"acknowledge answered {acknowledged.status}"})
            continue
        rounds.append(race(number, page_path, {"dsl": dsl, "deputy": deputy}, concern))
    return rounds


def race(number: int, page_path: str, people: dict[str, Browser], concern: Concern) -> dict:
    forms = {}
    for who, browser in people.items():
        page = browser.get(page_path, kind="review")
        forms[who] = {
            "csrfmiddlewaretoken": page.field("csrfmiddlewaretoken"),
            "action": "decide",
            "version": page.field("version"),
            "outcomes": "monitor",
            "threshold": "universal",
            "rationale": f"Round {number} decided by the {who}: monitor in school and review in a month",
        }
    barrier = threading.Barrier(len(people))
    answers = {}

    def decide(who: str) -> None:
        barrier.wait()
        answers[who] = people[who].post(page_path, forms[who], kind="decide")

    threads = [threading.Thread(target=decide, args=(who,)) for who in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = {who: answer.status for who, answer in answers.items()}
    winners = [who for who, status in statuses.items() if status == 302]
    losers = [who for who, status in statuses.items() if status == 409]
    kept = all(
        forms[who]["rationale"] in answers[who].text and "Someone else changed this concern" in answers[who].text
        for who in losers
    )
    return {
        "concern": str(concern.uuid),
        "statuses": statuses,
        "winner": winners[0] if len(winners) == 1 else None,
        "one_winner": len(winners) == 1 and len(losers) == 1,
        "loser_kept_their_words": kept,
        "gap_ms": round(abs(answers["dsl"].started - answers["deputy"].started) * 1000, 2),
    }


# --- 4. What the database holds ---------------------------------------------------------------------------------


def database_checks(*, teachers: list[Teacher], users: list[User], rounds: list[dict], people: dict) -> dict:
    connections.close_all()  # the connections of before the restart are gone
    return {
        **submission_checks(teachers, users),
        **decision_checks(rounds, people),
        "email tasks failed for good": DBTaskResult.objects.filter(
            task_path="safeguarding.core.emails.email_send", status=TaskResultStatus.FAILED
        ).count(),
    }


def submission_checks(teachers: list[Teacher], users: list[User]) -> dict:
    """Each acknowledged submission stored once; every stored concern whole, with one creation event."""
    acknowledged = {key: value for teacher in teachers for key, value in teacher.acknowledged.items()}
    stored = dict(Incident.objects.filter(submission_key__in=list(acknowledged)).values_list("submission_key", "uuid"))
    mismatched = [key for key, (incident, _) in acknowledged.items() if key in stored and str(stored[key]) != incident]
    incidents = Incident.objects.filter(author__in=users).annotate(concerns_count=Count("concerns"))
    concerns = set(Concern.objects.filter(author__in=users).values_list("uuid", flat=True))
    creates = Counter(
        AuditEvent.objects.filter(
            event_type=EventType.CREATE, object_type="concern", user_uuid__in=[user.uuid for user in users]
        ).values_list("object_uuid", flat=True)
    )
    indicators = Counter(
        ConcernIndicator.objects.filter(concern__author__in=users).values_list("concern__uuid", flat=True)
    )
    return {
        "acknowledged": len(acknowledged),
        "acknowledged missing": sum(1 for key in acknowledged if key not in stored),
        "acknowledged stored twice or elsewhere": len(mismatched),
        "incidents": incidents.count(),
        "incidents without exactly one concern": incidents.exclude(concerns_count=1).count(),
        "concerns": len(concerns),
        "concerns without exactly one creation event": sum(1 for uuid in concerns if creates[uuid] != 1),
        "creation events without their concern": sum(1 for uuid in creates if uuid not in concerns),
        "concerns without exactly their one indicator": sum(1 for uuid in concerns if indicators[uuid] != 1),
    }


def decision_checks(rounds: list[dict], people: dict) -> dict:
    """Each raced concern decided once, by the one whose request won, with one decision event."""
    decided = [item["concern"] for item in rounds if "statuses" in item]
    decisions = list(Decision.objects.filter(concern__uuid__in=decided).values_list("concern__uuid", "decided_by"))
    per_concern = Counter(str(uuid) for uuid, _ in decisions)
    decider = {str(uuid): user_id for uuid, user_id in decisions}
    events = AuditEvent.objects.filter(event_type=EventType.DECISION, object_uuid__in=decided)
    per_event = Counter(str(uuid) for uuid in events.values_list("object_uuid", flat=True))
    not_decided = Concern.objects.filter(uuid__in=decided).exclude(status=ConcernStatus.DECIDED)
    return {
        "decided concerns without exactly one decision": sum(1 for uuid in decided if per_concern[uuid] != 1),
        "decided concerns without exactly one decision event": sum(1 for uuid in decided if per_event[uuid] != 1),
        "decided concerns not in the decided state": not_decided.count(),
        "decisions recorded as the winner's": all(
            decider.get(item["concern"]) == people[item["winner"]].pk for item in rounds if item.get("winner")
        ),
    }


def pages_without_audit_event(log: RequestLog) -> tuple[int, int]:
    """Pages that showed safeguarding data (a receipt, a list, a concern under review, a decision answered), and
    how many of them have no audit event with their request id."""
    shown = {
        entry.request_id
        for entry in log.entries
        if (entry.kind in ("receipt", "probe", "review") and entry.status == 200)
        or (entry.kind == "decide" and entry.status in (302, 409))
    }
    found: set[str] = set()
    ids = list(shown)
    for start in range(0, len(ids), 5000):
        found.update(
            AuditEvent.objects.filter(request_id__in=ids[start : start + 5000]).values_list("request_id", flat=True)
        )
    return len(shown), len(shown - found)


# --- The run ----------------------------------------------------------------------------------------------------


def main() -> int:
    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the processes started here are stopped
    signal.alarm(int(DEADLINE_SECONDS))
    began = time.monotonic()
    postgres = Postgres()
    sink = SmtpSink()
    sink.start()
    site = Site(sink.port)
    passed = False
    try:
        passed = run(postgres=postgres, sink=sink, site=site, began=began) == 0
    finally:
        site.stop()
        sink.stop()
        if passed:
            shutil.rmtree(WORK, ignore_errors=True)
        else:
            say(f"The logs of the web server, the worker and the scheduler are kept in {WORK}")
    return 0 if passed else 1


def out_of_time(*_):
    raise TimeoutError(f"the stress test ran for more than {DEADLINE_SECONDS} s")


def run(*, postgres: Postgres, sink: SmtpSink, site: Site, began: float) -> int:
    users, children = database_prepare()
    say(f"Starting gunicorn ({WEB_WORKERS} workers x {WEB_THREADS} threads), the worker and the scheduler")
    site.start()
    pids_before = site.pids()
    log, load = RequestLog(), Load()
    browsers = teachers_sign_in(site, log, users)
    people = {who: User.objects.get(email=f"{who}@northfield.example") for who in ("dsl", "deputy")}
    team = {who: Browser(site.port, log) for who in people}
    for who, browser in team.items():
        sign_in(browser, people[who].email, code_for=people[who])
    teachers = [Teacher(user, browsers[user.pk], children[user.pk], load) for user in users[:-1]]

    say(f"Load: {TEACHERS} teachers for {LOAD_SECONDS} s")
    load.run(teachers=teachers, probe=Probe(browsers[users[-1].pk], load), sink=sink, postgres=postgres)
    connections.close_all()
    expected = Incident.objects.filter(author__in=users).count()
    say(f"Load over: {expected} concerns stored; waiting for their notifications")
    mail_waited = mail_wait(expected=expected, sink=sink)

    submitted = Concern.objects.filter(author__in=users, school__name="Northfield Academy")
    pool = list(submitted.filter(status=ConcernStatus.SUBMITTED).order_by("?")[:ROUNDS])
    say(f"Decisions: {len(pool)} rounds of the DSL and the deputy deciding at the same instant")
    rounds = decision_rounds(dsl=team["dsl"], deputy=team["deputy"], concerns=pool)
    say("Checking the database")
    found = database_checks(teachers=teachers, users=users, rounds=rounds, people=people)
    pages, unaudited = pages_without_audit_event(log)
    pids_after = site.pids()
    report = summary(
        load=load,
        log=log,
        teachers=teachers,
        sink=sink,
        rounds=rounds,
        found=found,
        pages=pages,
        unaudited=unaudited,
        expected_mail=expected,
        mail_waited=mail_waited,
        same_processes=pids_before == pids_after and site.alive(),
        wall=time.monotonic() - began,
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": report, "pids": [pids_before, pids_after]}, indent=2, default=str) + "\n")
    print_table(report)
    return 0 if all(row[2] != "FAIL" for row in report) else 1


def database_prepare() -> tuple[list[User], dict[int, list[str]]]:
    """Migrate, seed the demo, add the teachers (and one more for the probe); returns them and, for each, the
    children of their school."""
    say("Preparing the database: migrate, the demo trust and the teachers")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    users = teachers_create(TEACHERS + 1)
    school_of = dict(Membership.objects.filter(user__in=users).values_list("user_id", "school_id"))
    roll = {
        school: [str(uuid) for uuid in Child.objects.filter(school_id=school).values_list("uuid", flat=True)]
        for school in set(school_of.values())
    }
    return users, {user.pk: roll[school_of[user.pk]] for user in users}


def teachers_sign_in(site: Site, log: RequestLog, users: list[User]) -> dict[int, Browser]:
    """Every teacher signs in through the sign-in page at once, each in a browser of their own."""
    say(f"Signing in {len(users)} teachers, the DSL and the deputy")
    browsers = {user.pk: Browser(site.port, log) for user in users}
    failures = []

    def sign_in_teacher(user):
        try:
            sign_in(browsers[user.pk], user.email, code_for=user)
        except (OSError, RuntimeError, ValueError) as error:
            failures.append(f"{user.email}: {error}")

    threads = [threading.Thread(target=sign_in_teacher, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if failures:
        raise RuntimeError(f"{len(failures)} teachers could not sign in; the first: {failures[0]}")
    return browsers


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def summary(**facts) -> list[tuple[str, str, str]]:
    """The table: (what was checked, what was found, pass / FAIL / "" for a plain figure)."""
    return [
        *load_rows(facts),
        *database_rows(facts["found"], facts),
        *outage_rows(facts["load"], facts["log"], facts["same_processes"]),
        *mail_rows(facts),
        *decision_rows(facts["rounds"], facts["found"]),
        (
            "Wall time",
            f"{facts['wall']:.0f} s; mail drained in {facts['mail_waited']:.0f} s after the load; "
            f"{facts['log'].stale_connections} idle connections reopened",
            "",
        ),
    ]


def load_rows(facts) -> list[tuple[str, str, str]]:
    teachers, found = facts["teachers"], facts["found"]
    statuses = Counter(entry.status for entry in facts["log"].entries)
    answered = ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items()))
    errors = [error for teacher in teachers for error in teacher.errors]
    refused = [item for teacher in teachers for item in teacher.refused]
    given_up = sum(teacher.unanswered for teacher in teachers)
    rate = found["acknowledged"] / LOAD_SECONDS
    return [
        ("Load", f"{len(teachers)} teachers for {LOAD_SECONDS} s, gunicorn {WEB_WORKERS} x {WEB_THREADS} threads", ""),
        ("Requests, by status (whole run)", f"{sum(statuses.values()):,} ({answered})", ""),
        (
            "Server errors (500) / no answer",
            f"{statuses[500]} / {statuses[0]}",
            verdict(not statuses[500] + statuses[0]),
        ),
        ("Client errors", f"{len(errors)}" + (f" (first: {errors[0]})" if errors else ""), verdict(not errors)),
        ("Concerns acknowledged (receipt)", f"{found['acknowledged']:,} ({rate:.1f} a second)", verdict(rate > 0)),
        ("Sends refused by the form / given up", f"{len(refused)} / {given_up}", verdict(not refused)),
    ]


def database_rows(found: dict, facts) -> list[tuple[str, str, str]]:
    def zero(name: str, label: str) -> tuple[str, str, str]:
        return (label, str(found[name]), verdict(found[name] == 0))

    stored = found["concerns"], found["incidents"]
    return [
        zero("acknowledged missing", "Acknowledged but not in the database"),
        zero("acknowledged stored twice or elsewhere", "Acknowledged but stored twice or elsewhere"),
        ("Concerns stored (some sent without an answer)", f"{stored[0]:,} in {stored[1]:,} submissions", ""),
        zero("incidents without exactly one concern", "Half-written: submissions without their concern"),
        zero("concerns without exactly their one indicator", "Half-written: concerns without their indicator"),
        zero("concerns without exactly one creation event", "Concerns without exactly one creation event"),
        zero("creation events without their concern", "Creation events without their concern"),
        (
            "Pages showing data without an audit event",
            f"{facts['unaudited']} of {facts['pages']:,}",
            verdict(facts["unaudited"] == 0 and facts["pages"] > 0),
        ),
    ]


def outage_rows(load: "Load", log: RequestLog, same_processes: bool) -> list[tuple[str, str, str]]:
    times, entries = load.times, log.entries
    up = times["accepting connections"]
    during = [entry for entry in entries if entry.started < up and entry.ended > times["stopping"]]
    try_again = [entry for entry in during if entry.status == 503 and entry.try_again_page]
    served = [entry for entry in during if 200 <= entry.status < 400]
    all_503 = [entry for entry in entries if entry.status == 503]
    # The first request sent after PostgreSQL accepted connections that was answered: how soon the site served again.
    served_after = [entry.ended for entry in entries if entry.started >= up and 200 <= entry.status < 400]
    recovery = min(served_after) - up if served_after else None
    # The probe's own first page after that, beside its usual wait under this load, for comparison.
    probe = [entry for entry in entries if entry.kind == "probe" and entry.status == 200]
    probe_after = min((entry.ended for entry in probe if entry.started >= up), default=None)
    usual = sorted(entry.ended - entry.started for entry in probe if entry.ended < times["stopping"])
    late = sum(1 for entry in all_503 if entry.started > up + RECOVERY_LIMIT)
    return [
        (
            "PostgreSQL restarted mid-load",
            f"fast stop at {times['stopping'] - load.started_at:.0f} s, accepting again {up - times['stopped']:.1f} s "
            "after it stopped",
            "",
        ),
        (
            "Requests during the outage",
            f"{len(during)}: {len(try_again)} got the 503 'try again' page, {len(served)} were served before or after",
            verdict(bool(try_again) and len(try_again) + len(served) == len(during)),
        ),
        (
            "503 answers that were the 'try again' page",
            f"{sum(1 for entry in all_503 if entry.try_again_page)} of {len(all_503)}",
            verdict(all(entry.try_again_page for entry in all_503)),
        ),
        (
            "Serving again after PostgreSQL accepted",
            f"{recovery:.2f} s to the first answer to a request sent after it" if recovery is not None else "never",
            verdict(recovery is not None and recovery <= RECOVERY_LIMIT),
        ),
        (
            "The probe's first page after it",
            f"{probe_after - up:.2f} s (its usual wait under this load: {usual[len(usual) // 2]:.2f} s)"
            if probe_after is not None and usual
            else "none",
            "",
        ),
        (f"503 answers more than {RECOVERY_LIMIT:g} s after", str(late), verdict(late == 0)),
        ("Same processes throughout (none restarted)", "yes" if same_processes else "no", verdict(same_processes)),
    ]


def mail_rows(facts) -> list[tuple[str, str, str]]:
    load, sink, teachers, found = facts["load"], facts["sink"], facts["teachers"], facts["found"]
    times, expected = load.times, facts["expected_mail"]
    acknowledged = [when for teacher in teachers for _, when in teacher.acknowledged.values()]
    while_refusing = sum(1 for when in acknowledged if times["refusing"] <= when <= times["accepting"])
    delivered = sink.messages(NEW_CONCERN)
    last = max((message.at for message in delivered), default=times["accepting"]) - times["accepting"]
    return [
        (
            "SMTP refusing: sends refused, retries waiting",
            f"{sink.refused} refused in {REFUSE_UNTIL - REFUSE_FROM} s; {load.pending_retries} retries waiting",
            verdict(sink.refused > 0 and load.pending_retries > 0),
        ),
        ("Concerns saved while SMTP refused", f"{while_refusing:,}", verdict(while_refusing > 0)),
        (
            "Notifications delivered (one per submission)",
            f"{len(delivered):,} of {expected:,}; the last {last:.0f} s after SMTP accepted again",
            verdict(len(delivered) >= expected),
        ),
        ("Notifications delivered twice", str(max(0, len(delivered) - expected)), ""),
        (
            "Email tasks failed for good",
            str(found["email tasks failed for good"]),
            verdict(not found["email tasks failed for good"]),
        ),
    ]


def decision_rows(rounds: list[dict], found: dict) -> list[tuple[str, str, str]]:
    decided = [item for item in rounds if "statuses" in item]
    winners = Counter(item["winner"] for item in decided if item["winner"])
    gaps = sorted(item["gap_ms"] for item in decided)
    apart = gaps[len(gaps) // 2] if gaps else 0
    wrong = (
        found["decided concerns without exactly one decision"],
        found["decided concerns without exactly one decision event"],
        found["decided concerns not in the decided state"],
    )
    return [
        (
            "Decision rounds (DSL and deputy at once)",
            f"{len(decided)} of {ROUNDS}; DSL won {winners['dsl']}, deputy {winners['deputy']}; "
            f"sent {apart} ms apart (median)",
            verdict(len(decided) == ROUNDS),
        ),
        (
            "Rounds with one winner (302) and one 409",
            f"{sum(1 for item in decided if item['one_winner'])} of {len(decided)}",
            verdict(all(item["one_winner"] for item in decided)),
        ),
        (
            "The other shown the change, their words kept",
            f"{sum(1 for item in decided if item['loser_kept_their_words'])} of {len(decided)}",
            verdict(all(item["loser_kept_their_words"] for item in decided)),
        ),
        (
            "Decided concerns: not one decision / event / state",
            " / ".join(str(count) for count in wrong),
            verdict(not any(wrong)),
        ),
        (
            "Each decision stored as the winner's",
            "yes" if found["decisions recorded as the winner's"] else "no",
            verdict(found["decisions recorded as the winner's"]),
        ),
    ]


def print_table(rows) -> None:
    width = max(len(row[0]) for row in rows)
    print()
    print(f"{'Check'.ljust(width)}  {'Verdict':7}  Found")
    print(f"{'-' * width}  {'-' * 7}  {'-' * 40}")
    for check, found, verdict in rows:
        print(f"{check.ljust(width)}  {verdict:7}  {found}")
    failed = sum(1 for row in rows if row[2] == "FAIL")
    print()
    print("All checks passed." if not failed else f"{failed} check(s) FAILED.")


if __name__ == "__main__":
    sys.exit(main())
