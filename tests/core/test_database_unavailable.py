"""When the database is away for a moment (a restart, a fail-over), people are asked to try again, nothing is
half-saved, and the worker carries on by itself once it is back."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.tasks import TaskResultStatus
from django.test import Client
from django.urls import path
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from referrals.models import Concern, ConcernDraft, Incident
from safeguarding import urls as site_urls
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from safeguarding.core.tasks import worker_heartbeat
from tests.personas import signed_in_client

FAILURES = {
    "lost": OperationalError("server closed the connection unexpectedly: secret detail"),
    "closed": InterfaceError("connection already closed: secret detail"),
    "integrity": IntegrityError("duplicate key value: secret detail"),
    "other": DatabaseError("something else: secret detail"),
}


def failing_view(request, failure):
    raise FAILURES[failure]


urlpatterns = [path("fails/<str:failure>/", failing_view), *site_urls.urlpatterns]
handler500 = "safeguarding.core.views.server_error"


@pytest.mark.django_db
@pytest.mark.urls("tests.core.test_database_unavailable")
@pytest.mark.parametrize("failure", ["lost", "closed"])
def test_a_request_that_loses_the_database_gets_the_try_again_page_with_a_reference_and_no_trace(failure):
    response = Client(raise_request_exception=False).get(f"/fails/{failure}/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    html = response.content.decode()
    assert "try again" in html
    assert f"<code>{response['X-Request-ID']}</code>" in html
    assert "999" in html
    for leak in ("Traceback", "secret detail", "OperationalError", "InterfaceError"):
        assert leak not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.core.test_database_unavailable")
@pytest.mark.parametrize("failure", ["integrity", "other"])
def test_other_database_errors_still_get_the_server_error_page(failure):
    response = Client(raise_request_exception=False).get(f"/fails/{failure}/")

    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.content.decode()


def concern_form(world, key):
    return {
        "school": str(world.northfield.uuid),
        "submission_key": key,
        "unlisted_child_name": "Sam Example",
        "observed_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "account": "Sam said he had not eaten since yesterday.",
        "urgency": "routine",
        "ind_SIG-GIFTS": "seen",
    }


def test_a_concern_sent_as_the_database_fails_leaves_nothing_half_written_and_is_kept_once_when_sent_again(
    world, monkeypatch
):
    client = Client(raise_request_exception=False)
    client.cookies = signed_in_client(world.teacher).cookies
    page = client.get("/concerns/new/").content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)

    def connection_lost(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    # The concern rows are written by then; its audit event is not.
    with monkeypatch.context() as patch:
        patch.setattr("referrals.services.concerns.record", connection_lost)
        failed = client.post("/concerns/new/", concern_form(world, key))

    assert failed.status_code == 503
    assert "try again" in failed.content.decode()
    assert not Incident.objects.exists()
    assert not Concern.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.CREATE).exists()
    assert not DBTaskResult.objects.filter(task_path__endswith="email_send").exists()
    assert ConcernDraft.objects.get(author=world.teacher).submission_key == key

    sent = client.post("/concerns/new/", concern_form(world, key))
    again = client.post("/concerns/new/", concern_form(world, key))

    assert sent.status_code == again.status_code == 302
    assert sent["Location"] == again["Location"]
    (concern,) = Concern.objects.all()
    assert concern.incident.submission_key == key
    assert AuditEvent.objects.filter(event_type=EventType.CREATE, object_uuid=concern.uuid).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_waits_out_a_database_outage_and_runs_the_interrupted_task_again(monkeypatch):
    result = worker_heartbeat.enqueue()
    outage = {"set_successful": 1, "set_failed": 1}  # each fails once, as when the database goes mid-task

    def flaky(name):
        original = getattr(DBTaskResult, name)

        def call(self, *args):
            if outage[name]:
                outage[name] -= 1
                raise OperationalError("terminating connection due to administrator command")
            return original(self, *args)

        return call

    for name in outage:
        monkeypatch.setattr(DBTaskResult, name, flaky(name))

    call_command(
        "db_worker", "--max-tasks", "1", "--interval", "0", "--no-startup-delay", "--no-reload", "--queue-name", "*"
    )

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert outage == {"set_successful": 0, "set_failed": 0}


@pytest.mark.django_db(transaction=True)
def test_a_worker_run_in_batch_still_stops_at_a_database_error(monkeypatch):
    worker_heartbeat.enqueue()

    def lost(self, *args):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(DBTaskResult, "set_successful", lost)
    monkeypatch.setattr(DBTaskResult, "set_failed", lost)

    with pytest.raises(OperationalError):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", verbosity=0)
