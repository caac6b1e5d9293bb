"""Timing pages over HTTP on the loopback, with the standard library only: one signed-in browser at a time for the
page figures, several at once for the load figures."""

import http.client
import statistics
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

TIMEOUT = 60


class Browser:
    """A signed-in person: their cookies, a request at a time, each timed from sending to the last byte read."""

    def __init__(self, port: int, cookies: dict[str, str]):
        self.port = port
        self.cookies = dict(cookies)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, float]:
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode({"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, content.decode(errors="replace"), elapsed

    def get(self, path: str) -> tuple[int, str, float]:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> tuple[int, str, float]:
        return self.request("POST", path, form)


def summary(timings: list[float]) -> dict:
    """Median, p95 and p99 of a list of milliseconds (nearest rank)."""
    ordered = sorted(timings)

    def rank(share: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    return {
        "samples": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(rank(0.95), 2),
        "p99_ms": round(rank(0.99), 2),
        "min_ms": round(ordered[0], 2),
    }


def wait_for(port: int, seconds: float = 60) -> None:
    """Until the server answers on the port (any status), or fail."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/accounts/login/")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def load(port: int, cookies: dict[str, str], path: str, *, clients: int, seconds: float) -> dict:
    """`clients` browsers asking for `path` as fast as the server answers, for `seconds`."""
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def run():
        browser = Browser(port, cookies)
        mine, failed = [], []
        while time.perf_counter() < stop_at:
            try:
                status, _, elapsed = browser.get(path)
            except OSError as error:
                failed.append(type(error).__name__)
                continue
            if status == 200:
                mine.append(elapsed)
            else:
                failed.append(str(status))
        with lock:
            timings.extend(mine)
            errors.extend(failed)

    started = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    result = {"clients": clients, "seconds": round(elapsed, 1), "requests": len(timings), "errors": len(errors)}
    result["requests_per_second"] = round(len(timings) / elapsed, 1)
    if timings:
        result.update({key: value for key, value in summary(timings).items() if key != "samples"})
    if errors:
        result["error_kinds"] = sorted(set(errors))
    return result
