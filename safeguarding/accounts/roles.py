from django.db import models


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    DSL = "dsl", "DSL"
    SCHOOL_ADMIN = "school_admin", "School admin"
    TRUST_LEAD = "trust_lead", "Trust safeguarding lead"
    AUDITOR = "auditor", "Auditor"
    # Concerns about adults (KCSIE Part four): the case manager, who manages those about the headteacher, and the
    # person who acts on employment matters. None of them reads a child's file.
    HEADTEACHER = "headteacher", "Headteacher"
    CHAIR = "chair", "Chair of governors"
    HR = "hr", "HR"
    CHIEF_EXECUTIVE = "chief_executive", "Trust chief executive"
    # Retention reviews and the trust's audit trail; no child's file otherwise.
    DPO = "dpo", "Data protection officer"


# Everyone who can see or change more than their own concerns signs in with a second factor, whatever their school
# allows its staff, and is signed out after a shorter idle time.
SECOND_FACTOR_ROLES = frozenset(
    {
        Role.DEPUTY_DSL,
        Role.DSL,
        Role.SCHOOL_ADMIN,
        Role.TRUST_LEAD,
        Role.AUDITOR,
        Role.HEADTEACHER,
        Role.CHAIR,
        Role.HR,
        Role.CHIEF_EXECUTIVE,
        Role.DPO,
    }
)
# Roles held over a whole trust rather than one school; an auditor may hold either.
TRUST_ROLES = frozenset({Role.TRUST_LEAD, Role.AUDITOR, Role.CHIEF_EXECUTIVE, Role.DPO})
SCHOOL_ROLES = frozenset(
    {Role.STAFF, Role.DEPUTY_DSL, Role.DSL, Role.SCHOOL_ADMIN, Role.AUDITOR, Role.HEADTEACHER, Role.CHAIR, Role.HR}
)
# The DSL and deputies: the people who review concerns, refer, and keep children's files.
SAFEGUARDING_TEAM = (Role.DSL, Role.DEPUTY_DSL)
# The roles a DSL or trust lead may give someone with the role form; the DSL role moves by hand-over.
GRANTABLE_ROLES = (Role.STAFF, Role.DEPUTY_DSL, Role.SCHOOL_ADMIN)
# The order in which a person with several memberships sees their home page.
HOME_ORDER = (
    Role.DSL,
    Role.DEPUTY_DSL,
    Role.HEADTEACHER,
    Role.CHAIR,
    Role.CHIEF_EXECUTIVE,
    Role.TRUST_LEAD,
    Role.HR,
    Role.DPO,
    Role.SCHOOL_ADMIN,
    Role.AUDITOR,
    Role.STAFF,
)
# The roles that manage concerns about adults, each for the records routed to it (`AdultRecord.managed_by`).
CASE_MANAGER_ROLES = frozenset({Role.HEADTEACHER, Role.CHAIR, Role.CHIEF_EXECUTIVE})
