"""The retention schedule covers every model, and the published one is the code's (REQUIREMENTS.md R9.5)."""

from pathlib import Path

from django.apps import apps
from django.conf import settings

from safeguarding.core.retention import SCHEDULE, schedule_markdown


def test_every_model_of_the_site_has_a_retention_rule():
    labels = {model._meta.label for model in apps.get_models()}

    assert labels - set(SCHEDULE) == set(), "give each of these a row in safeguarding/core/retention.py"
    assert set(SCHEDULE) - labels == set(), "the schedule names a model that no longer exists"


def test_every_rule_says_why_and_on_what_basis():
    for label, rule in SCHEDULE.items():
        assert rule.period and rule.reason and rule.basis, label


def test_the_published_schedule_is_the_codes():
    document = (Path(settings.BASE_DIR) / "docs" / "data-protection.md").read_text()
    published = document.split("<!-- retention-schedule -->")[1]

    assert published.strip() == schedule_markdown(), (
        "regenerate it: DJANGO_ENV=development .venv/bin/python manage.py shell -v 0 -c "
        "'from safeguarding.core.retention import schedule_markdown; print(schedule_markdown())'"
    )
