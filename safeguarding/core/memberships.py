"""A person's memberships, for the platform's lower layers (the audit trail's role lookups, the navigation).

The accounts app owns memberships and registers how to load them; the layers beneath it ask here, so that they need
not import accounts. A request that has been through the session policy carries them already.
"""

from collections.abc import Callable

_loader: Callable[[object], list] | None = None


def memberships_loader_register(loader: Callable[[object], list]) -> None:
    global _loader
    _loader = loader


def memberships_of(user, *, request=None) -> list:
    """The active memberships of `user`: those the request loaded, else loaded now; none for a visitor."""
    if user is None or not user.is_authenticated:
        return []
    known = getattr(request, "memberships", None) if request is not None else None
    if known is not None:
        return known
    if _loader is None:
        raise RuntimeError("No app has registered how to load memberships.")
    return list(_loader(user))


def memberships_at(memberships, school) -> list:
    """Of a person's memberships, those that reach `school`: of the school itself first, then of its trust."""
    if school is None:
        return []
    direct = [m for m in memberships if m.school_id == school.pk]
    return direct + [m for m in memberships if m.trust_id is not None and m.trust_id == school.trust_id]


def role_at(memberships, school) -> str:
    """The person's role at `school` (the audit trail records it): their role there, else through its trust."""
    here = memberships_at(memberships, school)
    return here[0].role if here else ""
