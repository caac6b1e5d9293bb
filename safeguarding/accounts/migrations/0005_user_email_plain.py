"""Every stored address in its one plain spelling (safeguarding/accounts/addresses.py), held by the database.

Addresses written before are rewritten to that spelling. One that has none, or whose spelling another account
already holds, stops the migration: two accounts must never be merged, nor one renamed, without a person deciding.
"""

import re
import unicodedata

from django.db import migrations, models


def _fold(address):
    return unicodedata.normalize("NFKC", address).casefold().strip()


def normalise_stored_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set(User.objects.values_list("email", flat=True))
    for user in User.objects.order_by("pk"):
        plain = _fold(user.email)
        if not re.fullmatch(r"[!-~]+", plain) or _fold(plain) != plain:
            raise RuntimeError(f"Account {user.uuid} has an email address with no plain spelling: correct it first.")
        if plain == user.email:
            continue
        if plain in taken:
            raise RuntimeError(f"Account {user.uuid} has an email address another account holds: resolve it first.")
        taken.discard(user.email)
        taken.add(plain)
        user.email = plain
        user.save(update_fields=["email"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_session_device"),
    ]

    operations = [
        migrations.RunPython(normalise_stored_addresses, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(condition=models.Q(email__regex="^[!-~]+$"), name="user_email_plain"),
        ),
    ]
