"""Stored files live in the database, in chunks: no host's disk holds them, and they go with their records."""

import hashlib
import io
import os
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.db import transaction

from safeguarding.core import files
from safeguarding.core.files import file_delete, file_exists, file_open, file_read, file_save
from safeguarding.core.models import StoredFile, StoredFileChunk

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 1 KB, so a small file spans many of them."""
    monkeypatch.setattr(files, "CHUNK_BYTES", 1024)


def _disk_files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


def test_an_attachment_is_stored_and_read_back_with_no_file_on_the_host(world, settings, tmp_path, monkeypatch):
    """Through the concern form, the storage API and the download: nothing is written under the project, the
    temporary folder or the working directory."""
    from referrals.attachments import CheckedFile, attachment_open, attachment_store

    monkeypatch.chdir(tmp_path)
    watched = [Path(settings.BASE_DIR) / "var", tmp_path]
    before = [_disk_files(root) if root.exists() else set() for root in watched]
    content = os.urandom(3 * 1024 * 1024 + 17)  # four chunks, the last a short one

    name, digest = attachment_store(CheckedFile(content, "application/pdf", "letter.pdf"))

    assert digest == hashlib.sha256(content).hexdigest()
    assert storages["default"].__class__.__name__ == "DatabaseStorage"
    stored = StoredFile.objects.get(name=f"attachments/{name}")
    assert stored.size == len(content) and stored.chunks.count() == 4
    with attachment_open(name) as handle:
        assert handle.read() == content
    after = [_disk_files(root) if root.exists() else set() for root in watched]
    assert after == before


def test_a_stored_file_is_read_a_chunk_at_a_time_and_can_seek(small_chunks, django_assert_max_num_queries):
    content = bytes(range(256)) * 40  # 10 KB: ten chunks
    file_save("exports", "sample.csv", content)

    with file_open("exports", "sample.csv") as handle:
        with django_assert_max_num_queries(1):  # the first read fetches one chunk, not the file
            assert handle.read(10) == content[:10]
        handle.seek(5000)
        assert handle.read(3000) == content[5000:8000]
        handle.seek(0, io.SEEK_END)
        assert handle.tell() == len(content)
        handle.seek(0)
        assert handle.read() == content


def test_a_stream_of_parts_is_stored_without_joining_them(small_chunks):
    parts = [b"a" * 700, b"b" * 700, b"c" * 700]

    file_save("exports", "streamed.csv", iter(parts))

    stored = StoredFile.objects.get(name="exports/streamed.csv")
    sizes = list(stored.chunks.order_by("index").values_list("data", flat=True))
    assert [len(bytes(data)) for data in sizes] == [1024, 1024, 52]
    assert file_read("exports", "streamed.csv") == b"".join(parts)


def test_a_deleted_file_leaves_no_chunk_and_a_rolled_back_deletion_keeps_it(small_chunks):
    file_save("attachments", "kept", b"x" * 5000)
    file_save("attachments", "gone", b"y" * 5000)

    with pytest.raises(RuntimeError), transaction.atomic():
        file_delete("attachments", "kept")
        raise RuntimeError("the record's deletion failed")
    with transaction.atomic():
        file_delete("attachments", "gone")

    assert file_read("attachments", "kept") == b"x" * 5000
    assert not file_exists("attachments", "gone")
    assert not StoredFileChunk.objects.filter(file__name="attachments/gone").exists()
    assert StoredFileChunk.objects.count() == 5  # the kept file's chunks, and nothing else


def test_a_disposed_childs_attachments_leave_no_chunk_behind(world):
    """Disposal deletes the stored files in the transaction that deletes the records."""
    from referrals.models import Attachment
    from referrals.services.retention import file_disposal_confirm, file_disposal_propose
    from tests.concerns import concern_by
    from tests.referrals.test_retention import _queued, born_2001

    child = born_2001(world)
    concern = concern_by(world.teacher, child)  # with a photo
    names = [f"attachments/{a.stored_name}" for a in Attachment.objects.filter(incident=concern.incident)]
    assert names and StoredFileChunk.objects.filter(file__name__in=names).exists()
    review = _queued(world, child)
    file_disposal_propose(actor=world.dsl, context=None, review=review, rationale="Reviewed at 25: nothing to keep.")

    file_disposal_confirm(actor=world.trustlead, context=None, review=review)

    assert not StoredFile.objects.filter(name__in=names).exists()
    assert not StoredFileChunk.objects.filter(file__name__in=names).exists()


def test_a_name_from_outside_is_refused_and_an_existing_file_is_never_overwritten():
    file_save("exports", "once.csv", b"first")

    with pytest.raises(FileExistsError):
        file_save("exports", "once.csv", b"second")
    for name in ("../etc/passwd", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            file_save("exports", name, b"x")
    assert file_read("exports", "once.csv") == b"first"
