"""Stored files, through Django's STORAGES API, so that every application host sees the same ones.

Attachments, background exports, subject access packs and transfer packages are kept under one storage, named
`default` in STORAGES. By default that is PostgreSQL itself (`DatabaseStorage`): a file is a row and its bytes
are chunks of at most CHUNK_BYTES, written and read one chunk at a time so that no file is ever whole in memory.
The file is then in every backup of the database, and deleting it inside the transaction that deletes its record
either happens with that record or not at all.

An S3-compatible object store (django-storages) can take its place for large deployments (docs/deployment.md):
there a deletion waits for the record's transaction to commit, so a rolled-back deletion never loses a file.

The code reads and writes files only through the functions at the end of this module, by a kind ("attachments",
"exports", ...) and a random name that Safeguard chose, never a name from outside.
"""

import io
import re

from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone
from django.utils.deconstruct import deconstructible

# A chunk is one row; 1 MiB keeps the rows few for a 10 MB attachment and the memory small for any file.
CHUNK_BYTES = 1024 * 1024
# Every name Safeguard stores: a kind, a slash and a random name it made, with an extension at most.
NAME = re.compile(r"^[a-z-]+/[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


def _models():
    from safeguarding.core.models import StoredFile, StoredFileChunk

    return StoredFile, StoredFileChunk


class ChunkReader(io.RawIOBase):
    """A stored file read one chunk at a time, seekable, so FileResponse can give its length and stream it."""

    def __init__(self, stored_file, *, using: str):
        super().__init__()
        self.stored_file = stored_file
        self.using = using
        self.position = 0
        self.chunk_index = None
        self.chunk = b""

    @property
    def size(self) -> int:
        return self.stored_file.size

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer):
        if self.position >= self.size:
            return 0
        index, start = divmod(self.position, CHUNK_BYTES)
        if index != self.chunk_index:
            _, StoredFileChunk = _models()
            self.chunk = bytes(
                StoredFileChunk.objects.using(self.using)
                .filter(file=self.stored_file, index=index)
                .values_list("data", flat=True)
                .get()
            )
            self.chunk_index = index
        piece = self.chunk[start : start + len(buffer)]
        buffer[: len(piece)] = piece
        self.position += len(piece)
        return len(piece)


@deconstructible(path="safeguarding.core.files.DatabaseStorage")
class DatabaseStorage(Storage):
    """Files kept in PostgreSQL (or SQLite for `make run`), in chunks, in the caller's transaction."""

    # Writes and deletions take part in the database transaction they are made in.
    transactional = True

    def __init__(self, using: str = "default"):
        self.using = using

    def _save(self, name, content):
        """Written in the caller's transaction, if any, so a file is stored with its record or not at all. A long
        background export is written outside one, a chunk at a time; its record names the file before the
        first chunk, so a build that fails deletes what it had written."""
        StoredFile, StoredFileChunk = _models()
        stored = StoredFile.objects.using(self.using).create(name=name, size=0)
        size = 0
        for index, data in enumerate(content.chunks(CHUNK_BYTES)):
            StoredFileChunk.objects.using(self.using).create(file=stored, index=index, data=data)
            size += len(data)
        StoredFile.objects.using(self.using).filter(pk=stored.pk).update(size=size)
        return name

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Stored files are written with save(), not opened for writing.")
        StoredFile, _ = _models()
        try:
            stored = StoredFile.objects.using(self.using).get(name=name)
        except StoredFile.DoesNotExist:
            raise FileNotFoundError(f"No stored file {name}") from None
        return File(io.BufferedReader(ChunkReader(stored, using=self.using), buffer_size=64 * 1024), name=name)

    def exists(self, name):
        StoredFile, _ = _models()
        return StoredFile.objects.using(self.using).filter(name=name).exists()

    def delete(self, name):
        StoredFile, _ = _models()
        # The chunks go with the file row (ON DELETE CASCADE in the database as well as in Django).
        StoredFile.objects.using(self.using).filter(name=name).delete()

    def size(self, name):
        StoredFile, _ = _models()
        return StoredFile.objects.using(self.using).values_list("size", flat=True).get(name=name)

    def listdir(self, path):
        StoredFile, _ = _models()
        prefix = f"{path.rstrip('/')}/" if path else ""
        names = StoredFile.objects.using(self.using).filter(name__startswith=prefix).values_list("name", flat=True)
        files = {name[len(prefix) :] for name in names}
        return sorted({name.split("/")[0] for name in files if "/" in name}), sorted(n for n in files if "/" not in n)

    def get_created_time(self, name):
        StoredFile, _ = _models()
        return StoredFile.objects.using(self.using).values_list("created_at", flat=True).get(name=name)

    get_modified_time = get_created_time

    def url(self, name):
        raise NotImplementedError("Stored files are served only through Safeguard's own audited views.")


def _storage():
    return storages["default"]


def _name(kind: str, name: str) -> str:
    full = f"{kind}/{name}"
    if not NAME.fullmatch(full):
        raise ValueError("Not a name Safeguard stores files under.")
    return full


def file_save(kind: str, name: str, content) -> str:
    """Store `content` (bytes, a file, or an iterable of bytes) under kind/name; returns the name given.

    The name is one Safeguard made at random, so an existing file under it is a fault, never overwritten."""
    full = _name(kind, name)
    storage = _storage()
    if storage.exists(full):
        raise FileExistsError(f"A stored file is already named {full}")
    if not isinstance(content, bytes | bytearray) and not hasattr(content, "read"):
        content = _Iterable(content)
    saved = storage.save(full, content if isinstance(content, File) else File(_as_file(content), name=full))
    if saved != full:  # a storage that renamed it rather than refuse
        raise FileExistsError(f"A stored file is already named {full}")
    return name


def file_open(kind: str, name: str):
    """The stored file open for reading in binary; raises FileNotFoundError when there is none."""
    return _storage().open(_name(kind, name), "rb")


def file_read(kind: str, name: str) -> bytes:
    """A small stored file's whole content (an attachment of at most 10 MB, a transfer part)."""
    with file_open(kind, name) as handle:
        return handle.read()


def file_exists(kind: str, name: str) -> bool:
    return _storage().exists(_name(kind, name))


def file_delete(kind: str, name: str) -> None:
    """Delete a stored file with the transaction that deletes its record: at once where the storage takes part in
    the transaction, else once it commits, so a rolled-back deletion never loses a file still referred to."""
    full = _name(kind, name)
    storage = _storage()
    if getattr(storage, "transactional", False):
        storage.delete(full)
    else:
        transaction.on_commit(lambda: storage.delete(full))


def file_names(kind: str) -> list[str]:
    """The names stored under a kind (for sweeping expired exports and packs)."""
    _, names = _storage().listdir(kind)
    return names


def file_created_at(kind: str, name: str):
    try:
        return _storage().get_created_time(_name(kind, name))
    except NotImplementedError:
        return timezone.now()


class _Iterable(io.RawIOBase):
    """An iterable of byte strings read as a file, without joining them."""

    def __init__(self, parts):
        super().__init__()
        self.parts = iter(parts)
        self.pending = b""

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.pending:
            try:
                self.pending = next(self.parts)
            except StopIteration:
                return 0
        piece, self.pending = self.pending[: len(buffer)], self.pending[len(buffer) :]
        buffer[: len(piece)] = piece
        return len(piece)


def _as_file(content):
    if isinstance(content, bytes | bytearray):
        return io.BytesIO(content)
    if isinstance(content, _Iterable):
        return io.BufferedReader(content, buffer_size=CHUNK_BYTES)
    return content
