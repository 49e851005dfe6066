"""Scores and gaps of an assessment.

Each criterion that applies to the site's level is worth one point: met 1, partly met ½, not met or not
answered 0. Once the assessment is closed, an answer the reviewer left challenged counts as not met (the
reviewer's word is the last). A section's score and the overall score are the points over the criteria, in
percent; the mandatory criteria are counted apart, since a label needs every one of them met. A gap is a
criterion not fully met: mandatory ones first, then in the referential's order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

POINTS = {"met": Decimal(1), "partial": Decimal("0.5"), "not_met": Decimal(0)}


@dataclass(frozen=True)
class CriterionRow:
    criterion_id: int
    code: str
    title: str
    mandatory: bool
    section_code: str
    section_title: str


@dataclass(frozen=True)
class AnswerState:
    compliance: str
    verdict: str = "pending"


@dataclass(frozen=True)
class Gap:
    criterion: CriterionRow
    state: str  # "partial", "not_met", "challenged", "unanswered"


@dataclass
class SectionScore:
    code: str
    title: str
    criteria: int = 0
    points: Decimal = Decimal(0)
    answered: int = 0

    @property
    def percent(self) -> Decimal | None:
        if not self.criteria:
            return None
        return (self.points * 100 / self.criteria).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Scores:
    sections: list[SectionScore] = field(default_factory=list)
    criteria: int = 0
    answered: int = 0
    points: Decimal = Decimal(0)
    mandatory: int = 0
    mandatory_met: int = 0
    gaps: list[Gap] = field(default_factory=list)

    @property
    def percent(self) -> Decimal | None:
        if not self.criteria:
            return None
        return (self.points * 100 / self.criteria).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def every_mandatory_met(self) -> bool:
        return self.mandatory_met == self.mandatory

    @property
    def mandatory_gaps(self) -> list[Gap]:
        return [gap for gap in self.gaps if gap.criterion.mandatory]


def effective_compliance(answer: AnswerState | None, *, closed: bool) -> str:
    """What an answer counts as: "unanswered", "challenged" (closed with the reviewer's challenge standing:
    not met) or the site's answer."""
    if answer is None:
        return "unanswered"
    if closed and answer.verdict == "challenged":
        return "challenged"
    return answer.compliance


def score(
    criteria: Iterable[CriterionRow], answers: Mapping[int, AnswerState], *, closed: bool = False
) -> Scores:
    result = Scores()
    sections: dict[str, SectionScore] = {}
    gaps: list[tuple[int, int, Gap]] = []
    for position, criterion in enumerate(criteria):
        section = sections.get(criterion.section_code)
        if section is None:
            section = sections[criterion.section_code] = SectionScore(
                criterion.section_code, criterion.section_title
            )
            result.sections.append(section)
        answer = answers.get(criterion.criterion_id)
        state = effective_compliance(answer, closed=closed)
        points = POINTS.get(state, Decimal(0))
        section.criteria += 1
        section.points += points
        result.criteria += 1
        result.points += points
        if answer is not None:
            section.answered += 1
            result.answered += 1
        if criterion.mandatory:
            result.mandatory += 1
            if state == "met":
                result.mandatory_met += 1
        if state != "met":
            gaps.append((0 if criterion.mandatory else 1, position, Gap(criterion, state)))
    result.gaps = [gap for _rank, _position, gap in sorted(gaps, key=lambda item: (item[0], item[1]))]
    return result
