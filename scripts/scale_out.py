"""Safeguard grown past one machine, on one machine: two application hosts behind nginx, PgBouncer in transaction
pooling in front of a PostgreSQL primary, and a streaming replica for the reads that ask for it.

    make scale-out      # or: .venv/bin/python scripts/scale_out.py (as root, or with pgbouncer and nginx installed)

Everything listens on 127.0.0.1 on free ports and lives in one temporary folder, removed on exit with every
process started here, whether the run passed, failed or was interrupted. pgbouncer and nginx come from Debian
(installed with apt-get when missing, with their services kept from starting); they run with private
configuration files, in the foreground, as children of this script.

The stack:
- PostgreSQL primary (fsync off), and a replica made from it with pg_basebackup -R, streaming;
- PgBouncer in transaction pooling in front of the primary;
- two "hosts", A and B: each a folder of its own (var/, TMPDIR) running gunicorn, a task worker (db_worker) and
  the scheduler from the same code, all writing through PgBouncer (DATABASE_POOLER=transaction) and reading
  reports and the audit trail from the replica (REPLICA_DATABASE_URL); the keys and the audit anchor path are
  shared, as a deployment shares them;
- nginx balancing the two gunicorns round-robin.

Then TEACHERS teachers sign in and log concerns through nginx for LOAD_SECONDS while the DSL reads the queue, the
reports and the audit trail, and the script checks, talking to each gunicorn directly:
(a) a file attached to a concern through host A downloads through host B;
(b) a background export built by one host's worker downloads through the other host;
(c) each periodic job is enqueued once per interval although two schedulers run (they start together, before any
    job has a row);
(d) a concern sent twice at once through the two hosts with one submission key is stored once;
and that no request failed and no process logged an error. It prints a table and exits non-zero if a check fails.
"""

import contextlib
import http.client
import io
import itertools
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def setting(name: str, default: float) -> float:
    return type(default)(os.environ.get(name, default))


TEACHERS = setting("TEACHERS", 12)
LOAD_SECONDS = setting("LOAD_SECONDS", 100)
WEB_WORKERS, WEB_THREADS = setting("WEB_WORKERS", 2), setting("WEB_THREADS", 4)
DEADLINE_SECONDS = setting("DEADLINE_SECONDS", 330)
GAP_TOLERANCE = timedelta(seconds=3)  # a scheduler round takes `now` a moment before it enqueues
PYTHON = sys.executable
SCHOOL = "Northfield Academy"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Packages ------------------------------------------------------------------------------------------------------


def packages_ensure() -> None:
    """pgbouncer and nginx from Debian, installed without starting their services (policy-rc.d answers 101)."""
    missing = [name for name, binary in (("pgbouncer", "pgbouncer"), ("nginx", "nginx")) if not binary_path(binary)]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"Install {' and '.join(missing)} (apt-get install {' '.join(missing)}), then run again.")
    say(f"Installing {', '.join(missing)} from Debian, their services kept from starting")
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:
        policy.write_text(
            "#!/bin/sh\n# Written by Safeguard's scripts/scale_out.py while it installs packages.\nexit 101\n"
        )
        policy.chmod(0o755)
    try:
        quiet = {
            "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            "check": True,
            "stdout": subprocess.DEVNULL,
        }
        subprocess.run(["apt-get", "update", "-qq"], **quiet, timeout=300)  # noqa: S607
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], **quiet, timeout=300)  # noqa: S603, S607
    finally:
        if ours:
            policy.unlink()


def binary_path(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name,) if p.exists()), None)


def postgres_bindir() -> Path:
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (directory / "initdb").exists():
            return directory
    output = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)  # noqa: S607
    return Path(output.stdout.strip())


# --- The stack: every process and folder it makes, and their end ------------------------------------------------


class Stack:
    def __init__(self):
        self.work = Path(tempfile.mkdtemp(prefix="safeguard-scale-"))
        self.work.chmod(0o755)
        (self.work / "logs").mkdir()
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.clusters: list[Path] = []
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.bindir = postgres_bindir()
        self.ports = {name: free_port() for name in ("primary", "replica", "pgbouncer", "nginx", "A", "B")}
        # Each log's length once both hosts said they were ready: what comes before (a /healthz answering 503
        # until the first worker heartbeat, say) is start-up, not an error of the run.
        self.ready_marks: dict[str, int] = {}

    def log_lines(self, name: str) -> list[str]:
        """A log's lines written since both hosts were ready (all of them before that)."""
        path = self.log(name)
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return lines[self.ready_marks.get(name, 0) :]

    def mark_ready(self) -> None:
        for path in (self.work / "logs").glob("*.log"):
            self.ready_marks[path.stem] = len(path.read_text(errors="replace").splitlines())

    def log(self, name: str) -> Path:
        return self.work / "logs" / f"{name}.log"

    def spawn(self, name: str, command: list[str], *, env=None, cwd=None) -> subprocess.Popen:
        with self.log(name).open("ab") as log:
            process = subprocess.Popen(  # noqa: S603
                command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append((name, process))
        return process

    def postgres_owned(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return path

    def pg(self, program: str, *args: str, timeout: float = 120) -> None:
        command = [*self.as_postgres, str(self.bindir / program), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)  # noqa: S603

    def cluster_start(self, data: Path, port: int) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{data.parent}' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c wal_level=replica -c max_wal_senders=4 -c hot_standby=on -c hot_standby_feedback=on -c timezone=UTC"
        )
        log = data.parent / f"{data.name}.log"
        try:
            self.pg("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start")
        except subprocess.CalledProcessError:
            print(log.read_text() if log.exists() else "", file=sys.stderr)
            raise
        self.clusters.append(data)

    def close(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for _name, process in reversed(self.processes):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        for data in reversed(self.clusters):
            with contextlib.suppress(subprocess.SubprocessError):
                self.pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.work, ignore_errors=True)


def databases_start(stack: Stack) -> None:
    """The primary, its database with UTC as default time zone (Django then needs no SET on a pooled connection),
    and a streaming replica made with pg_basebackup -R."""
    pg_home = stack.postgres_owned(stack.work / "pg")
    primary, replica = pg_home / "primary", pg_home / "replica"
    say("Starting the PostgreSQL primary")
    stack.pg("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
    stack.cluster_start(primary, stack.ports["primary"])
    where = ["-h", "127.0.0.1", "-p", str(stack.ports["primary"]), "-U", "postgres"]
    stack.pg("createdb", *where, "safeguard")
    stack.pg("psql", *where, "-q", "-d", "safeguard", "-c", "ALTER DATABASE safeguard SET timezone TO 'UTC'")
    say("Making the replica with pg_basebackup -R and starting it")
    stack.pg("pg_basebackup", *where, "-D", str(replica), "-R", "-X", "stream", "-c", "fast")
    stack.cluster_start(replica, stack.ports["replica"])


def pgbouncer_start(stack: Stack) -> None:
    home = stack.work / "pgbouncer"
    home.mkdir()
    (home / "userlist.txt").write_text('"postgres" ""\n')
    config = home / "pgbouncer.ini"
    config.write_text(
        f"""[databases]
safeguard = host=127.0.0.1 port={stack.ports["primary"]} dbname=safeguard

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {stack.ports["pgbouncer"]}
unix_socket_dir =
auth_type = trust
auth_file = {home / "userlist.txt"}
pool_mode = transaction
default_pool_size = 20
max_client_conn = 400
ignore_startup_parameters = extra_float_digits
admin_users = postgres
"""
    )
    command = [binary_path("pgbouncer"), str(config)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]
    stack.spawn("pgbouncer", command)
    wait_for_port(stack.ports["pgbouncer"], "pgbouncer", stack)


def nginx_start(stack: Stack) -> None:
    home = stack.work / "nginx"
    home.mkdir()
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (home / folder).mkdir(mode=0o777)
        (home / folder).chmod(0o777)
    config = home / "nginx.conf"
    config.write_text(
        f"""worker_processes 1;
pid {home / "nginx.pid"};
error_log {home / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    access_log {stack.log("nginx-access")};
    client_body_temp_path {home / "body"};
    proxy_temp_path {home / "proxy"};
    fastcgi_temp_path {home / "fastcgi"};
    uwsgi_temp_path {home / "uwsgi"};
    scgi_temp_path {home / "scgi"};
    client_max_body_size 12m;
    upstream safeguard {{
        server 127.0.0.1:{stack.ports["A"]};
        server 127.0.0.1:{stack.ports["B"]};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{stack.ports["nginx"]};
        location / {{
            proxy_pass http://safeguard;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_read_timeout 90s;
        }}
    }}
}}
"""
    )
    command = [binary_path("nginx"), "-p", str(home), "-c", str(config), "-e", str(home / "error.log")]
    stack.spawn("nginx", [*command, "-g", "daemon off;"])
    wait_for_port(stack.ports["nginx"], "nginx", stack)


def wait_for_port(port: int, name: str, stack: Stack, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not listen on {port}; its log: {stack.log(name).read_text()[-2000:]}")


# --- The application hosts --------------------------------------------------------------------------------------

SHARED_SECRETS = {"SECRET_KEY": secrets.token_urlsafe(40), "AUDIT_KEY": secrets.token_urlsafe(40)}


def application_environment(stack: Stack) -> dict:
    """What every host shares: the keys, the databases and the paths a deployment keeps on shared storage."""
    shared = stack.work / "shared"
    shared.mkdir(exist_ok=True)
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PG") and key not in ("DATABASE_URL", "REPLICA_DATABASE_URL", "DATABASE_POOLER")
    }
    return {
        **inherited,
        **SHARED_SECRETS,
        "DJANGO_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "safeguarding.settings",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
        "AUDIT_ANCHOR_PATH": str(shared / "audit-anchor.json"),
        "TRANSFER_SIGNING_KEY_PATH": str(shared / "transfer-signing-key.pem"),
        "EXPORT_BACKGROUND_ROWS": "0",
        "SCHEDULER_INTERVAL_SECONDS": "2",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SITE_URL": f"http://127.0.0.1:{stack.ports['nginx']}",
    }


def host_environment(stack: Stack, label: str) -> dict:
    """One host: its own folder, var/ and TMPDIR; writes through PgBouncer, replica reads from the replica."""
    home = stack.work / f"host-{label}"
    var = home / "var"
    for folder in (var, home / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
    return {
        **application_environment(stack),
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{stack.ports['pgbouncer']}/safeguard",
        "DATABASE_POOLER": "transaction",
        "REPLICA_DATABASE_URL": f"postgres://postgres@127.0.0.1:{stack.ports['replica']}/safeguard",
        # Folders of the file settings of old: on this host's own disk, so that a file kept there would not be
        # seen by the other host (the stored files live in the database storage).
        "ATTACHMENT_ROOT": str(var / "attachments"),
        "EXPORT_ROOT": str(var / "exports"),
        "TRANSFER_ROOT": str(var / "transfers"),
        "ACCESS_PACK_ROOT": str(var / "access-packs"),
    }


def hosts_start(stack: Stack) -> None:
    """gunicorn, the worker and the scheduler of each host; the two schedulers start together."""
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    manage = str(ROOT / "manage.py")
    environments = {label: host_environment(stack, label) for label in ("A", "B")}
    for label, env in environments.items():
        home = stack.work / f"host-{label}"
        stack.spawn(
            f"web-{label}",
            [
                gunicorn,
                "safeguarding.wsgi",
                f"--bind=127.0.0.1:{stack.ports[label]}",
                f"--workers={WEB_WORKERS}",
                f"--threads={WEB_THREADS}",
                "--worker-class=gthread",
                "--keep-alive=30",
                "--timeout=90",
                f"--access-logfile={stack.log(f'access-{label}')}",
                '--access-logformat=%(s)s "%(r)s" via=%({x-real-ip}i)s',
            ],
            env=env,
            cwd=home,
        )
        stack.spawn(
            f"worker-{label}",
            [PYTHON, manage, "db_worker", "--queue-name", "*", "--no-reload", "--worker-id", f"host-{label}"],
            env=env,
            cwd=home,
        )
    for label, env in environments.items():
        stack.spawn(f"scheduler-{label}", [PYTHON, manage, "scheduler"], env=env, cwd=stack.work / f"host-{label}")
    for label in environments:
        wait_for_port(stack.ports[label], f"web-{label}", stack, seconds=60)


def processes_alive(stack: Stack) -> list[str]:
    return [name for name, process in stack.processes if process.poll() is not None]


# --- Browsers ---------------------------------------------------------------------------------------------------


def browser_on(port: int, log, cookies: dict) -> "Browser":  # noqa: F821 - imported in main
    """A browser of the same person (the same session cookie) talking to another address."""
    from stress_http import Browser

    browser = Browser(port, log)
    browser.cookies = dict(cookies)
    return browser


def raw_get(port: int, path: str, cookies: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Host": f"127.0.0.1:{port}", "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def post_multipart(browser, path: str, fields: dict, files: list[tuple[str, str, str, bytes]]):
    """POST a form with files, as a browser does; returns (status, location)."""
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content_type, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    headers = {
        "Host": f"127.0.0.1:{browser.port}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Cookie": "; ".join(f"{name}={value}" for name, value in browser.cookies.items()),
    }
    response, _text = browser._send("POST", path, body, headers)
    browser._keep_cookies(response)
    return response.status, response.getheader("Location", "")


_last_step: dict[int, int] = {}


def totp_code(user) -> str:
    """A code from the person's authenticator that has not been used yet (each may be used once)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    while True:
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        now = totp.t()
        for step in (now, now + 1):
            if step > max(_last_step.get(user.pk, -1), device.last_t):
                _last_step[user.pk] = step
                totp.time = time.time() + (step - now) * device.step
                return f"{totp.token():06d}"
        time.sleep(1)


def sign_in(browser, user) -> None:
    from safeguarding.settings_defaults import DEFAULT_DEMO_PASSWORD

    page = browser.get("/accounts/login/", kind="sign-in")
    fields = {
        "csrfmiddlewaretoken": page.field("csrfmiddlewaretoken"),
        "email": user.email,
        "password": os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD),
    }
    answer = browser.post("/accounts/login/", fields, kind="sign-in")
    if answer.status == 302 and "/accounts/login/code" in answer.location:
        page = browser.get("/accounts/login/code/", kind="sign-in")
        fields = {"csrfmiddlewaretoken": page.field("csrfmiddlewaretoken"), "code": totp_code(user)}
        answer = browser.post("/accounts/login/code/", fields, kind="sign-in")
    if answer.status != 302 or "/accounts/login" in answer.location:
        raise RuntimeError(f"{user.email} could not sign in (status {answer.status}, to {answer.location!r})")


# --- People and the load ----------------------------------------------------------------------------------------


def people_prepare() -> dict:
    """Migrate, seed the demo, add the teachers of the load (each with an authenticator)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from referrals.models import Child
    from safeguarding.accounts.models import Membership, School, User
    from safeguarding.accounts.roles import Role
    from safeguarding.settings_defaults import DEFAULT_DEMO_PASSWORD

    say("Preparing the database on the primary: migrate, the demo trust and the teachers")
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    school = School.objects.get(name=SCHOOL)
    password = make_password(os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD))
    teachers = []
    for number in range(1, TEACHERS + 3):
        user, _ = User.objects.update_or_create(
            email=f"scale{number:02d}@northfield.example",
            defaults={"full_name": f"Scale Teacher {number}", "password": password, "is_active": True},
        )
        Membership.objects.get_or_create(user=user, school=school, defaults={"role": Role.STAFF})
        TOTPDevice.objects.get_or_create(user=user, defaults={"name": "Scale authenticator", "confirmed": True})
        teachers.append(user)
    return {
        "teachers": teachers,
        "dsl": User.objects.get(email="dsl@northfield.example"),
        "children": [str(uuid) for uuid in Child.objects.filter(school=school).values_list("uuid", flat=True)],
    }


def concern_fields(browser, *, children: list[str], words: str) -> dict:
    """Open the form and choose a child; returns the fields that send it."""
    from django.utils import timezone

    form = browser.get("/concerns/new/", kind="form")
    if form.status != 200:
        raise RuntimeError(f"the concern form answered {form.status}")
    fields = {
        "csrfmiddlewaretoken": form.field("csrfmiddlewaretoken"),
        "school": form.field("school"),
        "submission_key": form.field("submission_key"),
        "observed_at": (timezone.localtime() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "location": "Corridor by the sports hall",
        "account": words,
        "urgency": "routine",
        "ind_SIG-GIFTS": "seen",
    }
    chosen = browser.post("/concerns/new/", {**fields, "add_child": secrets.choice(children)}, kind="choose child")
    if chosen.status != 200:
        raise RuntimeError(f"choosing a child answered {chosen.status}")
    return fields


class Teacher(threading.Thread):
    def __init__(self, user, browser, children, ends_at):
        super().__init__(name=f"teacher-{user.pk}", daemon=True)
        self.user, self.browser, self.children, self.ends_at = user, browser, children, ends_at
        self.sent: dict[str, str] = {}  # submission key -> incident uuid
        self.errors: list[str] = []

    def run(self):
        number = 0
        while time.monotonic() < self.ends_at:
            number += 1
            try:
                words = f"Scale concern {number} by {self.user.full_name}: seen with an expensive new phone."
                fields = concern_fields(self.browser, children=self.children, words=words)
                sent = self.browser.post("/concerns/new/", fields, kind="send")
                if sent.status != 302 or "/concerns/submitted/" not in sent.location:
                    raise RuntimeError(f"sending answered {sent.status}")
                self.sent[fields["submission_key"]] = sent.location.rstrip("/").rsplit("/", 1)[1]
                self.browser.get(sent.location, kind="receipt")
            except Exception as error:  # counted and reported, never hidden
                self.errors.append(f"{type(error).__name__}: {error}")
                time.sleep(1)


class Reader(threading.Thread):
    """The DSL reading the queue, the reports and the audit trail (the last two from the replica)."""

    PAGES = ("/queue/", "/queue/", "/reports/", "/audit/")

    def __init__(self, browser, ends_at):
        super().__init__(name="dsl-reader", daemon=True)
        self.browser, self.ends_at = browser, ends_at
        self.errors: list[str] = []
        self.pages = 0

    def run(self):
        while time.monotonic() < self.ends_at:
            for path in self.PAGES:
                try:
                    page = self.browser.get(path, kind="read")
                    if page.status != 200:
                        raise RuntimeError(f"{path} answered {page.status}")
                    self.pages += 1
                except Exception as error:
                    self.errors.append(f"{type(error).__name__}: {error}")
                time.sleep(0.5)


class Watch(threading.Thread):
    """Every second: the replica's replay lag as the primary sees it (pg_stat_replication), and how many client and
    server connections PgBouncer holds (SHOW POOLS, on its admin console)."""

    def __init__(self, stack, ends_at):
        super().__init__(name="watch", daemon=True)
        self.stack, self.ends_at = stack, ends_at
        self.worst_lag, self.clients, self.servers = 0.0, 0, 0

    def run(self):
        import psycopg

        url = f"postgresql://postgres@127.0.0.1:{self.stack.ports['primary']}/postgres"
        with psycopg.connect(url, autocommit=True) as connection:
            while time.monotonic() < self.ends_at:
                row = connection.execute(
                    "SELECT COALESCE(MAX(EXTRACT(EPOCH FROM replay_lag)), 0) FROM pg_stat_replication"
                ).fetchone()
                self.worst_lag = max(self.worst_lag, float(row[0]))
                clients, servers = pgbouncer_pools(self.stack)
                self.clients, self.servers = max(self.clients, clients), max(self.servers, servers)
                time.sleep(1)


def pgbouncer_pools(stack) -> tuple[int, int]:
    """Client and server connections of the safeguard pool (psql: the admin console speaks the simple protocol)."""
    command = [str(stack.bindir / "psql"), "-h", "127.0.0.1", "-p", str(stack.ports["pgbouncer"]), "-U", "postgres"]
    output = subprocess.run(  # noqa: S603
        [*command, "-d", "pgbouncer", "-A", "-F", ",", "-c", "SHOW POOLS"], capture_output=True, text=True, timeout=10
    ).stdout.splitlines()
    if not output:
        return 0, 0
    names = output[0].split(",")
    clients = servers = 0
    for line in output[1:]:
        row = dict(zip(names, line.split(","), strict=False))
        if row.get("database") == "safeguard":
            clients += sum(int(row.get(name, 0)) for name in ("cl_active", "cl_waiting"))
            servers += sum(
                int(row.get(name, 0)) for name in ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login")
            )
    return clients, servers


# --- The checks across hosts ------------------------------------------------------------------------------------


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def attachment_crosses(stack, teacher_cookies, dsl_cookies, children, log) -> dict:
    """(a) A teacher attaches a photo through host A; the DSL downloads it through host B."""
    from referrals.models import Attachment

    on_a = browser_on(stack.ports["A"], log, teacher_cookies)
    fields = concern_fields(on_a, children=children, words="A concern with a photo, sent through host A.")
    status, _location = post_multipart(
        on_a, "/concerns/new/", fields, [("attachments", "bruise.png", "image/png", png_bytes())]
    )
    if status != 302:
        return {"ok": False, "detail": f"sending through A answered {status}"}
    attachment = Attachment.objects.filter(incident__submission_key=fields["submission_key"]).first()
    if attachment is None:
        return {"ok": False, "detail": "no attachment stored"}
    path = f"/attachments/{attachment.uuid}/"
    status_a, body_a = raw_get(stack.ports["A"], path, teacher_cookies)
    status_b, body_b = raw_get(stack.ports["B"], path, dsl_cookies)
    ok = status_a == status_b == 200 and body_a and body_a == body_b
    return {"ok": bool(ok), "detail": f"A {status_a} ({len(body_a)} B), B {status_b} ({len(body_b)} B)"}


def export_crosses(stack, dsl, dsl_cookies, log, *, through: str) -> dict:
    """(b) The DSL asks for an export through one host; whichever worker builds it in the background, it is
    downloaded through the other host."""
    from django_tasks_db.models import DBTaskResult

    from referrals.models import ExportRecord

    browser = browser_on(stack.ports[through], log, dsl_cookies)
    page = browser.get("/exports/", kind="export")
    fields = {
        "csrfmiddlewaretoken": page.field("csrfmiddlewaretoken"),
        "purpose": f"Scale-out check: an export asked for through host {through}",
        "format": "csv",
        "code": totp_code(dsl),
    }
    answer = browser.post("/exports/", fields, kind="export")
    if answer.status != 302 or "/exports/" not in answer.location:
        return {"ok": False, "detail": f"asking through {through} answered {answer.status}"}
    export_uuid = answer.location.rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + 60
    export = ExportRecord.objects.get(uuid=export_uuid)
    while export.finished_at is None and not export.failed and time.monotonic() < deadline:
        time.sleep(0.5)
        export.refresh_from_db()
    if export.finished_at is None or export.failed:
        return {"ok": False, "detail": f"export not built (failed={export.failed})"}
    task = DBTaskResult.objects.filter(
        task_path="referrals.tasks.export_build_task", args_kwargs__kwargs__export_id=export.pk
    ).first()
    built_by = (task.worker_ids[-1] if task and task.worker_ids else "?").removeprefix("host-")
    other = "B" if built_by == "A" else "A"
    status, body = raw_get(stack.ports[other], f"/exports/{export_uuid}/download/", dsl_cookies)
    ok = export.in_background and status == 200 and len(body) > 0
    return {
        "ok": bool(ok),
        "built_by": built_by,
        "downloaded_through": other,
        "detail": f"asked via {through}, built by host {built_by}'s worker, {status} via {other} ({len(body)} B)",
    }


def same_key_twice(stack, cookies, children, log) -> dict:
    """(d) One filled-in form sent at the same instant through host A and host B: stored once."""
    from referrals.models import Incident

    on_a, on_b = browser_on(stack.ports["A"], log, cookies), browser_on(stack.ports["B"], log, cookies)
    fields = concern_fields(on_a, children=children, words="One concern sent twice at once through both hosts.")
    barrier, answers = threading.Barrier(2), {}

    def send(label, browser):
        barrier.wait()
        answers[label] = browser.post("/concerns/new/", fields, kind="send twice")

    threads = [threading.Thread(target=send, args=item) for item in (("A", on_a), ("B", on_b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stored = Incident.objects.filter(submission_key=fields["submission_key"])
    concerns = sum(incident.concerns.count() for incident in stored)
    statuses = {label: answer.status for label, answer in answers.items()}
    ok = stored.count() == 1 and concerns == 1 and all(status in (200, 302) for status in statuses.values())
    return {
        "ok": ok,
        "duplicates": max(0, stored.count() - 1) + max(0, concerns - 1),
        "detail": f"answers A {statuses.get('A')}, B {statuses.get('B')}; "
        f"{stored.count()} incident, {concerns} concern",
    }


def periodic_jobs_check(started) -> list[dict]:
    """(c) For each periodic job: its enqueues since the schedulers started. Two schedulers doing their job
    between them enqueue it first at once, then once per interval: as many times as intervals have begun since the
    first (one fewer if the last is due this very moment), never two closer together than the interval."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from safeguarding.core.scheduling import periodic_jobs

    now = timezone.now()
    rows = []
    for job in periodic_jobs():
        times = sorted(
            DBTaskResult.objects.filter(task_path=job.name, enqueued_at__gte=started).values_list(
                "enqueued_at", flat=True
            )
        )
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        shortest = min(gaps) if gaps else None
        span = now - times[0] if times else now - started
        due = int(span / job.every) + 1
        ok = (
            bool(times)
            and times[0] - started < timedelta(seconds=60)
            and due - 1 <= len(times) <= due
            and (shortest is None or shortest >= job.every - GAP_TOLERANCE)
        )
        gap = f", shortest gap {shortest.total_seconds():.1f} s" if shortest else ""
        detail = f"{len(times)} enqueued in {span.total_seconds():.0f} s{gap}"
        rows.append({"job": job.name, "every": job.every, "enqueued": len(times), "detail": detail, "ok": ok})
    return rows


def access_counts(stack) -> dict:
    """Requests answered by each gunicorn, from their access logs: through nginx, and asked directly."""
    counts = {}
    for label in ("A", "B"):
        lines = stack.log_lines(f"access-{label}")
        via = sum(1 for line in lines if "via=-" not in line)
        errors = sum(1 for line in lines if re.match(r"5\d\d ", line))
        counts[label] = {"nginx": via, "direct": len(lines) - via, "5xx": errors}
    return counts


def log_errors(stack) -> list[str]:
    """Lines of the hosts' own logs that report an error or a traceback."""
    found = []
    for name in ("web-A", "web-B", "worker-A", "worker-B", "scheduler-A", "scheduler-B", "pgbouncer", "nginx"):
        found += [
            f"{name}: {line[:200]}"
            for line in stack.log_lines(name)
            if re.search(r"Traceback| ERROR |\[error\]|\[crit\]|FATAL", line)
        ]
    return found


def files_on_host_disks(stack) -> int:
    return sum(
        1 for label in ("A", "B") for path in (stack.work / f"host-{label}" / "var").rglob("*") if path.is_file()
    )


def replica_stats(stack) -> int:
    import psycopg

    url = f"postgresql://postgres@127.0.0.1:{stack.ports['replica']}/postgres"
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = 'safeguard'").fetchone()
        return int(row[0])


def healthz(port: int) -> tuple[int, dict]:
    status, body = raw_get(port, "/healthz", {})
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {}


def wait_healthy(stack, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(healthz(stack.ports[label])[0] == 200 for label in ("A", "B")):
            stack.mark_ready()
            return
        if dead := processes_alive(stack):
            raise RuntimeError(f"stopped early: {', '.join(dead)}")
        time.sleep(1)
    raise RuntimeError(f"/healthz did not answer 200 on both hosts: {healthz(stack.ports['A'])[1]}")


# --- The run and its table --------------------------------------------------------------------------------------


def run(stack: Stack) -> int:
    packages_ensure()
    databases_start(stack)
    pgbouncer_start(stack)
    os.environ.update(
        {
            **application_environment(stack),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{stack.ports['primary']}/safeguard",
        }
    )
    for name in ("DATABASE_POOLER", "REPLICA_DATABASE_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.db import connections
    from django.utils import timezone
    from stress_http import Browser, RequestLog

    people = people_prepare()
    connections.close_all()
    say("Starting hosts A and B (gunicorn, worker, scheduler each) and nginx in front")
    schedulers_started = timezone.now()
    hosts_start(stack)
    nginx_start(stack)
    wait_healthy(stack)

    log = RequestLog()
    nginx = stack.ports["nginx"]
    say(f"Signing in {len(people['teachers'])} teachers and the DSL through nginx")
    browsers = {user.pk: Browser(nginx, log) for user in people["teachers"]}
    for user in people["teachers"]:
        sign_in(browsers[user.pk], user)
    dsl_browser = Browser(nginx, log)
    sign_in(dsl_browser, people["dsl"])
    dsl_cookies = dsl_browser.cookies

    exports = [export_crosses(stack, people["dsl"], dsl_cookies, log, through="A")]
    replica_before = replica_stats(stack)
    say(f"Load: {TEACHERS} teachers log concerns through nginx for {LOAD_SECONDS:g} s; the DSL reads")
    ends_at = time.monotonic() + LOAD_SECONDS
    load_teachers, spare = people["teachers"][:TEACHERS], people["teachers"][TEACHERS:]
    teachers = [Teacher(user, browsers[user.pk], people["children"], ends_at) for user in load_teachers]
    reader = Reader(browser_on(nginx, log, dsl_cookies), ends_at)
    watch = Watch(stack, ends_at)
    for thread in [*teachers, reader, watch]:
        thread.start()
    attachment = attachment_crosses(stack, browsers[spare[0].pk].cookies, dsl_cookies, people["children"], log)
    twice = same_key_twice(stack, browsers[spare[1].pk].cookies, people["children"], log)
    for thread in [*teachers, reader, watch]:
        thread.join(LOAD_SECONDS + 90)
    replica_reads = replica_stats(stack) - replica_before
    exports.append(export_crosses(stack, people["dsl"], dsl_cookies, log, through="B"))
    say("Checking what the database holds")
    health = {label: healthz(stack.ports[label]) for label in ("A", "B")}
    facts = {
        "access": access_counts(stack),
        "attachment": attachment,
        "exports": exports,
        "twice": twice,
        "jobs": periodic_jobs_check(schedulers_started),
        "teachers": teachers,
        "reader": reader,
        "requests": log.entries,
        "log errors": log_errors(stack),
        "dead": processes_alive(stack),
        "health": health,
        "worst lag": watch.worst_lag,
        "pooled": (watch.clients, watch.servers),
        "replica reads": replica_reads,
        "files on host disks": files_on_host_disks(stack),
    }
    rows = table(facts)
    print_table(rows)
    for line in facts["log errors"][:20]:
        print(f"  log: {line}")
    for teacher in teachers:
        for error in teacher.errors[:3]:
            print(f"  {teacher.name}: {error}")
    for error in reader.errors[:5]:
        print(f"  reader: {error}")
    return 0 if all(row[2] != "FAIL" for row in rows) else 1


def verdict(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def table(facts) -> list[tuple[str, str, str]]:
    from referrals.models import Incident

    access = facts["access"]
    sent = {key: uuid for teacher in facts["teachers"] for key, uuid in teacher.sent.items()}
    stored = Incident.objects.filter(submission_key__in=list(sent))
    duplicates = stored.count() - len(set(stored.values_list("submission_key", flat=True)))
    duplicates += sum(1 for incident in stored if incident.concerns.count() != 1) + facts["twice"]["duplicates"]
    failed = [entry for entry in facts["requests"] if entry.status == 0 or entry.status >= 500]
    client_errors = sum(len(t.errors) for t in facts["teachers"]) + len(facts["reader"].errors)
    exports = facts["exports"]
    crossing = int(facts["attachment"]["ok"]) + sum(int(export["ok"]) for export in exports)
    health_ok = all(status == 200 for status, _ in facts["health"].values())
    lags = ", ".join(
        f"{label} {body.get('replica_lag_seconds', '?')} s" for label, (_, body) in facts["health"].items()
    )
    jobs = facts["jobs"]
    rows = [
        ("requests through nginx answered by host A", str(access["A"]["nginx"]), verdict(access["A"]["nginx"] > 0)),
        ("requests through nginx answered by host B", str(access["B"]["nginx"]), verdict(access["B"]["nginx"] > 0)),
        ("requests sent to a host directly (the checks)", str(access["A"]["direct"] + access["B"]["direct"]), ""),
        ("concerns logged during the load", str(len(sent)), verdict(len(sent) > 0)),
        ("pages read by the DSL (queue, reports, audit trail)", str(facts["reader"].pages), ""),
        (
            "(a) photo attached through A, downloaded through B",
            facts["attachment"]["detail"],
            verdict(facts["attachment"]["ok"]),
        ),
    ]
    for export in exports:
        rows.append(("(b) background export, other host downloads", export["detail"], verdict(export["ok"])))
    rows += [
        ("files crossing hosts", f"{crossing} of {1 + len(exports)}", verdict(crossing == 1 + len(exports))),
        ("files left on a host's own disk", str(facts["files on host disks"]), ""),
        (
            "(c) periodic jobs enqueued once per interval, 2 schedulers",
            f"{sum(job['ok'] for job in jobs)} of {len(jobs)} jobs; {sum(job['enqueued'] for job in jobs)} enqueues",
            verdict(all(job["ok"] for job in jobs)),
        ),
    ]
    for job in jobs:
        every = int(job["every"].total_seconds())
        rows.append(
            (
                f"    {job['job'].rsplit('.', 1)[1]} (every {every} s)",
                job["detail"],
                verdict(job["ok"]),
            )
        )
    rows += [
        ("(d) one key sent through A and B at once", facts["twice"]["detail"], verdict(facts["twice"]["ok"])),
        ("duplicate concerns", str(duplicates), verdict(duplicates == 0)),
        (
            "errors: 5xx or no answer",
            str(len(failed) + access["A"]["5xx"] + access["B"]["5xx"]),
            verdict(not failed and not access["A"]["5xx"] and not access["B"]["5xx"]),
        ),
        ("errors: refused steps seen by the simulated people", str(client_errors), verdict(client_errors == 0)),
        ("errors: lines in the hosts' logs", str(len(facts["log errors"])), verdict(not facts["log errors"])),
        ("processes that stopped early", ", ".join(facts["dead"]) or "none", verdict(not facts["dead"])),
        (
            "PgBouncer (transaction pooling): clients / server connections",
            f"{facts['pooled'][0]} / {facts['pooled'][1]} at most",
            verdict(0 < facts["pooled"][1] <= facts["pooled"][0]),
        ),
        (
            "transactions the replica served during the load",
            str(facts["replica reads"]),
            verdict(facts["replica reads"] > 0),
        ),
        ("replica lag: worst during the load (pg_stat_replication)", f"{facts['worst lag']:.3f} s", ""),
        ("replica lag at the end (/healthz of each host)", lags, verdict(health_ok)),
    ]
    return rows


def print_table(rows) -> None:
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    print()
    print(f"{'Safeguard on two hosts':<{width}}  {'found':<{value_width}}  check")
    print("-" * (width + value_width + 9))
    for label, value, check in rows:
        print(f"{label:<{width}}  {value:<{value_width}}  {check}")
    print()


def main() -> int:
    began = time.monotonic()
    stack = Stack()

    def out_of_time(*_):
        raise TimeoutError(f"the run passed its {DEADLINE_SECONDS:g} s deadline")

    def stopped(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, stopped)
    signal.alarm(int(DEADLINE_SECONDS))
    try:
        return run(stack)
    except (Exception, TimeoutError) as error:
        say(f"FAILED: {type(error).__name__}: {error}")
        for name in ("web-A", "worker-A", "scheduler-A", "pgbouncer", "nginx"):
            if stack.log(name).exists() and (text := stack.log(name).read_text(errors="replace").strip()):
                print(f"--- {name} (last lines)\n{text[-1500:]}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        say("Stopping every process and removing the temporary folder")
        stack.close()
        say(f"Done in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
