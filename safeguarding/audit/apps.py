from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "safeguarding.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from django.urls import reverse

        from safeguarding.accounts.permissions import Capability, capabilities_of
        from safeguarding.core.navigation import NavItem, nav_register

        def audit_log(memberships):
            return reverse("audit_log") if Capability.READ_AUDIT in capabilities_of(memberships) else None

        nav_register(NavItem("Audit trail", 70, audit_log))
