from django.db import migrations


def load(apps, schema_editor):
    from referrals.taxonomy import taxonomy_load

    taxonomy_load(apps)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0002_concerns_and_indicators")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
