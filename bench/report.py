"""The figures of one `make bench` run against their goals: bench/results.json and the table in bench/README.md."""

import json
from pathlib import Path

BENCH = Path(__file__).resolve().parent
README = BENCH / "README.md"
RESULTS = BENCH / "results.json"
BEGIN, END = "<!-- results: written by bench/run.py -->", "<!-- /results -->"
MAIN_PAGES = (
    "queue",
    "child file (200 concerns)",
    "concern form",
    "concern submit",
    "audit, filtered by child",
    "who viewed",
    "review page",
    "search",
    "DSL home",
)
# Timed and counted beside the main pages, with no time goal: the trust lead's home and the trust-wide report of a
# school year, which counts a year of the trust's concerns and the year before in aggregate queries.
REPORTED_PAGES = ("trust oversight (home)", "trust report (last school year)")
PAGE_RATIO_GOAL = 3.0


def _mark(met: bool) -> str:
    return "met" if met else "**missed**"


def goals(results: dict) -> list[dict]:
    """Each goal of the issue: the figure, the goal, and whether this run met it."""
    pages, queries = results["pages"], results["queries"]
    floor = pages["floor"]["median_ms"]
    rows = []
    for name in MAIN_PAGES:
        ratio = pages[name]["p95_ms"] / floor
        rows.append(
            {"goal": f"{name}: p95 within {PAGE_RATIO_GOAL:g}× the floor's median", "figure": f"{ratio:.1f}×",
             "met": ratio <= PAGE_RATIO_GOAL}
        )  # fmt: skip
    half = results.get("pages_half", {})
    for name in (name for name in ("floor", *MAIN_PAGES) if name in half):
        ratio = pages[name]["median_ms"] / half[name]["median_ms"]
        rows.append(
            {"goal": f"{name}: median at the full trust within 1.25× its median at half", "figure": f"{ratio:.2f}×",
             "met": ratio <= 1.25}
        )  # fmt: skip
    for name in ("floor", *MAIN_PAGES, *(p for p in REPORTED_PAGES if p in queries["full"])):
        if name not in queries["small"] or name not in queries["full"]:
            continue
        small, full = queries["small"][name], queries["full"][name]
        rows.append(
            {"goal": f"{name}: the same queries at 1,000 and 200,000 concerns", "figure": f"{small} / {full}",
             "met": small == full}
        )  # fmt: skip
    audit, export, load = results["audit"], results["export"], results["load"]
    rows += [
        {"goal": "recording one realistic audit event in at most 0.5 ms (mean)",
         "figure": f"{audit['record']['mean_ms']} ms", "met": audit["record"]["mean_ms"] <= 0.5},
        {"goal": "sealing at least 80,000 events a second", "figure": f"{audit['seal']['per_second']:,}/s",
         "met": audit["seal"]["per_second"] >= 80_000},
        {"goal": "verifying at least 50,000 events a second", "figure": f"{audit['verify']['per_second']:,}/s",
         "met": audit["verify"]["per_second"] >= 50_000},
        {"goal": "CSV export at least 70% of a raw COPY's rows a second",
         "figure": f"{export['export']['rows_per_second'] / export['raw_copy']['rows_per_second']:.0%}",
         "met": export["export"]["rows_per_second"] >= 0.7 * export["raw_copy"]["rows_per_second"]},
        {"goal": "CSV export under 64 MB more memory", "figure": f"{export['memory']['max_rss_growth_mb']} MB",
         "met": export["memory"]["max_rss_growth_mb"] < 64},
        {"goal": "queue under load: at least half the floor's requests a second",
         "figure": f"{load['queue']['requests_per_second']} / {load['floor']['requests_per_second']}",
         "met": load["queue"]["requests_per_second"] >= load["floor"]["requests_per_second"] / 2},
        {"goal": "queue under load: no errors", "figure": str(load["queue"]["errors"]),
         "met": load["queue"]["errors"] == 0},
    ]  # fmt: skip
    return rows


def markdown(results: dict) -> str:
    pages, queries = results["pages"], results["queries"]
    floor = pages["floor"]["median_ms"]
    pg, machine = results["postgresql"], results["machine"]
    lines = [
        f"Run of {results['run_at']}: PostgreSQL {pg['server_version']} (fsync {pg['fsync']}, synchronous_commit "
        f"{pg['synchronous_commit']}), gunicorn with 2 workers, {machine['cpus']} CPUs, load average "
        f"{machine['load_average_at_start'][0]} when it started and {machine['load_average_at_end'][0]} when it "
        f"ended. `seed_scale` took {results['seed']['seconds']} s; the whole run {results['seconds']} s.",
        "",
        "| Page | Median ms | p95 ms | Median ÷ floor | p95 ÷ floor median | Queries at 1,000 / 200,000 concerns |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ("floor", *MAIN_PAGES, *(p for p in REPORTED_PAGES if p in pages)):
        page = pages[name]
        counted = f"{queries['small'].get(name, '–')} / {queries['full'].get(name, '–')}"
        lines.append(
            f"| {name} | {page['median_ms']} | {page['p95_ms']} | {page['median_ms'] / floor:.1f} | "
            f"{page['p95_ms'] / floor:.1f} | {counted} |"
        )
    if half := results.get("pages_half"):
        lines += [
            "",
            "The same pages on half the trust (the same 20 schools; half the children, concerns, referrals, events):",
            "",
            "| Page | Median ms, half | Median ms, full | Full ÷ half |",
            "|---|---:|---:|---:|",
        ]
        for name in (name for name in ("floor", *MAIN_PAGES) if name in half):
            full_median, half_median = pages[name]["median_ms"], half[name]["median_ms"]
            lines.append(f"| {name} | {half_median} | {full_median} | {full_median / half_median:.2f} |")
    lines += [
        "",
        "Where a page's time goes, in-process without HTTP (median of 30): the whole request, and its SQL statements.",
        "",
        "| Page | In-process ms | SQL ms | SQL share |",
        "|---|---:|---:|---:|",
    ]
    for name, split in results["split"].items():
        share = split["sql_ms"] / split["total_ms"] if split["total_ms"] else 0
        lines.append(f"| {name} | {split['total_ms']} | {split['sql_ms']} | {share:.0%} |")
    audit, export, load = results["audit"], results["export"], results["load"]
    lines += [
        "",
        "| Measure | Figure |",
        "|---|---:|",
        f"| record one audit event: mean / median / p95 | {audit['record']['mean_ms']} / "
        f"{audit['record']['median_ms']} / {audit['record']['p95_ms']} ms |",
        f"| seal {audit['seal']['events']:,} events | {audit['seal']['per_second']:,} events/s |",
        f"| verify the whole chain, {audit['verify']['events']:,} events "
        f"| {audit['verify']['per_second']:,} events/s |",
        *(
            [f"| verify the whole chain in 2 jobs | {audit['verify_two_jobs']['per_second']:,} events/s |"]
            if "verify_two_jobs" in audit
            else []
        ),
        *(
            [f"| the same INSERT, bare (no Python around it) | {audit['record']['bare_insert']['mean_ms']} ms mean |"]
            if "bare_insert" in audit["record"]
            else []
        ),
        f"| CSV export of all {export['rows']:,} referrals, from the view's first step | "
        f"{export['export']['rows_per_second']:,} rows/s |",
        f"| raw COPY of the same rows | {export['raw_copy']['rows_per_second']:,} rows/s |",
        *(
            [
                f"| XLSX export of the same rows | {export['xlsx']['rows_per_second']:,} rows/s |",
                f"| background CSV export just over its threshold, begun and built | "
                f"{export['background']['rows_per_second']:,} rows/s |",
            ]
            if "xlsx" in export
            else []
        ),
        f"| CSV export's own memory: resident growth / Python peak | {export['memory']['max_rss_growth_mb']} / "
        f"{export['memory']['python_peak_mb']} MB |",
    ]
    for name in ("floor", "queue"):
        run = load[name]
        lines.append(
            f"| {name} under load ({run['clients']} clients, {run['seconds']} s): requests/s, p50 / p95 / p99, errors "
            f"| {run['requests_per_second']}, {run.get('median_ms')} / {run.get('p95_ms')} / {run.get('p99_ms')} ms, "
            f"{run['errors']} |"
        )
    lines += ["", "| Goal | This run | |", "|---|---:|---|"]
    lines += [f"| {row['goal']} | {row['figure']} | {_mark(row['met'])} |" for row in goals(results)]
    return "\n".join(lines)


def report_write(results: dict) -> str:
    """Write results.json and replace the table in README.md; returns the table."""
    results = {**results, "goals": goals(results)}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    text = README.read_text() if README.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")
    return table
