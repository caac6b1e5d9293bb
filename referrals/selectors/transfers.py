"""What a child's file shows of moving schools: the leaver's tasks, the holds on the file, where the file went, and
the history received from earlier schools."""

from referrals.models import Child, FileHold, Transfer, TransferKind, TransferStatus
from referrals.transfer_package import package_document, received_history


def child_moves(*, child: Child) -> dict:
    tasks = list(child.transfers.select_related("to_school", "sent_by").order_by("-created_at"))
    received = []
    for transfer in (
        Transfer.objects.filter(received_child=child, status=TransferStatus.RECEIVED)
        .exclude(package_name="")
        .select_related("school", "sent_by")
        .order_by("received_at")
    ):
        document = package_document(transfer.package_name)
        names = {row["uuid"]: row for row in document["items"].get("attachment", [])}
        received.append(
            {
                "transfer": transfer,
                "history": received_history(document),
                "counts": {kind: len(rows) for kind, rows in document["items"].items() if rows},
                "attachments": [
                    (number, names.get(part["attachment"], {}).get("original_name", part["part"]))
                    for number, part in enumerate(document["attachment_parts"], start=1)
                ],
            }
        )
    return {
        "leaver_tasks": tasks,
        "transferred_by": next((task for task in tasks if task.status == TransferStatus.RECEIVED), None),
        "holds": list(FileHold.objects.filter(child=child, lifted_at__isnull=True)),
        # The file's leaving form stays until a task to send the file exists: after a children missing education
        # task it is how the DSL records the destination once it is known.
        "may_record_leaving": child.transferred_at is None
        and not any(task.kind == TransferKind.SEND_FILE and task.status != TransferStatus.CANCELLED for task in tasks),
        "received": received,
    }
