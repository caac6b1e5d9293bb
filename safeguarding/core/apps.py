from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safeguarding.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self):
        from django.urls import reverse

        from safeguarding.core.middleware import install_request_id_on_log_records
        from safeguarding.core.navigation import NavItem, nav_register

        install_request_id_on_log_records()
        nav_register(NavItem("Home", 0, lambda memberships: reverse("home")))
