"""The summary printed at the end of `make scan`, read from wapiti's JSON report and sqlmap's log.

scripts/scan_summary.py var/scan --started EPOCH --signed-in-after-wapiti yes --signed-in-after-sqlmap yes
"""

import argparse
import csv
import json
import re
import time
from pathlib import Path

TESTED = re.compile(r"testing for SQL injection on (.+?) parameter '([^']+)'")
# sqlmap says a parameter "appears to be" injectable before it checks; only what it then identifies counts.
CANDIDATE = re.compile(r"parameter '[^']+' appears to be '[^']+' injectable")
REJECTED = "false positive or unexploitable injection point detected"
IDENTIFIED = re.compile(r"^Parameter: (.+) \((.+)\)$")
TARGET = re.compile(r"^(?:GET|POST) (http\S+)")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The pages of the demo site anyone may open without signing in.
PUBLIC = re.compile(r"/(accounts/(login|password-reset|reset)|healthz|static/|admin/login)")


def wapiti_lines(report: Path) -> list[str]:
    if not report.exists():
        return ["  no JSON report: wapiti did not finish (see var/scan/wapiti.log)"]
    data = json.loads(report.read_text())
    lines = []
    for section in ("vulnerabilities", "anomalies", "additionals"):
        found = {name: len(items) for name, items in data.get(section, {}).items() if items}
        counts = ", ".join(f"{name}: {count}" for name, count in sorted(found.items())) or "none"
        lines.append(f"  {section}: {counts}")
    return lines


def sqlmap_lines(sqlmap_dir: Path) -> list[str]:
    logs = sorted(sqlmap_dir.glob("*.log"))
    if not logs:
        return ["  sqlmap did not run"]
    tested, injectable, candidates, rejected = set(), set(), 0, 0
    for log in logs:
        url = ""
        for line in log.read_text(errors="replace").splitlines():
            if match := TARGET.match(line):
                url = match.group(1)
            elif match := TESTED.search(line):
                tested.add((UUID.sub("{uuid}", url.split("?")[0]), match.group(1), match.group(2)))
            elif match := IDENTIFIED.match(line):
                injectable.add((url, match.group(2), match.group(1)))
            candidates += bool(CANDIDATE.search(line))
            rejected += REJECTED in line
    for path in sqlmap_dir.rglob("results*.csv"):
        with path.open() as file:
            rows = [row for row in csv.DictReader(file) if "false positive" not in row["Note(s)"]]
        injectable.update((row["Target URL"], row["Place"], row["Parameter"]) for row in rows)
    behind_sign_in = {entry for entry in tested if not PUBLIC.search(entry[0])}
    routes = {path for path, _, _ in tested}
    found = "; ".join(f"{place} {name} at {url}" for url, place, name in sorted(injectable)) or "none"
    return [
        f"  tested {len(tested)} parameters on {len(routes)} routes ({len(behind_sign_in)} of them behind the sign-in)",
        f"  injectable parameters: {found}",
        f"  (candidates sqlmap checked and rejected as false positives: {rejected} of {candidates})",
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scan_dir", type=Path)
    parser.add_argument("--started", type=float, required=True)
    parser.add_argument("--signed-in-after-wapiti", required=True)
    parser.add_argument("--signed-in-after-sqlmap", required=True)
    args = parser.parse_args()
    seconds = int(time.time() - args.started)
    scan = args.scan_dir
    print(f"\nScan finished in {seconds // 60}m {seconds % 60:02d}s.")
    html = ", ".join(f"var/scan/wapiti/{page.name}" for page in sorted((scan / "wapiti").glob("*.html")))
    print(f"wapiti (var/scan/wapiti/report.json, {html or 'no HTML report'}; log var/scan/wapiti.log):")
    print("\n".join(wapiti_lines(scan / "wapiti" / "report.json")))
    print("sqlmap (var/scan/sqlmap/: a log and an output folder for each run):")
    print("\n".join(sqlmap_lines(scan / "sqlmap")))
    print(
        f"The DSL's scan session was still signed in after wapiti: {args.signed_in_after_wapiti}; "
        f"after sqlmap: {args.signed_in_after_sqlmap}."
    )


if __name__ == "__main__":
    main()
