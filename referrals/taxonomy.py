"""Loading the indicator taxonomy from fixtures/, by code: new entries are added, changed ones updated, and
entries the file no longer lists are retired (given a valid_to), never deleted."""

import json
from datetime import date, timedelta
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def taxonomy_load(apps=None) -> dict:
    """Bring the database in line with the fixture files; usable from a migration (pass `apps`)."""
    if apps is None:
        from django.apps import apps as installed

        apps = installed
    Category = apps.get_model("referrals", "IndicatorCategory")
    Indicator = apps.get_model("referrals", "Indicator")
    SeedSign = apps.get_model("referrals", "SeedSign")
    data = json.loads((FIXTURES / "indicator_taxonomy.json").read_text())
    valid_from = date.fromisoformat(data["valid_from"])
    listed = set()
    for category_data in data["categories"]:
        category, _ = Category.objects.update_or_create(
            code=category_data["code"],
            defaults={
                "label": category_data["label"],
                "guidance": category_data["guidance"],
                "order": category_data["order"],
                "valid_from": valid_from,
                "valid_to": None,
            },
        )
        for order, item in enumerate(category_data["indicators"], start=1):
            listed.add(item["code"])
            Indicator.objects.update_or_create(
                code=item["code"],
                defaults={
                    "category": category,
                    "label": item["label"],
                    "guidance": item["guidance"],
                    "kind": item["kind"],
                    "source": item["source"],
                    "order": order,
                    "valid_from": valid_from,
                    "valid_to": None,
                },
            )
    retired = Indicator.objects.exclude(code__in=listed).filter(valid_to__isnull=True)
    retired.update(valid_to=valid_from - timedelta(days=1))
    seed = json.loads((FIXTURES / "seed_signs.json").read_text())
    # An earlier migration loads the seed before the table had its list: only what the table has is set.
    has_list = any(field.name == "source_list" for field in SeedSign._meta.get_fields())
    for sign in seed["signs"]:
        SeedSign.objects.update_or_create(
            text=sign["sign"],
            defaults={
                "indicator": Indicator.objects.get(code=sign["indicator"]),
                **({"source_list": sign["list"]} if has_list else {}),
            },
        )
    return {"indicators": len(listed), "seed_signs": len(seed["signs"])}
