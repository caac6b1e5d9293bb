"""Recording and reading the heartbeats that /healthz reports."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from safeguarding.core.models import Heartbeat

WORKER = "worker"
SCHEDULER = "scheduler"


def heartbeat_record(*, name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


@dataclass(frozen=True)
class HeartbeatStatus:
    ok: bool
    detail: str


def heartbeat_status(*, name: str, max_silence: timedelta) -> HeartbeatStatus:
    beat_at = Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
    if beat_at is None:
        return HeartbeatStatus(ok=False, detail="never seen")
    silence = timezone.now() - beat_at
    if silence > max_silence:
        return HeartbeatStatus(ok=False, detail=f"silent for {int(silence.total_seconds())} s")
    return HeartbeatStatus(ok=True, detail="ok")
