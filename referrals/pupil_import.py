"""Checking a pupil CSV file before anything is imported.

Every row is checked first; the import goes ahead only when the whole file is good, so a school never ends
up with half a roster. Each problem names its line, its column and the reason.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from referrals.models import RollStatus, SendStatus, Sex, YearGroup
from referrals.upn import normalise_upn, upn_problem

REQUIRED_COLUMNS = ("upn", "legal_first_name", "legal_last_name", "date_of_birth", "year_group")
OPTIONAL_COLUMNS = ("preferred_name", "sex", "send")
# The family columns: a file without one leaves what the roster has.
FAMILY_TEXT_COLUMNS = {
    "address": 1000,
    "previous_address": 1000,
    "home_language": 60,
    "communication_needs": 200,
    "ethnicity": 80,
    "religion": 80,
    "household": 2000,
    "gp": 200,
    "other_agencies": 2000,
}
CARERS_IN_FILE = 2
CARER_TEXT_COLUMNS = {"name": 150, "relationship": 60, "phone": 30, "email": 254, "address": 1000}
CARER_YES_NO_COLUMNS = {"parental_responsibility": False, "lives_with_child": True}
YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0"}
COLUMNS_HELP = """\
Columns (a header row first; names in any order and any case; extra columns are ignored):
  upn               required  13-character Unique Pupil Number, e.g. B123456789012
  legal_first_name  required
  legal_last_name   required
  date_of_birth     required  DD/MM/YYYY or YYYY-MM-DD
  year_group        required  N (nursery), R (reception) or 1 to 13; "Year 7", "Y7" and "Reception" also work
  preferred_name    optional  only if different from the legal first name
  sex               optional  F, M or U (not known); blank means not known
  send              optional  none, sen_support or ehc_plan; blank means none
  learning_disability  optional  yes or no; a column left out keeps what the roster has
Family columns, all optional; a column the file leaves out keeps what the roster has:
  address, previous_address, home_language, ethnicity, religion, gp, communication_needs
  household         other people in the household (a line each: name, relationship, age of a child)
  other_agencies    other agencies involved, with contacts
  interpreter_needed  yes or no
  carer1_name, carer1_relationship, carer1_parental_responsibility (yes/no), carer1_lives_with_child (yes/no),
  carer1_phone, carer1_email, carer1_address; the same for carer2. A row naming carers replaces the pupil's list.
Leaving columns, all optional:
  left_on           the date the pupil left (DD/MM/YYYY): marks them as left, and the DSL is asked to send their
                    child protection file on; blank keeps them as the roster has them
  destination       the school the pupil went to; left blank for a leaver, the DSL is asked to start the children
                    missing education procedure
  destination_urn   that school's URN, if known
The file must be UTF-8 text (in Excel: Save as "CSV UTF-8").
"""

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
YOUNGEST_AGE, OLDEST_AGE = 2, 25


@dataclass
class RowProblem:
    line: int
    column: str
    reason: str

    def __str__(self):
        return f"line {self.line}, {self.column}: {self.reason}"


@dataclass
class CheckedFile:
    rows: list[dict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class UnreadableFile(Exception):
    """The file as a whole cannot be read: empty, not UTF-8, or without the required columns."""


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnreadableFile(
            f"The file is not UTF-8 text (first unreadable character on line {line}). "
            'In Excel, save it as "CSV UTF-8" and try again.'
        ) from None


def parse_year_group(raw: str) -> str | None:
    text = raw.strip().lower()
    named = {"nursery": "N", "reception": "R", "rec": "R"}
    if text in named:
        return named[text]
    text = re.sub(r"^(year|yr|y)\s*", "", text).upper()
    return text if text in YearGroup.values else None


def parse_date(raw: str) -> date | None:
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(raw.strip(), date_format).date()
        except ValueError:
            continue
    return None


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _check_row(values: dict, line: int, seen_upns: dict[str, int]) -> tuple[dict, list[RowProblem]]:
    problems = []

    def problem(column, reason):
        problems.append(RowProblem(line, column, reason))

    row = {
        "legal_first_name": values.get("legal_first_name", "").strip(),
        "legal_last_name": values.get("legal_last_name", "").strip(),
        "preferred_name": values.get("preferred_name", "").strip(),
    }
    for column in ("legal_first_name", "legal_last_name"):
        if not row[column]:
            problem(column, "missing name")
        elif len(row[column]) > 100:
            problem(column, "longer than 100 characters")

    upn = normalise_upn(values.get("upn", ""))
    if not upn:
        problem("upn", "missing UPN")
    elif reason := upn_problem(upn):
        problem("upn", f"invalid UPN {upn}: it {reason}")
    elif upn in seen_upns:
        problem("upn", f"duplicate UPN {upn}, also on line {seen_upns[upn]}")
    else:
        seen_upns[upn] = line
    row["upn"] = upn

    raw_date = values.get("date_of_birth", "").strip()
    born = parse_date(raw_date)
    today = timezone.localdate()
    if born is None:
        problem("date_of_birth", f"impossible date of birth {raw_date!r}: use DD/MM/YYYY")
    elif born > today:
        problem("date_of_birth", f"impossible date of birth {raw_date}: it is in the future")
    elif not YOUNGEST_AGE <= _age_on(born, today) <= OLDEST_AGE:
        problem("date_of_birth", f"impossible date of birth {raw_date} for a pupil: age {_age_on(born, today)}")
    row["date_of_birth"] = born

    raw_year = values.get("year_group", "")
    row["year_group"] = parse_year_group(raw_year)
    if row["year_group"] is None:
        problem("year_group", f"unknown year group {raw_year.strip()!r}")

    sex = values.get("sex", "").strip().upper() or Sex.UNKNOWN
    if sex not in Sex.values:
        problem("sex", f"unknown value {sex!r}: use F, M or U")
    row["sex"] = sex
    send = values.get("send", "").strip().lower() or SendStatus.NONE
    if send not in SendStatus.values:
        problem("send", f"unknown value {send!r}: use none, sen_support or ehc_plan")
    row["send"] = send
    _check_family(values, row, problem)
    _check_leaving(values, row, problem, born=born)
    return row, problems


def _check_leaving(values: dict, row: dict, problem, *, born: date | None) -> None:
    """The optional leaving columns: a leaving date marks the pupil as left (and asks the DSL to send the file on);
    a blank one leaves the roster's roll status as it is."""
    raw = values.get("left_on", "").strip()
    if raw:
        left_on = parse_date(raw)
        if left_on is None:
            problem("left_on", f"impossible leaving date {raw!r}: use DD/MM/YYYY")
        elif left_on > timezone.localdate() + timedelta(days=366):
            problem("left_on", f"leaving date {raw} is more than a year away")
        elif born is not None and left_on <= born:
            problem("left_on", f"leaving date {raw} is before the date of birth")
        else:
            row["roll_status"], row["left_on"] = RollStatus.LEFT, left_on
    if "destination" in values:
        row["destination"] = values["destination"].strip()
        if len(row["destination"]) > 200:
            problem("destination", "longer than 200 characters")
    if "destination_urn" in values:
        row["destination_urn"] = values["destination_urn"].strip()
        if row["destination_urn"] and not re.fullmatch(r"\d{6,7}", row["destination_urn"]):
            problem("destination_urn", "a URN is six or seven digits")


def _yes_no(raw: str, *, default: bool) -> bool | None:
    text = raw.strip().lower()
    if not text:
        return default
    return True if text in YES else False if text in NO else None


def _check_family(values: dict, row: dict, problem) -> None:
    """The optional family columns the file has: text within its length, yes or no, and each carer named."""
    for column, limit in FAMILY_TEXT_COLUMNS.items():
        if column in values:
            row[column] = values[column].strip()
            if len(row[column]) > limit:
                problem(column, f"longer than {limit} characters")
    if "learning_disability" in values:
        row["learning_disability"] = _yes_no(values["learning_disability"], default=False)
        if row["learning_disability"] is None:
            problem("learning_disability", "use yes or no")
    if "interpreter_needed" in values:
        row["interpreter_needed"] = _yes_no(values["interpreter_needed"], default=False)
        if row["interpreter_needed"] is None:
            problem("interpreter_needed", "use yes or no")
    carer_columns = [f"carer{n}_{name}" for n in range(1, CARERS_IN_FILE + 1) for name in CARER_TEXT_COLUMNS]
    if not any(column in values for column in carer_columns):
        return
    row["carers"] = []
    for number in range(1, CARERS_IN_FILE + 1):
        prefix = f"carer{number}_"
        carer = {name: values.get(prefix + name, "").strip() for name in CARER_TEXT_COLUMNS}
        if not any(carer.values()):
            continue
        for name, limit in CARER_TEXT_COLUMNS.items():
            if len(carer[name]) > limit:
                problem(prefix + name, f"longer than {limit} characters")
        for name in ("name", "relationship"):
            if not carer[name]:
                problem(prefix + name, "missing: a carer needs a name and a relationship to the pupil")
        if carer["email"] and not EMAIL.fullmatch(carer["email"]):
            problem(prefix + "email", "not an email address")
        for name, default in CARER_YES_NO_COLUMNS.items():
            carer[name] = _yes_no(values.get(prefix + name, ""), default=default)
            if carer[name] is None:
                problem(prefix + name, "use yes or no")
        row["carers"].append(carer)


def check_pupil_file(data: bytes) -> CheckedFile:
    """Read and check every row. Raises UnreadableFile when the file as a whole cannot be used."""
    text = decode(data)
    if not text.strip():
        raise UnreadableFile("The file is empty.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    if missing:
        raise UnreadableFile(f"The header row lacks the column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.")
    reader.fieldnames = headers
    checked = CheckedFile()
    seen_upns: dict[str, int] = {}
    for values in reader:
        if not any((value or "").strip() for value in values.values() if isinstance(value, str)):
            continue
        row, problems = _check_row(
            {key: value or "" for key, value in values.items() if key}, reader.line_num, seen_upns
        )
        checked.rows.append(row)
        checked.problems.extend(problems)
    if not checked.rows and not checked.problems:
        raise UnreadableFile("The file has a header row but no pupils.")
    return checked
