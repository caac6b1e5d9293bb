from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "safeguarding.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from safeguarding.accounts.navigation import navigation_register
        from safeguarding.audit.targets import Target, register

        from .models import Membership, School

        navigation_register()

        def school(value):
            found = School.objects.filter(uuid=value).first()
            return Target(school=found) if found else None

        def membership(value):
            found = Membership.objects.filter(uuid=value).select_related("school").first()
            return Target(school=found.school) if found else None

        register("school_uuid", school)
        register("membership_uuid", membership)
