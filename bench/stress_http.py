"""A minimal browser for the stress test: one keep-alive connection, cookies, form tokens, no redirects followed.

Every request is logged with its start and end time, its status and the response's X-Request-ID, so that the test
can tell what happened during the database outage and find each page's audit event afterwards.
"""

import http.client
import re
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

TRY_AGAIN = "try again"  # on the 503 page
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class Reply:
    status: int
    location: str
    request_id: str
    text: str
    started: float
    ended: float

    def field(self, name: str) -> str:
        """The value of a hidden or text input in the page."""
        match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', self.text)
        if match is None:
            raise ValueError(f"no field {name!r} in the page (status {self.status})")
        return match.group(1)


@dataclass
class Logged:
    kind: str
    method: str
    status: int  # 0: no answer (the connection failed)
    request_id: str
    started: float
    ended: float
    try_again_page: bool


class RequestLog:
    def __init__(self):
        self.entries: list[Logged] = []
        self.stale_connections = 0
        self._lock = threading.Lock()

    def add(self, entry: Logged) -> None:
        with self._lock:
            self.entries.append(entry)


class Browser:
    def __init__(self, port: int, log: RequestLog, *, timeout: float = 60):
        self.port = port
        self.log = log
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None
        self._used = False

    def get(self, path: str, *, kind: str = "page") -> Reply:
        return self.request("GET", path, None, kind=kind)

    def post(self, path: str, fields: dict, *, kind: str = "form") -> Reply:
        return self.request("POST", path, fields, kind=kind)

    def request(self, method: str, path: str, fields: dict | None, *, kind: str) -> Reply:
        body = urlencode(fields, doseq=True) if fields is not None else None
        headers = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "safeguard-stress-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        try:
            response, text = self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException):
            self.log.add(Logged(kind, method, 0, "", started, time.monotonic(), False))
            raise
        ended = time.monotonic()
        self._keep_cookies(response)
        reply = Reply(
            response.status,
            response.getheader("Location", ""),
            response.getheader("X-Request-ID", ""),
            text,
            started,
            ended,
        )
        self.log.add(Logged(kind, method, reply.status, reply.request_id, started, ended, TRY_AGAIN in text))
        return reply

    def _send(self, method, path, body, headers):
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                self._used = False
            reused = self._used
            try:
                self._connection.request(method, path, body=body, headers=headers)
                self._used = True
                response = self._connection.getresponse()
                text = response.read().decode("utf-8", errors="replace")
            except STALE:
                self.close()
                # A kept-alive connection the server had already closed: the request never reached the site,
                # so it is sent again on a new connection, as a browser does.
                if reused and attempt == 1:
                    self.log.stale_connections += 1
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            return response, text
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _keep_cookies(self, response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
