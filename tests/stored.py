"""A stored file as the tests look at it: whether it exists and what it holds, wherever the storage keeps it."""

from dataclasses import dataclass

from safeguarding.core.files import file_exists, file_read, file_save


@dataclass(frozen=True)
class Stored:
    kind: str
    name: str

    def exists(self) -> bool:
        return file_exists(self.kind, self.name)

    def read_bytes(self) -> bytes:
        return file_read(self.kind, self.name)

    def write_bytes(self, content: bytes) -> None:
        file_save(self.kind, self.name, content)


def attachment(stored_name: str) -> Stored:
    return Stored("attachments", stored_name)


def export_file(name: str) -> Stored:
    return Stored("exports", name)


def access_pack(name: str) -> Stored:
    return Stored("access-packs", name)
