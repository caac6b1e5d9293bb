import sys
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from safeguarding.core.heartbeats import SCHEDULER, WORKER, heartbeat_status, sealer_status
from safeguarding.core.replica import REPLICA, replica_configured


@never_cache
@require_GET
def healthz(request):
    """Database, worker, scheduler, audit sealer (and the replica, with its lag, when there is one): 200 when all
    answer, 503 naming what is down. No data, no login."""
    checks = {"database": "ok", "worker": "unknown", "scheduler": "unknown", "sealer": "unknown"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        for name, max_silence in (
            (WORKER, settings.WORKER_MAX_SILENCE_SECONDS),
            (SCHEDULER, settings.SCHEDULER_MAX_SILENCE_SECONDS),
        ):
            checks[name] = heartbeat_status(name=name, max_silence=timedelta(seconds=max_silence)).detail
        checks["sealer"] = sealer_status().detail
    except DatabaseError:
        checks["database"] = "unreachable"
    lag = None
    if replica_configured():
        checks["replica"], lag = _replica_lag()
    down = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "down" if down else "ok", **checks}
    if lag is not None:
        body["replica_lag_seconds"] = lag
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)


# How far the replica's replay is behind: none when it has replayed all it received, else the age of the last
# transaction it replayed (an idle primary sends nothing new, so that age alone would grow without any lag).
REPLICA_LAG_SQL = """
    SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


def _replica_lag() -> tuple[str, float | None]:
    """The replica's state and its lag in seconds, for /healthz."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(REPLICA_LAG_SQL)
            return "ok", round(float(cursor.fetchone()[0]), 3)
    except DatabaseError:
        return "unreachable", None


def _error_page(request, template_name, status, **context):
    return render(
        request,
        template_name,
        {"reference": getattr(request, "request_id", None), **context},
        status=status,
    )


def _too_much(exception) -> str:
    """What to do about a request refused for carrying too much, in words; empty for any other bad request."""
    if isinstance(exception, TooManyFilesSent):
        return f"Send at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files at a time."
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent):
        return "It sent more than a form of this site ever holds. Shorten what you typed, then try again."
    return ""


def bad_request(request, exception=None):
    return _error_page(request, "400.html", 400, too_much=_too_much(exception))


def permission_denied(request, exception=None):
    return _error_page(request, "403.html", 403)


def page_not_found(request, exception=None):
    return _error_page(request, "404.html", 404)


# The database could not be reached or dropped the connection (a restart, a fail-over, too many clients), or it
# gave up on a transaction it may accept if sent again (a deadlock, a serialisation failure). A transaction is
# kept whole or not at all, and the same request is likely to work in a moment.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def server_error(request):
    # Rendered without the request's context processors: whatever broke the page may break them too.
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"reference": getattr(request, "request_id", None)}))


def database_unavailable(request):
    """503 and a page saying to try again, for a request that failed because the database was away. Django
    reconnects by itself on a later request (CONN_HEALTH_CHECKS), so nothing needs restarting."""
    page = loader.get_template("503.html").render({"reference": getattr(request, "request_id", None)})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
