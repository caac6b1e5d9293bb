"""Where a request comes from, as the audit trail records it: address, a hash of the session, browser,
request id, method and route. Built once per request by the audit middleware."""

import hashlib
import hmac
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings

from safeguarding.core.memberships import memberships_of, role_at


def keyed_hash(value: str) -> str:
    """An HMAC under the audit key: lets equal values be matched without ever storing the value."""
    return hmac.new(settings.AUDIT_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


@dataclass
class RequestContext:
    ip: str | None = None
    session_hash: str = ""
    user_agent: str = ""
    request_id: str = ""
    method: str = ""
    route: str = ""
    user: object = None
    _known_memberships: list | None = None

    @classmethod
    def from_request(cls, request) -> "RequestContext":
        session = getattr(request, "session", None)
        session_key = session.session_key if session is not None else None
        match = getattr(request, "resolver_match", None)
        return cls(
            ip=request.META.get("REMOTE_ADDR") or None,
            session_hash=keyed_hash(session_key) if session_key else "",
            user_agent=request.headers.get("User-Agent", "")[:300],
            request_id=getattr(request, "request_id", ""),
            method=request.method or "",
            route=(match.view_name if match else "")[:100],
            user=getattr(request, "user", None),
            _known_memberships=getattr(request, "memberships", None),
        )

    def refresh(self, request) -> None:
        """The session key and the route are only known once the request has been through sign-in and routing."""
        fresh = RequestContext.from_request(request)
        if fresh.user != self.user:
            self.__dict__.pop("memberships", None)
            self._known_memberships = None
        self.session_hash, self.route, self.user = fresh.session_hash, fresh.route, fresh.user

    @cached_property
    def memberships(self) -> list:
        if self._known_memberships is not None and self.user is not None and self.user.is_authenticated:
            return self._known_memberships
        return memberships_of(self.user)

    def role_at(self, school) -> str:
        """The person's role where they acted: at the school, else through its trust."""
        return role_at(self.memberships, school)
