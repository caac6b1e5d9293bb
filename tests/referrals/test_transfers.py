"""A child moving school (KCSIE Annex C; REQUIREMENTS.md §7): the leaver's task and its clock, the whole file sent on
Safeguard or by a secure link, confirmation of receipt, and a leaver nobody can place."""

import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime, time, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from referrals.demo.concerns import demo_story_child
from referrals.models import (
    Action,
    Child,
    ConcernStatus,
    FileHold,
    HoldReason,
    Notification,
    RollStatus,
    Transfer,
    TransferKind,
    TransferStatus,
)
from referrals.services.children import child_update_roster, roster_import
from referrals.services.transfers import transfers_follow_up
from referrals.transfer_package import file_items
from safeguarding.accounts.models import ClosureDay, School, TransferDays, User
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from safeguarding.core.dates import LONDON
from tests.concerns import concern_by
from tests.factories import ChildFactory
from tests.personas import signed_in_client


def leave(client, child, *, left_on, destination="", urn=""):
    return client.post(
        f"/children/{child.uuid}/leaving/",
        {"left_on": left_on.isoformat(), "destination": destination, "destination_urn": urn},
    )


def checklist(client, transfer, **extra):
    data = {
        "step": "checklist",
        "advance_sharing": "shared",
        "advance_note": "Rang their DSL on Monday about the social worker and the plan.",
        "receiving_dsl_name": "Sam Patel",
        "receiving_dsl_email": "dsl@newschool.example",
        "receiving_dsl_phone": "01632 960 123",
        **extra,
    }
    return client.post(f"/transfers/{transfer.uuid}/", data)


def steps(transfer, school) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="transfer", object_uuid=transfer.uuid, school_uuid=school.uuid)
        .order_by("id")
        .values_list("detail__action", flat=True)
    )


# Between two schools on Safeguard ------------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=StringIO())
    return {user.email: user for user in User.objects.all()}


def test_northfields_dsl_transfers_the_story_child_to_riverside_whose_dsl_accepts_the_whole_history(demo, run_tasks):
    northfield = School.objects.get(name="Northfield Academy")
    riverside = School.objects.get(name="Riverside Primary")
    child = demo_story_child(Child.objects.filter(school=northfield).order_by("upn"))
    with_photo = concern_by(demo["teacher@northfield.example"], child)  # a concern with a photo attached
    attachment = with_photo.incident.attachments.get()
    open_concerns = child.concerns.exclude(status=ConcernStatus.CLOSED).count()
    items = sum(len(rows) for rows in file_items(child).values())
    northfield_dsl = signed_in_client(demo["dsl@northfield.example"])

    response = leave(northfield_dsl, child, left_on=timezone.localdate(), destination="", urn=riverside.urn)
    transfer = Transfer.objects.get(child=child)
    assert response.status_code == 302 and response.url == f"/transfers/{transfer.uuid}/"
    assert transfer.kind == TransferKind.SEND_FILE and transfer.to_school == riverside
    assert transfer.destination == "Riverside Primary"
    assert "send the file to Riverside Primary" in northfield_dsl.get("/queue/").content.decode()

    assert checklist(northfield_dsl, transfer).status_code == 302
    response = northfield_dsl.post(f"/transfers/{transfer.uuid}/", {"step": "send", "route": "safeguard"})
    transfer.refresh_from_db()
    assert response.status_code == 302 and transfer.status == TransferStatus.SENT
    assert transfer.item_count == items and len(transfer.manifest_sha256) == 64

    riverside_dsl = signed_in_client(demo["dsl@riverside.example"])
    assert "review and accept it" in riverside_dsl.get("/queue/").content.decode()
    page = riverside_dsl.get(f"/transfers/{transfer.uuid}/").content.decode()
    assert "Accept the file" in page and f"{items} items" in page
    response = riverside_dsl.post(f"/transfers/{transfer.uuid}/", {"step": "accept", "into": "new"})

    transfer.refresh_from_db()
    received = transfer.received_child
    assert response.status_code == 302 and response.url == f"/children/{received.uuid}/"
    assert received.school == riverside and received.upn == child.upn and received.carers.count() == 2
    assert transfer.status == TransferStatus.RECEIVED
    assert transfer.received_by_name == demo["dsl@riverside.example"].full_name
    file_page = riverside_dsl.get(f"/children/{received.uuid}/").content.decode()
    assert "History received from Northfield Academy" in file_page
    for concern in child.concerns.all():
        assert concern.account.splitlines()[0][:40] in file_page.replace("&#x27;", "'").replace("&quot;", '"')
    download = riverside_dsl.get(f"/children/{received.uuid}/received/{transfer.uuid}/files/1/")
    assert download.status_code == 200 and download.content == attachment_path(attachment).read_bytes()
    assert riverside_dsl.get(f"/children/{received.uuid}/received/{transfer.uuid}/pdf/").content[:4] == b"%PDF"
    # The receiving DSL is prompted to tell key staff such as the SENCO.
    senco = Action.objects.get(school=riverside, child=received)
    assert "SENCO" in senco.what and senco.owner == demo["dsl@riverside.example"]
    assert "SENCO" in riverside_dsl.get("/").content.decode()

    # Northfield's copy: marked transferred, read only, off the queue.
    child.refresh_from_db()
    assert child.transferred_at is not None
    page = northfield_dsl.get(f"/children/{child.uuid}/").content.decode()
    assert "Transferred" in page and "This copy is read only" in page and "Add a note or action" not in page
    refused = northfield_dsl.post(
        f"/children/{child.uuid}/notes/", {"kind": "note", "text": "After the move"}, follow=True
    )
    assert "This copy is read only" in refused.content.decode()
    assert not child.case_notes.filter(text="After the move").exists()
    assert open_concerns and child.concerns.exclude(status=ConcernStatus.CLOSED).count() == 0
    assert child.display_name not in northfield_dsl.get("/queue/").content.decode()

    # Each step in both schools' trails.
    assert [step for step in steps(transfer, northfield) if step] == [
        "task_created",
        "checklist_saved",
        "sent",
        "receipt_confirmed",
    ]
    assert riverside_dsl.get(f"/transfers/{transfer.uuid}/package/").status_code == 200
    assert {"task_created", "sent", "receipt_confirmed"} <= set(steps(transfer, riverside))
    assert AuditEvent.objects.filter(
        event_type=EventType.DOWNLOAD, object_uuid=transfer.uuid, school_uuid=riverside.uuid
    ).exists()
    assert AuditEvent.objects.filter(
        event_type=EventType.VIEW, object_uuid=transfer.uuid, school_uuid=riverside.uuid
    ).exists()

    # Staff of either school: 404 on either file, as if there were none.
    for email in ("teacher@northfield.example", "teacher@riverside.example"):
        staff = signed_in_client(demo[email])
        assert staff.get(f"/children/{child.uuid}/").status_code == 404
        assert staff.get(f"/children/{received.uuid}/").status_code == 404
        assert staff.get(f"/transfers/{transfer.uuid}/").status_code == 404
        assert staff.get(f"/children/{received.uuid}/received/{transfer.uuid}/pdf/").status_code == 404
    run_tasks()
    assert not any(child.legal_last_name in message.body + message.subject for message in mail.outbox)


def attachment_path(attachment):
    from tests.stored import attachment as stored

    return stored(attachment.stored_name)


# By a secure link ----------------------------------------------------------------------------------------------


@pytest.fixture
def sent_by_link(world, run_tasks):
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")
    concern_by(world.teacher, pupil)
    dsl = signed_in_client(world.dsl)
    leave(dsl, pupil, left_on=timezone.localdate(), destination="Hill Top Academy", urn="123456")
    transfer = Transfer.objects.get(child=pupil)
    checklist(dsl, transfer)
    mail.outbox.clear()
    page = dsl.post(f"/transfers/{transfer.uuid}/", {"step": "send", "route": "link"}).content.decode()
    code = re.search(r"Code: <strong>(\d{4} \d{4})</strong>", page).group(1)
    run_tasks()
    (email,) = [message for message in mail.outbox if "dsl@newschool.example" in message.to]
    link = re.search(r"http://[^\s]+/transfer/([^/\s]+)/", email.body)
    assert "Jade" not in email.body and "Turner" not in email.body and code not in email.body
    transfer.refresh_from_db()
    return transfer, link.group(1), code


def test_a_wrong_code_is_refused_and_throttled_the_right_one_downloads_a_package_whose_signature_checks(
    world, sent_by_link, tmp_path
):
    transfer, token, code = sent_by_link
    browser = Client()
    url = f"/transfer/{token}/"
    assert "Enter the code" in browser.get(url).content.decode()
    assert browser.get(f"{url}package/").status_code == 404

    wrong = browser.post(url, {"code": "0000 0000" if code != "0000 0000" else "1111 1111"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert AuditEvent.objects.filter(event_type=EventType.ACCESS_REFUSED, object_uuid=transfer.uuid).exists()

    assert browser.post(url, {"code": code}).status_code == 302
    package = browser.get(f"{url}package/")
    assert package.status_code == 200
    content = b"".join(package.streaming_content)
    assert AuditEvent.objects.filter(event_type=EventType.DOWNLOAD, object_uuid=transfer.uuid).exists()

    key = tmp_path / "key.pem"
    key.write_bytes(Client().get("/.well-known/safeguard-transfer-key.pem").content)
    folder = tmp_path / "package"
    zipfile.ZipFile(io.BytesIO(content)).extractall(folder)
    assert verify(folder, key).returncode == 0
    # One changed byte, in a part or in the sums, fails the check.
    for name in ("child-protection-file.pdf", "SHA256SUMS", "manifest.json"):
        part = folder / name
        original = part.read_bytes()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 1
        part.write_bytes(bytes(changed))
        assert verify(folder, key).returncode != 0, f"a changed byte in {name} passed the check"
        part.write_bytes(original)
    assert verify(folder, key).returncode == 0

    # The fingerprint the DSL reads out is the one openssl gives of the published key.
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", str(key), "-outform", "DER"], capture_output=True, check=True
    ).stdout
    fingerprint = hashlib.sha256(der).hexdigest().upper()
    sender_page = signed_in_client(world.dsl).get(f"/transfers/{transfer.uuid}/").content.decode()
    assert " ".join(fingerprint[i : i + 4] for i in range(0, 64, 4)) in sender_page

    # Confirming receipt completes the transfer.
    response = browser.post(url, {"received_by_name": "Sam Patel", "received_by_role": "DSL"})
    transfer.refresh_from_db()
    assert response.status_code == 302 and transfer.status == TransferStatus.RECEIVED
    assert transfer.received_by_name == "Sam Patel (DSL)" and transfer.received_at is not None
    assert transfer.child.transferred_at is not None
    assert "transfer is complete" in browser.get(url).content.decode()


def verify(folder: Path, key: Path):
    """The command docs/transfer.md gives, run in the package's folder."""
    command = (
        f"openssl pkeyutl -verify -pubin -inkey {key} -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig "
        "&& sha256sum -c --quiet SHA256SUMS"
    )
    return subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True)


def test_the_documented_check_is_the_one_tested():
    document = (Path(__file__).resolve().parents[2] / "docs" / "transfer.md").read_text()
    assert "openssl pkeyutl -verify -pubin -inkey safeguard-transfer-key.pem -rawin -in SHA256SUMS" in document
    assert "sha256sum -c SHA256SUMS" in document
    assert shutil.which("openssl") and shutil.which("sha256sum")


def test_wrong_codes_close_the_link_and_an_address_is_limited_across_links(world, sent_by_link, settings):
    transfer, token, code = sent_by_link
    wrong = "9999 9999" if code != "9999 9999" else "8888 8888"
    browser = Client()
    answers = [browser.post(f"/transfer/{token}/", {"code": wrong}).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 403]
    # Closed: even the right code no longer opens it, until the sender sends a new link.
    closed = browser.post(f"/transfer/{token}/", {"code": code})
    assert closed.status_code == 403 and "closed" in closed.content.decode()
    transfer.refresh_from_db()
    assert transfer.wrong_codes == 5

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "transfer_codes": (3, 900)}
    other = Client()
    statuses = [other.post(f"/transfer/{token}/", {"code": wrong}).status_code for _ in range(4)]
    assert statuses[-1] == 429


def test_a_sender_gets_a_new_link_and_the_old_one_stops_working(world, sent_by_link, run_tasks):
    transfer, token, _code = sent_by_link
    page = signed_in_client(world.dsl).post(f"/transfers/{transfer.uuid}/", {"step": "new_link"}).content.decode()
    new_code = re.search(r"Code: <strong>(\d{4} \d{4})</strong>", page).group(1)
    assert Client().get(f"/transfer/{token}/").status_code == 404
    run_tasks()
    new_token = re.search(r"/transfer/([^/\s]+)/", mail.outbox[-1].body).group(1)
    assert Client().post(f"/transfer/{new_token}/", {"code": new_code}).status_code == 302


def test_a_link_expires_after_seven_days(world, sent_by_link):
    _transfer, token, _code = sent_by_link
    with time_machine.travel(timezone.now() + timezone.timedelta(days=7, minutes=1)):
        assert Client().get(f"/transfer/{token}/").status_code == 404


def test_a_paper_hand_over_completes_the_transfer(world):
    pupil = ChildFactory(school=world.northfield)
    concern_by(world.teacher, pupil, with_file=False)
    dsl = signed_in_client(world.dsl)
    leave(dsl, pupil, left_on=timezone.localdate(), destination="Hill Top Academy")
    transfer = Transfer.objects.get(child=pupil)
    checklist(dsl, transfer)
    dsl.post(f"/transfers/{transfer.uuid}/", {"step": "send", "route": "paper"})
    assert dsl.get(f"/transfers/{transfer.uuid}/package/").status_code == 200
    response = dsl.post(
        f"/transfers/{transfer.uuid}/",
        {"step": "paper", "received_by_name": "Sam Patel, DSL", "received_on": timezone.localdate().isoformat()},
    )
    transfer.refresh_from_db()
    assert response.status_code == 302 and transfer.status == TransferStatus.RECEIVED
    assert transfer.received_by_name == "Sam Patel, DSL"


def test_sending_needs_the_checklist(world):
    pupil = ChildFactory(school=world.northfield)
    dsl = signed_in_client(world.dsl)
    leave(dsl, pupil, left_on=timezone.localdate(), destination="Hill Top Academy")
    transfer = Transfer.objects.get(child=pupil)
    response = dsl.post(f"/transfers/{transfer.uuid}/", {"step": "send", "route": "link"}, follow=True)
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.TO_SEND
    assert "whether anything needs sharing" in response.content.decode()


# The clock -----------------------------------------------------------------------------------------------------


def summer_holidays(school, first: date, last: date):
    day = first
    while day <= last:
        ClosureDay.objects.create(school=school, date=day, description="Summer holidays")
        day += timezone.timedelta(days=1)


@time_machine.travel("2027-03-10 12:00 +0000", tick=False)
def test_an_in_year_leavers_task_is_due_five_calendar_days_after_leaving(world):
    summer_holidays(world.northfield, date(2027, 7, 22), date(2027, 9, 1))
    pupil = ChildFactory(school=world.northfield)
    leave(signed_in_client(world.dsl), pupil, left_on=date(2027, 3, 10), destination="Hill Top Academy")
    assert Transfer.objects.get(child=pupil).due_on == date(2027, 3, 15)


@time_machine.travel("2027-08-05 12:00 +0000", tick=False)
def test_a_leaver_in_the_summer_holidays_is_due_within_the_first_five_days_of_the_autumn_term(world):
    summer_holidays(world.northfield, date(2027, 7, 22), date(2027, 9, 1))
    pupil = ChildFactory(school=world.northfield)
    leave(signed_in_client(world.dsl), pupil, left_on=date(2027, 8, 5), destination="Hill Top Academy")
    # The autumn term starts on Thursday 2 September.
    assert Transfer.objects.get(child=pupil).due_on == date(2027, 9, 7)
    # Leaving on the last day of the summer term is the same.
    other = ChildFactory(school=world.northfield)
    leave(signed_in_client(world.dsl), other, left_on=date(2027, 7, 21), destination="Hill Top Academy")
    assert Transfer.objects.get(child=other).due_on == date(2027, 9, 7)


@time_machine.travel("2027-03-10 12:00 +0000", tick=False)
def test_a_trust_counting_school_days_skips_the_weekend(world):
    world.trust.transfer_days = TransferDays.SCHOOL
    world.trust.save()
    pupil = ChildFactory(school=world.northfield)
    leave(signed_in_client(world.dsl), pupil, left_on=date(2027, 3, 10), destination="Hill Top Academy")
    assert Transfer.objects.get(child=pupil).due_on == date(2027, 3, 17)


def test_an_unconfirmed_transfer_raises_a_follow_up_on_its_due_date_once(world, sent_by_link):
    transfer, _token, _code = sent_by_link
    due = transfer.due_on
    with time_machine.travel(datetime.combine(due - timedelta(days=1), time(12), tzinfo=LONDON), tick=False):
        assert transfers_follow_up() == 0
    with time_machine.travel(datetime.combine(due, time(8), tzinfo=LONDON), tick=False):
        assert transfers_follow_up() == 1
        assert transfers_follow_up() == 0
    chase = Action.objects.get(child=transfer.child, what__startswith="Chase")
    assert chase.owner == world.dsl and "Hill Top Academy" in chase.what
    assert Notification.objects.filter(transfer=transfer, kind=Notification.Kind.TRANSFER_FOLLOW_UP).exists()


def test_an_unsent_task_escalates_once_a_level(world, run_tasks):
    from referrals.services.transfers import transfers_escalate

    pupil = ChildFactory(school=world.northfield)
    leave(signed_in_client(world.dsl), pupil, left_on=timezone.localdate(), destination="Hill Top Academy")
    transfer = Transfer.objects.get(child=pupil)
    later = timezone.now() + timezone.timedelta(days=6)
    assert transfers_escalate(now=later) == 1 and transfers_escalate(now=later) == 0
    much_later = timezone.now() + timezone.timedelta(days=9)
    assert transfers_escalate(now=much_later) == 1 and transfers_escalate(now=much_later) == 0
    transfer.refresh_from_db()
    assert transfer.escalation_level == 2
    run_tasks()
    overdue = [message for message in mail.outbox if "[OVERDUE]" in message.subject]
    assert overdue and not any(pupil.legal_last_name in message.body for message in overdue)


# Unknown destination -------------------------------------------------------------------------------------------


def test_a_leaver_with_an_unknown_destination_gets_a_missing_education_task_and_a_hold(world):
    world.northfield.missing_education_contact = "Children Missing Education Team"
    world.northfield.missing_education_phone = "01632 960 999"
    world.northfield.save()
    pupil = ChildFactory(school=world.northfield)
    dsl = signed_in_client(world.dsl)
    response = leave(dsl, pupil, left_on=timezone.localdate())

    task = Transfer.objects.get(child=pupil)
    assert task.kind == TransferKind.MISSING_EDUCATION and task.status == TransferStatus.TO_SEND
    hold = FileHold.objects.get(child=pupil)
    assert hold.reason == HoldReason.DESTINATION_UNKNOWN and hold.standing
    page = dsl.get(response.url).content.decode()
    assert "children missing education" in page and "01632 960 999" in page
    assert "Held: destination unknown" in dsl.get(f"/children/{pupil.uuid}/").content.decode()
    assert "destination unknown: tell the local authority" in dsl.get("/queue/").content.decode()

    dsl.post(f"/transfers/{task.uuid}/", {"step": "missing_done", "note": "Rang the CME team on Friday"})
    task.refresh_from_db()
    assert task.status == TransferStatus.DONE
    assert FileHold.objects.get(child=pupil).standing  # the hold stays until the file goes somewhere


def test_the_roster_and_an_import_make_the_task_too(world):
    pupil = ChildFactory(school=world.northfield)
    with transaction.atomic():
        child_update_roster(
            actor=world.office,
            child=pupil,
            values={"roll_status": RollStatus.LEFT, "left_on": timezone.localdate(), "destination": "Hill Top"},
        )
    assert Transfer.objects.get(child=pupil).destination == "Hill Top"

    imported = ChildFactory(school=world.northfield, upn="A123456789012", year_group="9")
    rows = [
        {
            "upn": imported.upn,
            "legal_first_name": imported.legal_first_name,
            "legal_last_name": imported.legal_last_name,
            "date_of_birth": imported.date_of_birth,
            "year_group": imported.year_group,
            "roll_status": RollStatus.LEFT,
            "left_on": timezone.localdate(),
            "destination": "",
            "destination_urn": world.riverside.urn,
        }
    ]
    roster_import(school=world.northfield, rows=rows)
    roster_import(school=world.northfield, rows=rows)  # the same file again makes nothing new
    task = Transfer.objects.get(child=imported)
    assert task.to_school == world.riverside and task.destination == "Riverside Primary"


def test_a_child_with_nothing_on_file_is_closed_as_no_file(world):
    pupil = ChildFactory(school=world.northfield)
    dsl = signed_in_client(world.dsl)
    leave(dsl, pupil, left_on=timezone.localdate(), destination="Hill Top Academy")
    task = Transfer.objects.get(child=pupil)
    dsl.post(f"/transfers/{task.uuid}/", {"step": "no_file"})
    task.refresh_from_db()
    assert task.status == TransferStatus.NO_FILE


def test_the_pupil_roll_carries_no_child_protection_data_of_a_leaver(world):
    """The school's pupil record (the side an MIS and its Common Transfer File see) holds roster details only: not
    the flags, not a concern, not the transfer (R7.3); the file goes as its own package."""
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner", cp_plan=True)
    concern = concern_by(world.teacher, pupil, with_file=False)
    dsl = signed_in_client(world.dsl)
    leave(dsl, pupil, left_on=timezone.localdate(), destination="Hill Top Academy")
    transfer = Transfer.objects.get(child=pupil)
    admin = signed_in_client(world.office)
    for url in (f"/schools/{world.northfield.uuid}/pupils/", f"/schools/{world.northfield.uuid}/pupils/{pupil.uuid}/"):
        page = admin.get(url).content.decode()
        assert "Turner" in page
        for child_protection in (concern.reference, "protection plan", str(transfer.uuid), "manifest"):
            assert child_protection not in page
    assert admin.get(f"/transfers/{transfer.uuid}/").status_code == 404


def test_the_trust_lead_sets_the_days_and_the_copy_policy_and_a_transfer_records_it(world, sent_by_link):
    lead = signed_in_client(world.trustlead)
    response = lead.post(
        "/trust/moving-schools/",
        {"transfer_days": "school", "transfer_copy": "remove", "transfer_copy_months": "6"},
    )
    world.trust.refresh_from_db()
    assert response.status_code == 302 and world.trust.transfer_days == TransferDays.SCHOOL
    assert AuditEvent.objects.filter(object_type="trust_policy", object_uuid=world.trust.uuid).exists()
    assert signed_in_client(world.dsl).get("/trust/moving-schools/").status_code == 403

    transfer, token, code = sent_by_link
    browser = Client()
    browser.post(f"/transfer/{token}/", {"code": code})
    browser.post(f"/transfer/{token}/", {"received_by_name": "Sam Patel", "received_by_role": "DSL"})
    transfer.refresh_from_db()
    assert transfer.copy_policy == "remove" and transfer.copy_review_on is not None
    assert (transfer.copy_review_on - timezone.localdate()).days in range(180, 186)


def test_a_destination_found_later_makes_the_task_to_send_the_file(world):
    pupil = ChildFactory(school=world.northfield)
    concern_by(world.teacher, pupil, with_file=False)
    dsl = signed_in_client(world.dsl)
    leave(dsl, pupil, left_on=timezone.localdate())
    assert "new school is now known" in dsl.get(f"/children/{pupil.uuid}/").content.decode()

    leave(dsl, pupil, left_on=timezone.localdate(), destination="", urn=world.riverside.urn)
    task = Transfer.objects.get(child=pupil, kind=TransferKind.SEND_FILE)
    assert task.to_school == world.riverside and task.receiving_dsl_name == world.riverside_dsl.full_name
    assert FileHold.objects.get(child=pupil).standing  # until the new school confirms receipt


def test_a_pupil_file_with_leaving_columns_marks_leavers_and_checks_the_dates(world):
    from referrals.pupil_import import check_pupil_file
    from referrals.upn import make_upn

    jade, kian, lee = (make_upn(la_code=873, establishment=8203, year=2020, serial=n) for n in (1, 2, 3))
    text = (
        "upn,legal_first_name,legal_last_name,date_of_birth,year_group,left_on,destination,destination_urn\n"
        f"{jade},Jade,Turner,14/03/2012,9,01/12/2026,Hill Top Academy,123456\n"
        f"{kian},Kian,Walsh,02/01/2013,8,,,\n"
        f"{lee},Lee,Ford,02/01/2013,8,31/02/2026,Hill Top,12\n"
    )
    checked = check_pupil_file(text.encode())
    assert [str(problem) for problem in checked.problems] == [
        "line 4, left_on: impossible leaving date '31/02/2026': use DD/MM/YYYY",
        "line 4, destination_urn: a URN is six or seven digits",
    ]
    first, second = checked.rows[0], checked.rows[1]
    assert first["roll_status"] == RollStatus.LEFT and first["left_on"] == date(2026, 12, 1)
    assert first["destination_urn"] == "123456" and "roll_status" not in second
