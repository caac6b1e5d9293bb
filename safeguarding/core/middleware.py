"""Gives every request a short reference id, shown on error pages and written to every log line."""

import logging
import secrets
from contextvars import ContextVar

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


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record, so a reference read out by a user finds the log lines."""

    def filter(self, record):
        record.request_id = _current_request_id.get()
        return True
