from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        from referrals.navigation import navigation_register
        from referrals.refusal_targets import register_refusal_targets
        from referrals.selectors.who_viewed import ChildSubjects
        from safeguarding.audit import subjects

        register_refusal_targets()
        navigation_register()
        subjects.register(ChildSubjects())
