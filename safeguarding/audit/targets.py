"""What a refused request asked for: the school and child that a UUID in its URL belongs to.

A refusal is recorded against the school whose record was asked for, so that school's DSL sees the probe in her
trail and the child's who-viewed list shows it. The audit layer knows no records of its own: each app registers,
for a URL keyword such as `child_uuid`, a function that finds what that UUID names. The person refused never sees
the result: their own trail shows the same line whether the UUID named a real record or none.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    school: object | None = None
    child_uuid: uuid.UUID | None = None


_RESOLVERS: dict[str, Callable[[uuid.UUID], Target | None]] = {}


def register(keyword: str, resolver: Callable[[uuid.UUID], Target | None]) -> None:
    """`resolver(value)` returns the Target of the record a URL's `keyword` names, or None when there is none."""
    _RESOLVERS[keyword] = resolver


def refusal_target(kwargs: dict) -> Target:
    """The school and child of the most specific record named in a refused URL: its last UUID keyword that names
    a record, so /schools/<school>/pupils/<no such pupil>/ is still the school's."""
    asked_child = kwargs.get("child_uuid")
    asked_child = asked_child if isinstance(asked_child, uuid.UUID) else None
    for keyword, value in reversed(kwargs.items()):
        resolver = _RESOLVERS.get(keyword)
        if resolver is not None and isinstance(value, uuid.UUID) and (target := resolver(value)) is not None:
            return Target(school=target.school, child_uuid=target.child_uuid or asked_child)
    # A UUID that names no record: the child's UUID is still kept, so who asked for it can be found later.
    return Target(child_uuid=asked_child)
