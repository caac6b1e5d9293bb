from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0011_referral_follow_up_notice"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="concern",
            index=models.Index(
                models.F("school"),
                models.Case(
                    models.When(then=models.Value(0), urgency="immediate"),
                    models.When(then=models.Value(1), urgency="today"),
                    default=models.Value(2),
                    output_field=models.IntegerField(),
                ),
                models.F("recorded_at"),
                models.F("id"),
                condition=models.Q(("status", "closed"), _negated=True),
                name="concern_open_queue",
            ),
        ),
    ]
