"""The demo trust, its schools and everyone who can sign in to it (DESIGN.md §8)."""

from datetime import time

from safeguarding.accounts.roles import Role

TRUST = "Northfield Learning Trust"

SCHOOLS = {
    "northfield": {
        "name": "Northfield Academy",
        "urn": "148203",
        "local_authority": "Northshire",
        "day_starts": time(8, 35),
        "day_ends": time(15, 10),
        "headteacher_name": "Dr Catherine Ashworth",
        "headteacher_email": "head@northfield.example",
        "headteacher_phone": "0113 496 0100",
        "front_door_name": "Northshire Children's Front Door (MASH)",
        "front_door_phone": "0113 496 0500",
        "front_door_out_of_hours_phone": "0113 496 0599",
        "front_door_email": "frontdoor@northshire.example",
        "years": ("7", "8", "9", "10", "11", "12", "13"),
    },
    "riverside": {
        "name": "Riverside Primary",
        "urn": "117455",
        "local_authority": "Northshire",
        "day_starts": time(8, 45),
        "day_ends": time(15, 15),
        "headteacher_name": "Mr Andrew Pike",
        "headteacher_email": "head@riverside.example",
        "headteacher_phone": "0113 496 0200",
        "front_door_name": "Northshire Children's Front Door (MASH)",
        "front_door_phone": "0113 496 0500",
        "front_door_out_of_hours_phone": "0113 496 0599",
        "front_door_email": "frontdoor@northshire.example",
        "years": ("R", "1", "2", "3", "4", "5", "6"),
    },
}

# email, full name, job title, school key (None for the trust), role, can export
ACCOUNTS = (
    ("teacher@northfield.example", "Amy Clarke", "Year 9 form tutor", "northfield", Role.STAFF, False),
    ("teacher2@northfield.example", "Daniel Okafor", "Teaching assistant", "northfield", Role.STAFF, False),
    ("teacher3@northfield.example", "Priya Shah", "Attendance officer", "northfield", Role.STAFF, False),
    ("dsl@northfield.example", "Helen Marsh", "Designated Safeguarding Lead", "northfield", Role.DSL, False),
    ("deputy@northfield.example", "Tom Reid", "Head of Year 10", "northfield", Role.DEPUTY_DSL, False),
    ("admin@northfield.example", "Sarah Booth", "School business manager", "northfield", Role.SCHOOL_ADMIN, True),
    ("office@northfield.example", "Gary Lewis", "Office manager", "northfield", Role.SCHOOL_ADMIN, False),
    ("teacher@riverside.example", "Emma Hughes", "Year 4 teacher", "riverside", Role.STAFF, False),
    ("dsl@riverside.example", "Mark Bennett", "Deputy headteacher and DSL", "riverside", Role.DSL, False),
    ("deputy@riverside.example", "Lucy Price", "SENCo", "riverside", Role.DEPUTY_DSL, False),
    ("office@riverside.example", "Joanne Kelly", "School administrator", "riverside", Role.SCHOOL_ADMIN, False),
    ("head@northfield.example", "Catherine Ashworth", "Headteacher", "northfield", Role.HEADTEACHER, False),
    ("chair@northfield.example", "Margaret Oduya", "Chair of governors", "northfield", Role.CHAIR, False),
    ("hr@northfield.example", "Nadia Rahman", "HR manager", "northfield", Role.HR, False),
    ("head@riverside.example", "Andrew Pike", "Headteacher", "riverside", Role.HEADTEACHER, False),
    ("chair@riverside.example", "Peter Walsh", "Chair of governors", "riverside", Role.CHAIR, False),
    ("trustlead@northfield.example", "Rachel Adeyemi", "Trust safeguarding lead", None, Role.TRUST_LEAD, False),
    ("auditor@northfield.example", "Ian Fletcher", "Internal auditor", None, Role.AUDITOR, False),
    ("dpo@northfield.example", "Grace Mensah", "Data protection officer", None, Role.DPO, False),
)

# When the safeguarding team last trained, in months before the day the demo is seeded: Riverside's DSL is overdue
# (more than two years), so the trust lead's home has something to flag.
TRAINED_MONTHS_AGO = {
    "dsl@northfield.example": 14,
    "deputy@northfield.example": 22,
    "dsl@riverside.example": 26,
    "deputy@riverside.example": 8,
}

PUPILS_PER_SCHOOL = 120
