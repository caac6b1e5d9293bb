"""Subject access requests: a parent or a former pupil asks for the records the school holds about a child
(REQUIREMENTS.md R10.6, R10.7). The request, its clock's pauses, what is withheld and why, and the pack released."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.models.children import Child
from safeguarding.accounts.models import School, User


class Requester(models.TextChoices):
    PARENT = "parent", "A parent or carer with parental responsibility"
    CHILD = "child", "The child, or the former pupil as an adult"
    REPRESENTATIVE = "representative", "Someone acting for the child (a solicitor or an advocate)"
    OTHER = "other", "Someone else, with the child's authority"


class RequestStatus(models.TextChoices):
    PREPARING = "preparing", "Being prepared"
    SIGN_OFF = "sign_off", "Waiting for a second person's sign-off"
    SIGNED_OFF = "signed_off", "Signed off: ready to release"
    RELEASED = "released", "Released"


class WithheldBecause(models.TextChoices):
    """The exemptions a reviewer may rely on, by the part of the Data Protection Act 2018 that gives them."""

    THIRD_PARTY = "third_party", "Another person's information (DPA 2018 Sch 2 Pt 3)"
    SERIOUS_HARM = "serious_harm", "Serious harm to the child or someone else (DPA 2018 Sch 3 Pt 4)"
    CHILD_ABUSE = "child_abuse", "Child abuse data, not in the child's best interests (DPA 2018 Sch 3 Pt 5)"
    LEGAL_PRIVILEGE = "legal_privilege", "Legal professional privilege (DPA 2018 Sch 2 Pt 4)"
    CRIME = "crime", "Prevention or detection of crime (DPA 2018 Sch 2 Pt 1)"


class Delivery(models.TextChoices):
    IN_PERSON = "in_person", "Handed over in person"
    SECURE_EMAIL = "secure_email", "Secure (encrypted) email"
    POST = "post", "Recorded delivery post"
    OTHER = "other", "Another way (said in the note)"


class AccessRequest(models.Model):
    """One request for the records about one child. The clock starts on the latest of its receipt, the proof of
    identity and any fee; pauses while the school waits for clarification stop it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=30, unique=True)
    # The file may be disposed of later; the request keeps the child's id, as the trail does.
    child = models.ForeignKey(Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="access_requests")
    child_uuid = models.UUIDField()
    requester_name = models.CharField("who asked", max_length=200)
    requester = models.CharField("their relationship to the child", max_length=20, choices=Requester.choices)
    requester_address = models.TextField("where the pack goes (address or email)", blank=True)
    identity_check = models.CharField("how their identity was checked", max_length=300)
    received_on = models.DateField("request received on")
    identity_confirmed_on = models.DateField("proof of identity received on", null=True, blank=True)
    fee_requested = models.BooleanField("a fee was asked for", default=False)
    fee_received_on = models.DateField("fee received on", null=True, blank=True)
    logged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.PREPARING)
    # One extension by two further months, for a complex request, agreed before the first due date.
    extension_reason = models.TextField(blank=True)
    extended_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    extended_at = models.DateTimeField(null=True, blank=True)
    requester_told_on = models.DateField("requester told of the extension on", null=True, blank=True)
    sent_for_sign_off_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sent_for_sign_off_at = models.DateTimeField(null=True, blank=True)
    # The second person may send the redactions back, saying what to look at again.
    sent_back_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sent_back_at = models.DateTimeField(null=True, blank=True)
    sent_back_note = models.TextField(blank=True)
    signed_off_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_off_at = models.DateTimeField(null=True, blank=True)
    # The items of the file the sign-off covered, each with the SHA-256 of its words: anything added later stays out
    # of the pack, and a pack is not made again from an item changed since.
    signed_items = models.JSONField(default=dict, blank=True)
    # Everyone who added or took back a redaction, or sent the request for sign-off: none of them may sign it off.
    preparers = models.JSONField(default=list, blank=True)
    # Names of other children proposed for redaction and taken back by a person: not proposed again.
    declined_names = models.JSONField(default=list, blank=True)
    released_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    delivered = models.CharField("how it was delivered", max_length=20, choices=Delivery.choices, blank=True)
    delivery_note = models.CharField(max_length=300, blank=True)
    # The pack as made at sign-off: a PDF in the file storage, removed when it expires.
    pack_name = models.CharField(max_length=80, blank=True)
    pack_sha256 = models.CharField(max_length=64, blank=True)
    pack_made_at = models.DateTimeField(null=True, blank=True)
    pack_expires_at = models.DateTimeField(null=True, blank=True)
    # The due date a reminder or an overdue notice was last sent for, so that each is sent once.
    reminded_for = models.DateField(null=True, blank=True)
    overdue_notified_for = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["received_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_off_by__isnull=True) | ~Q(signed_off_by=models.F("sent_for_sign_off_by")),
                name="access_request_signed_off_by_a_second_person",
            )
        ]

    def __str__(self):
        return f"subject access request {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.status != RequestStatus.RELEASED

    def preparer_ids(self) -> set[int]:
        """Who prepared the redactions, and so cannot sign them off: whoever sent them for sign-off, marked one or
        took one back, at any time."""
        marked = {redaction.made_by_id for redaction in self.redactions.all() if redaction.made_by_id}
        return {self.sent_for_sign_off_by_id, *marked, *self.preparers} - {None}

    def awaits_sign_off_by(self, user) -> bool:
        return self.status == RequestStatus.SIGN_OFF and user.pk not in self.preparer_ids()

    @property
    def pack_available(self) -> bool:
        return bool(self.pack_name) and (self.pack_expires_at is None or self.pack_expires_at > timezone.now())


class AccessRequestPause(models.Model):
    """The school asked the requester to clarify what they want; the clock waits from the asking to the answer."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="pauses")
    asked_on = models.DateField()
    question = models.CharField("what was asked", max_length=300)
    answered_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["asked_on", "pk"]

    def __str__(self):
        return f"clarification asked on {self.asked_on}"


class Redaction(models.Model):
    """Something withheld from the pack, with the reason. It covers one item of the file (`item_kind` and
    `item_uuid`) or, with neither, every item; within it a passage (`passage`), or the whole item when `passage` is
    empty. The names of other children in a shared concern are proposed by the system and can be taken back."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="redactions")
    item_kind = models.CharField(max_length=20, blank=True)
    item_uuid = models.UUIDField(null=True, blank=True)
    passage = models.TextField(blank=True)
    reason = models.CharField(max_length=20, choices=WithheldBecause.choices)
    note = models.CharField(max_length=300, blank=True)
    proposed_automatically = models.BooleanField(default=False)
    made_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["made_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(item_kind="", passage=""), name="redaction_names_an_item_or_a_passage")
        ]

    def __str__(self):
        return f"{self.get_reason_display()} on {self.request}"

    @property
    def everywhere(self) -> bool:
        return not self.item_kind

    @property
    def whole_item(self) -> bool:
        return bool(self.item_kind) and not self.passage
