from django.apps import AppConfig


class TrailConfig(AppConfig):
    """The audit trail as people read it: the trail page, unusual-access alerts and the daily chain head email.

    It sits above both accounts (who may read which school's trail) and the audit layer (the events themselves),
    so that neither of those two needs the other's reading side.
    """

    name = "safeguarding.trail"
    label = "trail"
    verbose_name = "Audit trail pages"

    def ready(self):
        from django.urls import reverse

        from safeguarding.accounts.permissions import Capability, capabilities_of
        from safeguarding.accounts.roles import Role
        from safeguarding.core.navigation import HomePanel, NavItem, nav_register, panel_register
        from safeguarding.trail.selectors import audit_alerts, audit_schools

        def audit_log(memberships):
            return reverse("audit_log") if Capability.READ_AUDIT in capabilities_of(memberships) else None

        def recent_alerts(request, main) -> dict:
            schools = list(audit_schools(user=request.user))
            return {"audit_alerts": audit_alerts(user=request.user, limit=10, schools=schools)}

        nav_register(NavItem("Audit trail", 70, audit_log))
        panel_register(HomePanel("audit/_home_alerts.html", -10, lambda main: main.role == Role.AUDITOR, recent_alerts))
