import json
from datetime import timedelta

import pytest
from django.utils import timezone

from safeguarding.core.heartbeats import SCHEDULER, SEALER, SEALER_REFUSED, WORKER, heartbeat_record
from safeguarding.core.models import Heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_worker_and_scheduler_answer(client):
    heartbeat_record(name=WORKER)
    heartbeat_record(name=SCHEDULER)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "worker": "ok", "scheduler": "ok", "sealer": "ok"}
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_names_a_stale_scheduler(client, settings):
    settings.SCHEDULER_MAX_SILENCE_SECONDS = 120
    heartbeat_record(name=WORKER)
    Heartbeat.objects.create(name=SCHEDULER, beat_at=timezone.now() - timedelta(minutes=10))

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["down"] == ["scheduler"]
    assert body["database"] == "ok"
    assert body["worker"] == "ok"
    assert body["scheduler"].startswith("silent for 6")


def test_healthz_names_a_worker_never_seen(client):
    heartbeat_record(name=SCHEDULER)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["worker"] == "never seen"
    assert response.json()["down"] == ["worker"]


def test_healthz_names_an_audit_sealer_that_refused_until_it_seals_again(client):
    heartbeat_record(name=WORKER)
    heartbeat_record(name=SCHEDULER)
    heartbeat_record(name=SEALER)
    heartbeat_record(name=SEALER_REFUSED)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["sealer"] == "refused to seal"
    assert response.json()["down"] == ["sealer"]
    heartbeat_record(name=SEALER)
    assert client.get("/healthz").status_code == 200


def test_healthz_needs_no_login_and_shows_no_data(client):
    response = client.get("/healthz")

    assert set(response.json()) <= {"status", "database", "worker", "scheduler", "sealer", "down"}


def test_healthz_answers_503_when_the_database_is_unreachable(run_python):
    # A separate process whose database is a port where nothing listens.
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code); print(r.content.decode())"
    )
    result = run_python(
        code,
        {
            "DJANGO_ENV": "development",
            "DATABASE_URL": "postgres://safeguard@127.0.0.1:9/safeguard?connect_timeout=2",
        },
    )

    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    assert json.loads(body) == {
        "status": "down",
        "database": "unreachable",
        "worker": "unknown",
        "scheduler": "unknown",
        "sealer": "unknown",
        "down": ["database", "scheduler", "sealer", "worker"],
    }
