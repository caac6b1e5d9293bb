"""Whom the audit trail's events are about: the domain's children, which the audit layer knows only by UUID.

The domain registers one directory of subjects: it finds a subject by the reference a reader types into the trail's
filter (a child's UPN), finds references by name for a reader who knows only the name, and names subjects on the
trail's page. Both are given the schools the reader may audit and
must look no further, so a trail names no child its reader may not see.
"""

import uuid
from dataclasses import dataclass, field
from typing import Protocol

from django.db.models import Q


@dataclass(frozen=True)
class Subject:
    uuid: uuid.UUID
    # Further events about the subject that do not name it: those about records later moved into its file.
    also: Q = field(default_factory=Q)


@dataclass(frozen=True)
class SubjectName:
    name: str
    reference: str  # what a reader who may not see names sees instead, such as a UPN


@dataclass(frozen=True)
class SubjectMatch:
    """A subject found by name, for a reader who knows the name but not the reference the filter takes."""

    uuid: uuid.UUID
    name: str
    reference: str
    description: str = ""


class Directory(Protocol):
    def find(self, *, term: str, schools) -> Subject | None: ...

    def named(self, uuids, *, schools) -> dict[uuid.UUID, SubjectName]: ...

    def search(self, *, term: str, schools) -> list[SubjectMatch]: ...


class _NoSubjects:
    def find(self, *, term: str, schools) -> Subject | None:
        return None

    def named(self, uuids, *, schools) -> dict[uuid.UUID, SubjectName]:
        return {}

    def search(self, *, term: str, schools) -> list[SubjectMatch]:
        return []


_directory: Directory = _NoSubjects()
# What a reader must not see in the trail even of schools they audit: the domain says which events, by the reader.
_hidden: list = []


def register(directory: Directory) -> None:
    global _directory
    _directory = directory


def subject_find(*, term: str, schools) -> Subject | None:
    return _directory.find(term=term, schools=schools)


def subjects_named(uuids, *, schools) -> dict[uuid.UUID, SubjectName]:
    return _directory.named(uuids, schools=schools)


def subjects_search(*, term: str, schools) -> list[SubjectMatch]:
    """Subjects whose name matches `term`, within `schools`, with the reference to filter the trail by."""
    return _directory.search(term=term, schools=schools)


def hidden_register(hidden) -> None:
    """`hidden(user)` returns a Q of the events `user` must never be shown (those about a record about them)."""
    if hidden not in _hidden:
        _hidden.append(hidden)


def hidden_from(user) -> Q | None:
    found = [hidden(user) for hidden in _hidden]
    found = [q for q in found if q is not None]
    if not found:
        return None
    combined = found[0]
    for q in found[1:]:
        combined |= q
    return combined
