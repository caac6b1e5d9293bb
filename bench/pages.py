"""The pages `make bench` measures, the people who ask for them, and their SQL query counts.

    python bench/pages.py targets OUT.json   # signed-in sessions and the URLs, for the HTTP timing
    python bench/pages.py queries OUT.json   # each page's query count, in this process, with the test client
    python bench/pages.py split OUT.json     # each page's time in this process, and its SQL's share of it
    python bench/pages.py profile OUT.json   # where each page's Python time goes (cProfile), for bench/README.md

Both run against the database the environment names, filled by `manage.py seed_scale`. Sessions are made by the
sign-in flow's own last step, as if each person had given their password and code.
"""

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402
from scenario import pages, submission_key, submit_form  # noqa: E402

from referrals.demo.scale import TRUST  # noqa: E402
from referrals.models import Child  # noqa: E402
from safeguarding.accounts.models import School, User  # noqa: E402
from safeguarding.accounts.signin import confirmed_device, signin_complete  # noqa: E402
from safeguarding.audit.context import RequestContext  # noqa: E402

FRESH_CHILDREN = 400


def session_for(user: User) -> str:
    """A session signed in through the sign-in flow's last step (password and code taken as given)."""
    request = HttpRequest()
    request.method = "POST"
    request.META = {"HTTP_USER_AGENT": "bench", "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1"}
    request.session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    request.user = AnonymousUser()
    request.audit = RequestContext.from_request(request)
    signin_complete(request, user=user, device=confirmed_device(user))
    return request.session.session_key


def targets() -> dict:
    """Who asks for what: the trust lead the floor page, the first school's DSL its queue, the file and who-viewed
    of its child with 200 concerns and the audit trail filtered by that child, a teacher the concern form. Also
    children with no concern in the last 30 days, to write concerns about without setting off a pattern alert."""
    school = School.objects.filter(trust__name=TRUST).order_by("urn").first()
    heavy = (
        Child.objects.filter(school=school).annotate(n=Count("concerns")).filter(n=200).order_by("pk").first()
        or Child.objects.filter(school=school).annotate(n=Count("concerns")).order_by("-n", "pk").first()
    )
    quiet = (
        Child.objects.filter(school=school)
        .exclude(pk=heavy.pk)
        .annotate(latest=Max("concerns__observed_at"))
        .exclude(latest__gte=timezone.now() - timedelta(days=40))
        .order_by("pk")
        .values_list("uuid", flat=True)[:FRESH_CHILDREN]
    )
    number = school.urn[-2:]
    people = {
        "floor": "trustlead@scale.example",
        "dsl": f"dsl@school{number}.scale.example",
        "teacher": f"teacher1@school{number}.scale.example",
    }
    today = timezone.localdate()
    last_year = today.year - 1 if today.month >= 9 else today.year - 2
    return {
        "school": str(school.uuid),
        # The trust-wide report of the last whole school year, set beside the year before it.
        "trust_report": f"/reports/trusts/{school.trust.uuid}/?period=year-{last_year}",
        "heavy_child": {"uuid": str(heavy.uuid), "upn": heavy.upn, "last_name": heavy.legal_last_name},
        # The review page of that child's latest concern: its history, signs and decisions beside it.
        "review_concern": str(heavy.concerns.order_by("-observed_at", "-pk").values_list("uuid", flat=True)[0]),
        "fresh_children": [str(value) for value in quiet],
        "sessions": {role: session_for(User.objects.get(email=email)) for role, email in people.items()},
    }


def _client(session_key: str) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def _counted(client: Client, method: str, path: str, form: dict | None, expect: tuple[int, ...]) -> int:
    """The queries one request makes, on the main and the audit connections. The same request is made first,
    so that what happens once (a draft made, the session's activity written) is not counted."""
    send = (lambda: client.post(path, form)) if method == "POST" else (lambda: client.get(path))
    send()
    with CaptureQueriesContext(connections["default"]) as main, CaptureQueriesContext(connections["audit"]) as audit:
        response = send()
    if response.status_code not in expect:
        raise RuntimeError(f"{method} {path} answered {response.status_code}")
    return len(main) + (len(audit) if settings.AUDIT_DB_ALIAS == "audit" else 0)


def queries() -> dict:
    target = targets()
    clients = {role: _client(key) for role, key in target["sessions"].items()}
    counts = {}
    for name, who, method, path, form in pages(target):
        counts[name] = _counted(clients[who], method, path, form, expect=(200,))
    counts["concern submit"] = _submit_counted(clients["teacher"], target)
    return counts


def _child_chosen(client: Client, target: dict, child: str) -> str:
    """The concern form opened and `child` chosen, as a teacher does before writing; returns the submission key."""
    key = submission_key(client.get("/concerns/new/").content.decode())
    client.post("/concerns/new/", {"school": target["school"], "submission_key": key, "add_child": child})
    return key


def _submit_counted(client: Client, target: dict) -> int:
    key = _child_chosen(client, target, target["fresh_children"][0])
    with CaptureQueriesContext(connections["default"]) as main, CaptureQueriesContext(connections["audit"]) as audit:
        response = client.post("/concerns/new/", submit_form(target, key))
    if response.status_code != 302:
        raise RuntimeError(f"the concern was not sent: {response.status_code}")
    return len(main) + (len(audit) if settings.AUDIT_DB_ALIAS == "audit" else 0)


class SqlClock:
    """Adds up the time SQL statements take (sent, run and read back), on every connection it is put on."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def _wanted() -> set[str]:
    """The pages named in PAGES (separated by commas); all of them when it is empty."""
    return {name for name in os.environ.get("PAGES", "").split(",") if name}


def split(runs: int = 30) -> dict:
    """Where each page's time goes, in this process without HTTP: the median of `runs` requests, and of the time
    its SQL statements took; the rest is Python (middleware, ORM, templates). PAGES limits it as for `profile`."""
    wanted = _wanted()
    target = targets()
    clients = {role: _client(key) for role, key in target["sessions"].items()}
    result = {}
    for name, who, method, path, form in pages(target):
        if wanted and name not in wanted:
            continue
        client = clients[who]
        send = (lambda: client.post(path, form)) if method == "POST" else (lambda: client.get(path))  # noqa: B023
        send()
        result[name] = _medians([_timed(send)[:2] for _ in range(runs)])
    if not wanted or "concern submit" in wanted:
        result["concern submit"] = _submit_split(clients["teacher"], target, runs)
    return result


def _submit_split(client: Client, target: dict, runs: int) -> dict:
    """The concern sent, `runs` times, each about a child of its own taken from the end of the fresh children
    (the HTTP timing takes them from the start): the form opened and the child chosen untimed, then the sending."""
    timings = []
    for child in target["fresh_children"][-runs:]:
        key = _child_chosen(client, target, child)
        total_ms, sql_ms, response = _timed(lambda: client.post("/concerns/new/", submit_form(target, key)))  # noqa: B023
        if response.status_code != 302:
            raise RuntimeError(f"the concern was not sent: {response.status_code}")
        timings.append((total_ms, sql_ms))
    return _medians(timings)


def _timed(send) -> tuple[float, float, object]:
    """One request in this process: its milliseconds, those of its SQL statements, and its response."""
    clock = SqlClock()
    with connections["default"].execute_wrapper(clock), connections["audit"].execute_wrapper(clock):
        started = time.perf_counter()
        response = send()
        total = time.perf_counter() - started
    return total * 1000, clock.seconds * 1000, response


def _medians(timings: list[tuple[float, float]]) -> dict:
    return {
        "total_ms": round(statistics.median(total for total, _ in timings), 1),
        "sql_ms": round(statistics.median(sql for _, sql in timings), 1),
    }


def profile(runs: int = 20, top: int = 15) -> dict:
    """Each page asked for `runs` times under cProfile: the functions that take the most time of their own, and the
    total per request. PAGES (names separated by commas) limits it to some pages."""
    import cProfile
    import io
    import pstats

    wanted = _wanted()
    target = targets()
    clients = {role: _client(key) for role, key in target["sessions"].items()}
    result = {}
    for name, who, method, path, form in pages(target):
        if wanted and name not in wanted:
            continue
        client = clients[who]
        send = (lambda: client.post(path, form)) if method == "POST" else (lambda: client.get(path))  # noqa: B023
        send()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            send()
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(r"referrals|safeguarding|templates", top)
        result[name] = {"per_request_ms": round(stats.total_tt / runs * 1000, 1), "stats": text.getvalue()}
        print(f"{name}: {result[name]['per_request_ms']} ms a request under the profiler", flush=True)
    return result


def main():
    stage, out = sys.argv[1], Path(sys.argv[2])
    result = {"targets": targets, "queries": queries, "split": split, "profile": profile}[stage]()
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
