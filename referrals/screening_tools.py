"""Exploitation screening tools as data (REQUIREMENTS.md §8): a tool is a YAML file of items, bands and floors, read
and checked here, and stored as `tool@version` with every screening done with it.

A file is refused whole, with the line and the reason of each problem: an item of a kind that is not one of the four,
a score that no band covers, a floor that names a band the file does not define, a key the format does not know.
The four floors of R8.3 must all be present and as strong as R8.3: a partnership's file can set their bands and a
higher age, not leave them out or weaken them.
See docs/screening.md for the format.
"""

from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from referrals.context_values import ContextKind

TOOLS = Path(__file__).resolve().parent.parent / "fixtures" / "screening"
DEFAULT_TOOL = "safeguard-exploitation"
KINDS = ("vulnerability", "risk_indicator", "sign_of_harm", "disclosure")
KIND_LABELS = {
    "vulnerability": "Vulnerabilities",
    "risk_indicator": "Risk indicators",
    "sign_of_harm": "Signs of harm",
    "disclosure": "Disclosure",
}
AGENCIES = {"social_care": "children's social care", "police": "the police"}


class ToolFileInvalid(ValueError):
    """A tool file that cannot be used, with every problem found, each as (line, reason)."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__("\n".join(f"line {line}: {reason}" for line, reason in problems))


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    low: int
    high: int | None  # None: every score from `low` up
    pathway: str

    def covers(self, score: int) -> bool:
        return score >= self.low and (self.high is None or score <= self.high)


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    kind: str
    points: int
    window_days: int | None  # None: any time in the child's file
    signs: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()  # kinds of linked people, vehicles, places and accounts that suggest it
    shared_only: bool = False  # only entities also linked to another child count
    help: str = ""

    @property
    def window_words(self) -> str:
        """The item's window as a DSL would say it."""
        if self.window_days is None:
            return "at any time"
        for days, words in ((365, "the last year"), (730, "the last two years"), (183, "the last six months")):
            if abs(self.window_days - days) <= 3:
                return f"over {words}"
        if self.window_days % 7 == 0 and self.window_days <= 91:
            return f"over the last {self.window_days // 7} weeks"
        return f"over the last {self.window_days} days"


@dataclass(frozen=True)
class Floors:
    disclosure_band: str
    refer: tuple[str, ...]
    under_age: int
    under_age_band: str
    under_age_harm_band: str | None
    learning_disability_band: str
    significant_harm_band: str
    significant_harm_pathway: str


@dataclass(frozen=True)
class Tool:
    tool_id: str
    version: int
    title: str
    about: str
    licence: str
    licence_required: bool
    review_days: int
    bands: tuple[Band, ...]
    items: tuple[Item, ...]
    floors: Floors

    @property
    def name(self) -> str:
        return f"{self.tool_id}@{self.version}"

    def band(self, key: str) -> Band:
        return next(band for band in self.bands if band.key == key)

    def rank(self, key: str) -> int:
        return [band.key for band in self.bands].index(key)

    def band_for(self, score: int) -> Band:
        return next(band for band in self.bands if band.covers(score))

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Tool":
        return cls(
            **{
                **data,
                "bands": tuple(Band(**band) for band in data["bands"]),
                "items": tuple(
                    Item(**{**item, "signs": tuple(item["signs"]), "entities": tuple(item["entities"])})
                    for item in data["items"]
                ),
                "floors": Floors(**{**data["floors"], "refer": tuple(data["floors"]["refer"])}),
            }
        )


def _lines(node, path=()) -> dict:
    """The line (from 1) of every mapping key and list entry of a YAML node tree, by its path from the top."""
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[(*path, key.value)] = key.start_mark.line + 1
            lines.update({k: v for k, v in _lines(value, (*path, key.value)).items() if k != (*path, key.value)})
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            lines.update(_lines(value, (*path, index)))
    return lines


class _Checker:
    def __init__(self, lines: dict):
        self.lines = lines
        self.problems: list[tuple[int, str]] = []

    def line(self, path) -> int:
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path, reason: str) -> None:
        self.problems.append((self.line(path), reason))

    def mapping(self, value, path, *, required: tuple, optional: tuple = ()) -> dict | None:
        if not isinstance(value, dict):
            self.problem(path, f"{_where(path)} should be a set of “key: value” lines.")
            return None
        for key in required:
            if key not in value:
                self.problem(path, f"{_where(path)} has no “{key}”.")
        for key in value:
            if key not in required and key not in optional:
                known = ", ".join(required + optional)
                self.problem((*path, key), f"“{key}” is not a key of {_where(path)} (it may have: {known}).")
        return value

    def text(self, value, path, *, blank=False, longest=300) -> str:
        if isinstance(value, str) and (blank or value.strip()):
            text = " ".join(value.split()) if "\n" not in value.strip() else value.strip()
            if len(text) > longest:
                self.problem(path, f"{_where(path)} is {len(text)} characters long; keep it to {longest}.")
            return text
        if value is None and blank:
            return ""
        self.problem(path, f"{_where(path)} should be some text.")
        return ""

    def whole(self, value, path, *, least=0, optional=False) -> int | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            self.problem(path, f"{_where(path)} should be a whole number of at least {least}.")
            return None
        return value

    def key(self, value, path) -> str:
        text = self.text(value, path, longest=60)
        if text and not all(part.isalnum() for part in text.replace("-", "_").split("_")):
            self.problem(path, f"“{text}” should be letters, digits, hyphens and underscores only.")
        return text


def _where(path) -> str:
    named = [str(part) for part in path if not isinstance(part, int)]
    if not named:
        return "the file"
    if path and isinstance(path[-1], int):
        return f"entry {path[-1] + 1} of “{named[-1]}”"
    return f"“{'.'.join(named)}”"


def tool_parse(text: str, *, known_signs: set[str] | None = None) -> Tool:
    """The tool a file describes, or ToolFileInvalid with each problem's line and reason. `known_signs`, when
    given, are the indicator codes an item's signs must come from."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ToolFileInvalid([((mark.line + 1) if mark else 1, f"not readable as YAML: {error.problem}")]) from None
    check = _Checker(_lines(node) if node is not None else {})
    top = check.mapping(
        data,
        (),
        required=("tool", "version", "title", "about", "bands", "floors", "items"),
        optional=("licence", "licence_required", "review_days"),
    )
    if top is None:
        raise ToolFileInvalid(check.problems)
    tool_id = check.key(top.get("tool"), ("tool",))
    version = check.whole(top.get("version"), ("version",), least=1)
    title = check.text(top.get("title"), ("title",), longest=200)
    about = check.text(top.get("about"), ("about",), longest=5000)
    licence = check.text(top.get("licence", ""), ("licence",), blank=True)
    bands = _bands(check, top.get("bands"))
    floors = _floors(check, top.get("floors"), [band.key for band in bands])
    items = _items(check, top.get("items"), known_signs)
    review_days = check.whole(top.get("review_days", 90), ("review_days",), least=1)
    licence_required = top.get("licence_required", False)
    if not isinstance(licence_required, bool):
        check.problem(("licence_required",), "“licence_required” should be true or false.")
    if check.problems:
        raise ToolFileInvalid(sorted(check.problems))
    return Tool(
        tool_id=tool_id,
        version=version,
        title=title,
        about=about,
        licence=licence,
        licence_required=licence_required,
        review_days=review_days,
        bands=tuple(bands),
        items=tuple(items),
        floors=floors,
    )


def _bands(check: _Checker, value) -> list[Band]:
    if not isinstance(value, list) or not value:
        check.problem(("bands",), "“bands” should list at least two bands, lowest first.")
        return []
    bands = []
    for index, entry in enumerate(value):
        path = ("bands", index)
        entry = check.mapping(entry, path, required=("key", "label", "from", "pathway"), optional=("to",))
        if entry is None:
            continue
        band = Band(
            key=check.key(entry.get("key"), (*path, "key")),
            label=check.text(entry.get("label"), (*path, "label"), longest=200),
            low=check.whole(entry.get("from"), (*path, "from")),
            high=check.whole(entry.get("to"), (*path, "to"), optional=True),
            pathway=check.text(entry.get("pathway"), (*path, "pathway"), longest=2000),
        )
        if band.key in {earlier.key for earlier in bands}:
            check.problem((*path, "key"), f"the band “{band.key}” is defined twice.")
        bands.append(band)
    if len(bands) < 2:
        check.problem(("bands",), "“bands” should list at least two bands, lowest first.")
    # Every score from 0 up falls in exactly one band: a gap is a missing band.
    expected = 0
    for index, band in enumerate(bands):
        if band.low is None:
            return bands
        path = ("bands", index)
        if band.low > expected:
            check.problem((*path, "from"), f"no band covers scores {expected} to {band.low - 1}: a band is missing.")
        elif band.low < expected:
            check.problem((*path, "from"), f"the band “{band.key}” starts at {band.low}, inside the band before it.")
        last = index == len(bands) - 1
        if band.high is None and not last:
            check.problem(path, f"only the highest band may have no “to”; “{band.key}” is not the highest.")
            return bands
        if band.high is not None and band.high < band.low:
            check.problem((*path, "to"), f"the band “{band.key}” ends before it starts.")
        if last and band.high is not None:
            check.problem((*path, "to"), f"no band covers scores above {band.high}: a band is missing.")
        expected = (band.high or 0) + 1
    return bands


def _band_named(check: _Checker, value, path, band_keys: set[str]) -> str:
    key = check.text(value, path)
    if key and band_keys and key not in band_keys:
        check.problem(path, f"the floor names the band “{key}”, which the file does not define: a band is missing.")
    return key


def _floors(check: _Checker, value, order: list[str]) -> Floors | None:
    """The four floors of R8.3, each as strong as the requirement: a disclosure in the highest band; a child under
    13 (or a higher age a partnership sets), a child with a learning disability and significant harm never in the
    lowest."""
    band_keys = set(order)
    floors = check.mapping(
        value, ("floors",), required=("disclosure", "under_age", "learning_disability", "significant_harm")
    )
    if floors is None:
        return None
    disclosure = check.mapping(floors.get("disclosure"), ("floors", "disclosure"), required=("band", "refer")) or {}
    refer = disclosure.get("refer") or []
    if (
        not isinstance(refer, list)
        or not all(isinstance(agency, str) for agency in refer)
        or set(refer) != set(AGENCIES)
    ):
        check.problem(
            ("floors", "disclosure", "refer"),
            "a disclosure prompts a referral to both social_care and police (R8.3), and to nothing else.",
        )
    under_age = (
        check.mapping(
            floors.get("under_age"), ("floors", "under_age"), required=("age", "lowest"), optional=("any_sign_of_harm",)
        )
        or {}
    )
    learning = check.mapping(floors.get("learning_disability"), ("floors", "learning_disability"), required=("lowest",))
    harm = check.mapping(floors.get("significant_harm"), ("floors", "significant_harm"), required=("lowest", "pathway"))
    learning, harm = learning or {}, harm or {}
    result = Floors(
        disclosure_band=_band_named(check, disclosure.get("band"), ("floors", "disclosure", "band"), band_keys),
        refer=tuple(refer) if isinstance(refer, list) else (),
        under_age=check.whole(under_age.get("age"), ("floors", "under_age", "age"), least=13) or 13,
        under_age_band=_band_named(check, under_age.get("lowest"), ("floors", "under_age", "lowest"), band_keys),
        under_age_harm_band=(
            _band_named(check, under_age["any_sign_of_harm"], ("floors", "under_age", "any_sign_of_harm"), band_keys)
            if "any_sign_of_harm" in under_age
            else None
        ),
        learning_disability_band=_band_named(
            check, learning.get("lowest"), ("floors", "learning_disability", "lowest"), band_keys
        ),
        significant_harm_band=_band_named(
            check, harm.get("lowest"), ("floors", "significant_harm", "lowest"), band_keys
        ),
        significant_harm_pathway=check.text(
            harm.get("pathway"), ("floors", "significant_harm", "pathway"), longest=2000
        ),
    )
    if len(order) >= 2 and _floors_named_are_known(result, band_keys):
        if result.disclosure_band != order[-1]:
            check.problem(
                ("floors", "disclosure", "band"),
                f"a disclosure is always the highest band (R8.3): “{order[-1]}”, not “{result.disclosure_band}”.",
            )
        for path, key in (
            (("floors", "under_age", "lowest"), result.under_age_band),
            (("floors", "learning_disability", "lowest"), result.learning_disability_band),
            (("floors", "significant_harm", "lowest"), result.significant_harm_band),
        ):
            if key == order[0]:
                check.problem(path, f"this floor cannot be the lowest band, “{key}” (R8.3): name a higher one.")
    return result


def _floors_named_are_known(floors: Floors, band_keys: set[str]) -> bool:
    named = [floors.disclosure_band, floors.under_age_band, floors.learning_disability_band]
    return all(key in band_keys for key in [*named, floors.significant_harm_band])


def _items(check: _Checker, value, known_signs: set[str] | None) -> list[Item]:
    if not isinstance(value, list) or not value:
        check.problem(("items",), "“items” should list the tool's items.")
        return []
    items: list[Item] = []
    entity_kinds = set(ContextKind.values)
    for index, entry in enumerate(value):
        path = ("items", index)
        entry = check.mapping(
            entry,
            path,
            required=("key", "label", "kind", "points"),
            optional=("window_days", "signs", "entities", "shared_only", "help"),
        )
        if entry is None:
            continue
        key = check.key(entry.get("key"), (*path, "key"))
        kind = entry.get("kind")
        if kind not in KINDS:
            check.problem(
                (*path, "kind"),
                f"the item “{key}” has the kind “{kind}”, which is not one of: {', '.join(KINDS)}.",
            )
        if key in {earlier.key for earlier in items}:
            check.problem((*path, "key"), f"the item “{key}” is defined twice.")
        signs = entry.get("signs", [])
        if not isinstance(signs, list) or not all(isinstance(sign, str) for sign in signs):
            check.problem((*path, "signs"), "“signs” should list indicator codes.")
            signs = []
        for sign in signs:
            if known_signs is not None and sign not in known_signs:
                check.problem(
                    (*path, "signs"), f"the item “{key}” names the sign “{sign}”, which Safeguard does not have."
                )
        entities = entry.get("entities", [])
        if (
            not isinstance(entities, list)
            or not all(isinstance(kind, str) for kind in entities)
            or set(entities) - entity_kinds
        ):
            check.problem((*path, "entities"), f"“entities” should list some of: {', '.join(sorted(entity_kinds))}.")
            entities = []
        shared_only = entry.get("shared_only", False)
        if not isinstance(shared_only, bool):
            check.problem((*path, "shared_only"), "“shared_only” should be true or false.")
        items.append(
            Item(
                key=key,
                label=check.text(entry.get("label"), (*path, "label"), longest=300),
                kind=kind if kind in KINDS else "",
                points=check.whole(entry.get("points"), (*path, "points")),
                window_days=check.whole(entry.get("window_days"), (*path, "window_days"), least=1, optional=True),
                signs=tuple(signs),
                entities=tuple(entities),
                shared_only=bool(shared_only),
                help=check.text(entry.get("help", ""), (*path, "help"), blank=True, longest=500),
            )
        )
    if items and all(item.kind for item in items) and not any(item.kind == "disclosure" for item in items):
        check.problem(
            ("items",), "the tool has no item of the kind disclosure, so its disclosure floor could never apply."
        )
    return items
