"""Recording and reading the heartbeats that /healthz reports."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from safeguarding.core.models import Heartbeat

WORKER = "worker"
SCHEDULER = "scheduler"
# The audit sealer's last run that went through, and its last refusal to extend the chain (chain.SealRefused).
SEALER = "audit sealer"
SEALER_REFUSED = "audit sealer refused"


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


def sealer_status() -> HeartbeatStatus:
    """Down while the audit sealer's latest run refused to extend the chain; a sealer that stopped running is seen
    through the worker's heartbeat instead."""
    beats = dict(Heartbeat.objects.filter(name__in=(SEALER, SEALER_REFUSED)).values_list("name", "beat_at"))
    refused, sealed = beats.get(SEALER_REFUSED), beats.get(SEALER)
    if refused is not None and (sealed is None or refused >= sealed):
        return HeartbeatStatus(ok=False, detail="refused to seal")
    return HeartbeatStatus(ok=True, detail="ok")
