"""Gives every request a short reference id, shown on error pages and written to every log line."""

import contextlib
import ipaddress
import logging
import secrets
from contextvars import ContextVar

from django.conf import settings

_current_request_id: ContextVar[str] = ContextVar("request_id", default="-")


def new_request_id() -> str:
    return secrets.token_hex(6).upper()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = new_request_id()
        token = _current_request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _current_request_id.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class HeaderNulMiddleware:
    """Takes NUL bytes out of the request's headers. The browser's description and what it accepts are stored
    with the audit trail and django-axes' sign-in attempts, and PostgreSQL cannot store a NUL byte in text: kept,
    one would turn the request into a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, value in list(request.META.items()):
            if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                request.META[name] = value.replace("\x00", "")
        return self.get_response(request)


def install_request_id_on_log_records() -> None:
    """Stamp every log record with the current request's reference, so a reference read out by a
    user finds its log lines, whichever handler writes them."""
    make_record = logging.getLogRecordFactory()

    def make_record_with_request_id(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.request_id = _current_request_id.get()
        return record

    logging.setLogRecordFactory(make_record_with_request_id)


class RequestIdLogFilter(logging.Filter):
    """For records made before the app registry was ready, so the log format never lacks the field."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = _current_request_id.get()
        return True


class NoStoreMiddleware:
    """Nothing shown to a signed-in person is kept by the browser or a proxy: every such response says no-store,
    so a child's details never sit in a shared computer's cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store, private"
        return response


class ProxyClientAddressMiddleware:
    """Behind a reverse proxy every connection comes from the proxy. With CLIENT_ADDRESS_HEADER set, the client's
    address is taken from that header instead, so that the audit trail records who connected, not the proxy.

    Only for a header the proxy always sets itself (nginx: `proxy_set_header X-Real-IP $remote_addr;`), so that a
    client cannot choose its own: anything that is not one IP address is ignored."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.CLIENT_ADDRESS_HEADER:
            value = request.headers.get(settings.CLIENT_ADDRESS_HEADER, "").strip()
            # Absent, or not one address: the connection's own address stays.
            with contextlib.suppress(ValueError):
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(value))
        return self.get_response(request)
