"""An exploitation screening's result (REQUIREMENTS.md R8.1 to R8.3): the score of the items the DSL confirmed, the
band it falls in, the floors that no score can go below, and the DSL's own band when they move it with a reason.

A pure function of the tool, the items confirmed and the child, so that the form, the record and the tests agree.
It decides nothing about any concern: a screening only ever adds a record to the child's file.
"""

from dataclasses import dataclass

from referrals.screening_tools import AGENCIES, Tool


class OverrideRefused(ValueError):
    """The DSL's band is below a floor, or moves the band without a written reason."""


@dataclass(frozen=True)
class Result:
    score: int
    band_by_score: str
    floor_band: str | None  # the lowest band the floors allow; None when no floor applies
    band: str  # the band recorded: the score's band raised to the floor, or the DSL's own
    reasons: tuple[str, ...]  # why each floor applies, in words for the DSL
    refer: tuple[str, ...]  # the agencies a referral to is prompted, in words
    child_protection: bool  # reasonable cause to suspect significant harm: the section 47 pathway
    overridden: bool
    pathway: str


def _higher(tool: Tool, one: str | None, other: str | None) -> str | None:
    if one is None or other is None:
        return one or other
    return max(one, other, key=tool.rank)


def screening_result(
    tool: Tool,
    *,
    present: set[str],
    age: int | None,
    learning_disability: bool,
    significant_harm: bool,
    chosen_band: str = "",
    rationale: str = "",
) -> Result:
    """The result of a screening with the items of `present` (item keys) confirmed. `chosen_band`, when it differs
    from the band the score and floors give, is the DSL's override: it needs `rationale`, and may not go below a
    floor. Raises OverrideRefused otherwise."""
    items = [item for item in tool.items if item.key in present]
    kinds = {item.kind for item in items}
    score = sum(item.points for item in items)
    by_score = tool.band_for(score).key
    floors = tool.floors
    floor, reasons, refer = None, [], ()
    if "disclosure" in kinds:
        floor = _higher(tool, floor, floors.disclosure_band)
        refer = tuple(AGENCIES[agency] for agency in floors.refer)
        reasons.append(
            f"The child disclosed exploitation or sexual abuse: always “{tool.band(floors.disclosure_band).label}”, "
            f"with a referral to {' and '.join(refer)}."
        )
    if age is not None and age < floors.under_age:
        floor = _higher(tool, floor, floors.under_age_band)
        reasons.append(f"A child under {floors.under_age} is never below “{tool.band(floors.under_age_band).label}”.")
        if floors.under_age_harm_band and "sign_of_harm" in kinds:
            floor = _higher(tool, floor, floors.under_age_harm_band)
            reasons.append(
                f"For a child under {floors.under_age}, one sign of harm is treated as a sign of exploitation: at "
                f"least “{tool.band(floors.under_age_harm_band).label}”."
            )
    if learning_disability:
        floor = _higher(tool, floor, floors.learning_disability_band)
        reasons.append(
            f"A child with a learning disability is never below “{tool.band(floors.learning_disability_band).label}”."
        )
    if significant_harm:
        floor = _higher(tool, floor, floors.significant_harm_band)
        reasons.append(
            "You judged there is reasonable cause to suspect significant harm: the child protection pathway, "
            "whatever the score."
        )
    proposed = _higher(tool, by_score, floor)
    chosen = chosen_band or proposed
    if chosen not in {band.key for band in tool.bands}:
        raise OverrideRefused("Choose one of the tool's bands.")
    if floor is not None and tool.rank(chosen) < tool.rank(floor):
        raise OverrideRefused(f"The band cannot go below “{tool.band(floor).label}”: {' '.join(reasons)}")
    overridden = chosen != proposed
    if overridden and not rationale.strip():
        raise OverrideRefused(
            f"You moved the band from “{tool.band(proposed).label}” to “{tool.band(chosen).label}”: say why, in a "
            "few sentences the next DSL can follow."
        )
    pathway = floors.significant_harm_pathway if significant_harm else tool.band(chosen).pathway
    return Result(
        score=score,
        band_by_score=by_score,
        floor_band=floor,
        band=chosen,
        reasons=tuple(reasons),
        refer=refer,
        child_protection=significant_harm,
        overridden=overridden,
        pathway=pathway,
    )
