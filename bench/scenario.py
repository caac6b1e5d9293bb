"""What `make bench` asks for, and as whom: shared by the HTTP timing and the query counts. Standard library only."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
FLOOR = "/schools/"
QUEUE = "/queue/"


def pages(target: dict) -> list[tuple[str, str, str, str, dict | None]]:
    """(name, who, method, path, form) of each page measured, in the order they are asked for in a round.

    The floor page is the trust lead's list of their schools: signed in, one indexed query, the base template."""
    child = target["heavy_child"]
    return [
        ("floor", "floor", "GET", FLOOR, None),
        ("queue", "dsl", "GET", QUEUE, None),
        ("child file (200 concerns)", "dsl", "GET", f"/children/{child['uuid']}/", None),
        ("audit, filtered by child", "dsl", "POST", "/audit/", {"child_upn": child["upn"]}),
        ("who viewed", "dsl", "GET", f"/children/{child['uuid']}/access/", None),
        ("review page", "dsl", "GET", f"/queue/{target['review_concern']}/", None),
        ("search", "dsl", "POST", "/children/", {"text": child["last_name"]}),
        ("DSL home", "dsl", "GET", "/", None),
        ("concern form", "teacher", "GET", "/concerns/new/", None),
        ("trust oversight (home)", "floor", "GET", "/", None),
        ("trust report (last school year)", "floor", "GET", target["trust_report"], None),
    ]


def submit_form(target: dict, key: str) -> dict:
    """The concern form as a teacher sends it, the child already chosen: a wellbeing sign, routine, so that no
    pattern alert fires for a child with no other recent concern."""
    observed = datetime.now(LONDON) - timedelta(hours=1)
    return {
        "school": target["school"],
        "submission_key": key,
        "observed_at": observed.strftime("%Y-%m-%dT%H:%M"),
        "location": "Classroom",
        "account": "Absent again on Monday; calls home not answered. Said they had been looking after a sibling.",
        "child_words": "I had to stay with my brother",
        "action_taken": "Passed on to the safeguarding team.",
        "urgency": "routine",
        "ind_WB-ABSENT": "professional",
    }


def submission_key(page: str) -> str:
    return page.split('name="submission_key" value="')[1].split('"')[0]
