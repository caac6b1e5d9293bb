"""The body map: a front and a back outline made of named regions, on which staff place numbered marks.

The outline is drawn from the same shapes everywhere (the form, the review page, the child's file and both PDFs),
so a mark's position means the same thing in each. Positions are in the outline's own units (a 200 by 420 box per
side). Left and right are the child's: on the front view the child's left is on the viewer's right.
"""

from dataclasses import dataclass, replace

from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 200, 420
MAX_MARKS = 30


class Side(models.TextChoices):
    FRONT = "front", "Front"
    BACK = "back", "Back"


class MarkKind(models.TextChoices):
    BRUISE = "bruise", "Bruise"
    CUT = "cut", "Cut or graze"
    BURN = "burn", "Burn"
    MARK = "mark", "Mark"
    OTHER = "other", "Other"


@dataclass(frozen=True)
class Shape:
    """One region of the outline: a rounded rectangle or an ellipse, and the words for it on each side."""

    key: str
    front: str
    back: str
    x: int
    y: int
    width: int
    height: int
    ellipse: bool = False

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    def holds(self, x: int, y: int) -> bool:
        return self.x <= x <= self.x + self.width and self.y <= y <= self.y + self.height

    def words(self, side: str) -> str:
        return self.front if side == Side.FRONT else self.back

    def on(self, side: str) -> "Shape":
        """The shape as drawn on `side`: on the back view the child's right is on the viewer's right, so limbs swap
        places."""
        return self if side == Side.FRONT else replace(self, x=WIDTH - self.x - self.width)


def _pair(key: str, words: str, *, x: int, y: int, width: int, height: int, ellipse: bool = False) -> list[Shape]:
    """The child's right and left of a limb; on the front the child's right is drawn on the viewer's left."""
    mirrored = WIDTH - x - width
    return [
        Shape(f"right_{key}", f"Right {words}", f"Right {words}", x, y, width, height, ellipse),
        Shape(f"left_{key}", f"Left {words}", f"Left {words}", mirrored, y, width, height, ellipse),
    ]


SHAPES: tuple[Shape, ...] = (
    Shape("head", "Head and face", "Back of the head", 76, 6, 48, 56, ellipse=True),
    Shape("neck", "Neck and throat", "Back of the neck", 89, 60, 22, 18),
    Shape("chest", "Chest", "Upper back", 64, 76, 72, 74),
    Shape("trunk", "Stomach", "Lower back", 68, 150, 64, 55),
    Shape("hips", "Hips and groin", "Buttocks", 68, 205, 64, 32),
    *_pair("upper_arm", "upper arm", x=40, y=80, width=22, height=82),
    *_pair("forearm", "forearm and wrist", x=30, y=164, width=24, height=72),
    *_pair("hand", "hand", x=28, y=238, width=26, height=32, ellipse=True),
    *_pair("thigh", "thigh and knee", x=70, y=239, width=28, height=84),
    *_pair("lower_leg", "lower leg and ankle", x=72, y=325, width=24, height=70),
    *_pair("foot", "foot", x=68, y=396, width=30, height=18, ellipse=True),
)
SHAPE_BY_KEY = {shape.key: shape for shape in SHAPES}


def region_label(side: str, region: str) -> str:
    shape = SHAPE_BY_KEY.get(region)
    return f"{Side(side).label}: {shape.words(side)}" if shape is not None else ""


REGION_CHOICES = [
    (Side.FRONT.label, [(f"front:{shape.key}", f"Front: {shape.front}") for shape in SHAPES]),
    (Side.BACK.label, [(f"back:{shape.key}", f"Back: {shape.back}") for shape in SHAPES]),
]


def region_point(side: str, region: str, taken: int = 0) -> tuple[int, int]:
    """Where a mark chosen from the region list is drawn: the region's centre, moved along for each mark already
    there so that numbers do not sit on one another."""
    x, y = SHAPE_BY_KEY[region].on(side).centre
    if taken:
        x += ((taken % 3) - 1) * 14
        y += (taken // 3 + 1) * 14 * (1 if taken % 2 else -1)
    return max(8, min(WIDTH - 8, x)), max(8, min(HEIGHT - 8, y))


def region_at(side: str, x: int, y: int) -> str:
    """The region a tapped point falls in, or the nearest one."""
    drawn = [shape.on(side) for shape in SHAPES]
    for shape in drawn:
        if shape.holds(x, y):
            return shape.key

    def distance(shape: Shape) -> int:
        cx, cy = shape.centre
        return (cx - x) ** 2 + (cy - y) ** 2

    return min(drawn, key=distance).key


def _outline(side: str, *, interactive: bool) -> SafeString:
    parts = []
    for shape in (shape.on(side) for shape in SHAPES):
        label = shape.words(side)
        extra = format_html(' data-region="{}" data-label="{}"', shape.key, label) if interactive else ""
        if shape.ellipse:
            parts.append(
                format_html(
                    '<ellipse class="region" cx="{}" cy="{}" rx="{}" ry="{}"{}><title>{}</title></ellipse>',
                    *shape.centre,
                    shape.width // 2,
                    shape.height // 2,
                    extra,
                    label,
                )
            )
        else:
            parts.append(
                format_html(
                    '<rect class="region" x="{}" y="{}" width="{}" height="{}" rx="9"{}><title>{}</title></rect>',
                    shape.x,
                    shape.y,
                    shape.width,
                    shape.height,
                    extra,
                    label,
                )
            )
    return mark_safe("".join(parts))  # noqa: S308 - every part above is built by format_html


def marks_drawn(marks, side: str) -> SafeString:
    """The numbered marks of one side."""
    return format_html_join(
        "",
        '<g class="body-mark"><circle cx="{}" cy="{}" r="10"></circle>'
        '<text x="{}" y="{}" fill="#ffffff" stroke="none">{}</text></g>',
        ((mark.x, mark.y, mark.x, mark.y + 5, mark.number) for mark in marks if mark.side == side),
    )


def body_map_svg(marks, side: str, *, interactive: bool = False) -> SafeString:
    """One side of the body map with its marks, as inline SVG (no script, no style attribute: CSP-safe)."""
    label = Side(side).label
    placed = [
        f"mark {mark.number}, {SHAPE_BY_KEY[mark.region].words(side).lower()}" for mark in marks if mark.side == side
    ]
    title = f"Body map, {label.lower()}: " + ("; ".join(placed) if placed else "no marks")
    return format_html(
        '<svg class="body-map-side" viewBox="0 0 {} {}" role="img" aria-label="{}" data-side="{}"'
        ' xmlns="http://www.w3.org/2000/svg" width="{}" height="{}">'
        '<g fill="#f4f1ee" stroke="#3d3d3d" stroke-width="1.5">{}</g>'
        '<g fill="#3d3d3d" font-size="14" font-family="sans-serif" aria-hidden="true">'
        '<text x="6" y="18">{}</text><text x="{}" y="18" text-anchor="end">{}</text></g>'
        '<g class="marks" fill="#c0392b" stroke="#ffffff" stroke-width="1.5" font-size="13" font-weight="700"'
        ' text-anchor="middle" font-family="sans-serif">{}</g>'
        "</svg>",
        WIDTH,
        HEIGHT,
        title,
        side,
        WIDTH,
        HEIGHT,
        _outline(side, interactive=interactive),
        *(("R", WIDTH - 6, "L") if side == Side.FRONT else ("L", WIDTH - 6, "R")),
        marks_drawn(marks, side),
    )


MARK_FIELDS = ("side", "region", "x", "y", "kind", "size", "colour", "note")
TEXT_LIMITS = {"size": 60, "colour": 60, "note": 500}


@dataclass
class MarkEntry:
    """A mark as the form holds it, before it is stored: cleaned, numbered, and with any problem to show."""

    number: int
    side: str
    region: str
    x: int
    y: int
    kind: str = ""
    size: str = ""
    colour: str = ""
    note: str = ""
    problem: str = ""

    @property
    def region_label(self) -> str:
        return region_label(self.side, self.region)

    @property
    def anchor(self) -> str:
        return f"mark-{self.number}-kind"

    def as_data(self) -> dict:
        return {name: getattr(self, name) for name in MARK_FIELDS}


def _number(value, limit: int) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if 0 <= number <= limit else None


def marks_clean(rows) -> list[MarkEntry]:
    """Marks from posted lists or a draft's dicts, keeping only well-formed ones (a known side and region, a point
    inside the outline), numbered in order; text is trimmed to its limit and NUL bytes dropped."""
    marks = []
    for row in rows[:MAX_MARKS]:
        side, region = str(row.get("side", "")), str(row.get("region", ""))
        x, y = _number(row.get("x", ""), WIDTH), _number(row.get("y", ""), HEIGHT)
        if side not in Side.values or region not in SHAPE_BY_KEY or x is None or y is None:
            continue
        kind = str(row.get("kind", ""))
        texts = {
            name: str(row.get(name, "")).replace("\x00", "").strip()[:limit] for name, limit in TEXT_LIMITS.items()
        }
        marks.append(MarkEntry(len(marks) + 1, side, region, x, y, kind if kind in MarkKind.values else "", **texts))
    return marks


def marks_posted(posted) -> list[MarkEntry]:
    """The marks in a posted form: one value per mark in each of the mark_* lists."""
    if not hasattr(posted, "getlist"):
        return []
    columns = {name: posted.getlist(f"mark_{name}")[:MAX_MARKS] for name in MARK_FIELDS}
    rows = [
        {name: (values[index] if index < len(values) else "") for name, values in columns.items()}
        for index in range(len(columns["side"]))
    ]
    return marks_clean(rows)


def mark_at_region(marks: list[MarkEntry], choice: str) -> list[MarkEntry]:
    """Add a mark at a region chosen from the list ("front:left_forearm"); an unknown choice adds nothing."""
    side, _, region = str(choice).partition(":")
    if side not in Side.values or region not in SHAPE_BY_KEY or len(marks) >= MAX_MARKS:
        return marks
    taken = sum(1 for mark in marks if mark.side == side and mark.region == region)
    x, y = region_point(side, region, taken)
    return [*marks, MarkEntry(len(marks) + 1, side, region, x, y)]
