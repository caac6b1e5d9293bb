from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        from referrals.refusal_targets import register_refusal_targets

        register_refusal_targets()
