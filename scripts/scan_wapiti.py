"""Runs Debian 12's wapiti (3.0.4) with its URL exclusions working, and trims a crawl to one page per route.

    /usr/bin/python3 scripts/scan_wapiti.py WAPITI-ARGUMENTS...
    /usr/bin/python3 scripts/scan_wapiti.py trim STATE-DIR PAGES-FILE FORMS-FILE

wapiti 3.0.4 compiles each --exclude pattern with its flags at the end ("...\\Z(?ms)"), which Python 3.11
refuses, so any -x stops the scan (wapiti-scanner/wapiti#595, fixed in later wapiti releases). This compiles
the same pattern with the flags given separately. Its csrf module knows token fields by a fixed list of names
that lacks Django's, so it reports every Django form as having no token: Django's name is added, and the module
then does its real test (sends the form with the token changed, and expects a refusal). Then it hands over to
wapiti's own entry point, unchanged.

`trim` keeps, of the crawled requests in wapiti's session database, one per route (the method, the path with
its UUIDs taken out, and the parameter names), static files aside: the demo's hundreds of children and concerns
are the same code, and attacking each of them would spend the scan's time on one page. It writes the kept pages
(GET, no query string) to PAGES-FILE, one URL a line, for sqlmap to look for forms in, except the pages of
multipart forms: sqlmap 1.7 puts the CSRF token of a multipart form in the wrong place, so every one of its
requests is refused, and those forms go to FORMS-FILE instead, one "URL<tab>urlencoded fields" a line, for
sqlmap to send urlencoded (Django reads them the same way; the file fields are left out). Run it with the
system Python, which has wapiti installed.
"""

import re
import sqlite3
import sys
from pathlib import Path
from urllib.parse import urlencode

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Static files are whitenoise's, and the same for every page; nothing for sqlmap in downloads.
STATIC = re.compile(r"/static/")
NOT_PAGES = re.compile(r"/pdf/|/download/")
# The concern form's tick boxes for the signs of harm (sqlmap leaves them out too: --param-exclude).
SKIPPED_PARAMETERS = "ind_*"
CSRF_FIELD = "csrfmiddlewaretoken"


def wildcard_translate(pattern: str) -> re.Pattern:
    """'*' matches anything, every other character itself, and the pattern must match the whole URL."""
    return re.compile("".join(".*" if char == "*" else re.escape(char) for char in pattern) + r"\Z", re.M | re.S)


def trim(state_dir: Path, pages_file: Path, forms_file: Path) -> None:
    (database,) = state_dir.glob("*.db")
    connection = sqlite3.connect(database)
    _trim_parameters(connection)
    rows = connection.execute(
        "SELECT path_id, path, method, enctype FROM paths WHERE evil = 0 AND headers IS NOT NULL ORDER BY path_id"
    ).fetchall()
    seen, dropped, pages, multipart = set(), [], [], {}
    for path_id, path, method, enctype in rows:
        params = connection.execute("SELECT type, name, value1 FROM params WHERE path_id = ?", (path_id,)).fetchall()
        route = (method, UUID.sub("{uuid}", path), tuple(sorted({name for _, name, _ in params})))
        if route in seen or STATIC.search(path):
            dropped.append((path_id,))
            continue
        seen.add(route)
        if method == "GET" and not params and not NOT_PAGES.search(path):
            pages.append(path)
        elif method == "POST" and enctype.startswith("multipart/"):
            multipart[path] = _sqlmap_data(params)
    connection.executemany("DELETE FROM params WHERE path_id = ?", dropped)
    connection.executemany("DELETE FROM paths WHERE path_id = ?", dropped)
    connection.commit()
    pages = [page for page in pages if page not in multipart]
    pages_file.write_text("".join(f"{page}\n" for page in pages))
    forms_file.write_text("".join(f"{url}\t{data}\n" for url, data in multipart.items()))
    print(f"Kept {len(seen)} of {len(rows)} requests, one per route; {len(pages)} pages and {len(multipart)} forms")


def _sqlmap_data(params: list[tuple[str, str, str]]) -> str:
    """A form's fields as urlencoded data: the values wapiti's crawl sent, and a placeholder for the CSRF token,
    which sqlmap replaces with a fresh one on every request."""
    return urlencode([(name, "x" if name == CSRF_FIELD else value) for kind, name, value in params if kind == "POST"])


def _trim_parameters(connection: sqlite3.Connection) -> None:
    """A parameter sent several times (a list of ticked filters) is attacked once, and the signs-of-harm tick
    boxes of the concern form not at all: 80 of the same boolean field would take a module's whole time."""
    connection.execute("DELETE FROM params WHERE name GLOB ?", (SKIPPED_PARAMETERS,))
    connection.execute(
        "DELETE FROM params WHERE rowid NOT IN (SELECT min(rowid) FROM params GROUP BY path_id, type, name)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["trim"]:
        trim(*map(Path, sys.argv[2:5]))
    else:
        from wapitiCore.attack.mod_csrf import mod_csrf
        from wapitiCore.main.wapiti import wapiti_main
        from wapitiCore.net import crawler

        crawler.wildcard_translate = wildcard_translate
        mod_csrf.TOKEN_FORM_STRINGS.append(CSRF_FIELD)
        sys.argv[0] = "wapiti"
        sys.exit(wapiti_main())
