from datetime import timedelta

from django.tasks import task

from safeguarding.audit import chain, partitions
from safeguarding.core.heartbeats import SEALER, SEALER_REFUSED, heartbeat_record
from safeguarding.core.scheduling import periodic


@periodic(every=timedelta(minutes=1))
@task()
def audit_seal() -> int:
    """Seal what is new. A refusal fails the job, and /healthz reports it until a later run seals again."""
    try:
        count, _ = chain.seal()
    except chain.SealRefused:
        heartbeat_record(name=SEALER_REFUSED)
        raise
    heartbeat_record(name=SEALER)
    return count


@periodic(every=timedelta(days=1))
@task()
def audit_partitions_ahead() -> list[str]:
    """Make the audit events' partitions of the coming months, so that their events never land in the default one."""
    return partitions.audit_partitions_make()
