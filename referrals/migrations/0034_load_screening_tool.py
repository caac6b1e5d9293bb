from django.db import migrations


def screening_tool_load(apps, schema_editor):
    """Safeguard's own exploitation screening tool, version 1 (fixtures/screening/)."""
    from referrals.screening_tools import TOOLS
    from referrals.services.screening import tool_load

    tool_load((TOOLS / "safeguard-exploitation.yaml").read_text(), apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0033_screening"),
    ]

    operations = [migrations.RunPython(screening_tool_load, migrations.RunPython.noop)]
