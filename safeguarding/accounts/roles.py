from django.db import models


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    DSL = "dsl", "DSL"
    SCHOOL_ADMIN = "school_admin", "School admin"
    TRUST_LEAD = "trust_lead", "Trust safeguarding lead"
    AUDITOR = "auditor", "Auditor"


# Everyone who can see or change more than their own concerns signs in with a second factor, whatever their school
# allows its staff, and is signed out after a shorter idle time.
SECOND_FACTOR_ROLES = frozenset({Role.DEPUTY_DSL, Role.DSL, Role.SCHOOL_ADMIN, Role.TRUST_LEAD, Role.AUDITOR})
# Roles held over a whole trust rather than one school; an auditor may hold either.
TRUST_ROLES = frozenset({Role.TRUST_LEAD, Role.AUDITOR})
SCHOOL_ROLES = frozenset({Role.STAFF, Role.DEPUTY_DSL, Role.DSL, Role.SCHOOL_ADMIN, Role.AUDITOR})
# The DSL and deputies: the people who review concerns, refer, and keep children's files.
SAFEGUARDING_TEAM = (Role.DSL, Role.DEPUTY_DSL)
# The roles a DSL or trust lead may give someone with the role form; the DSL role moves by hand-over.
GRANTABLE_ROLES = (Role.STAFF, Role.DEPUTY_DSL, Role.SCHOOL_ADMIN)
# The order in which a person with several memberships sees their home page.
HOME_ORDER = (Role.DSL, Role.DEPUTY_DSL, Role.TRUST_LEAD, Role.SCHOOL_ADMIN, Role.AUDITOR, Role.STAFF)
