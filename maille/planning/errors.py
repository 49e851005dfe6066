"""Errors raised by the planning library.

Each error carries a machine-readable ``code`` and the offending ``rows`` (labels or positions), so that a
caller (the ``maille plan`` command, a page) can show a translated message naming them. The library itself
does not depend on Django, so its messages are plain English for developers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray


def row_names(positions: NDArray[np.integer], labels: Sequence[str] | None) -> list[object]:
    """The labels of the given row positions (the positions themselves when there are no labels)."""
    where: list[int] = [int(p) for p in positions.tolist()]
    return [labels[p] for p in where] if labels else list(where)


class PlanningError(ValueError):
    """Base class of every error the planning library raises on bad input or an impossible specification."""

    code = "planning_error"

    def __init__(self, message: str, rows: Iterable[object] = ()) -> None:
        self.rows: list[object] = list(rows)
        shown = ", ".join(str(r) for r in self.rows[:20])
        more = f" (+{len(self.rows) - 20} more)" if len(self.rows) > 20 else ""
        super().__init__(f"{message}: {shown}{more}" if self.rows else message)


class InvalidInputError(PlanningError):
    """Input data that cannot give a correct number (NaN, negative population, unknown codes…)."""

    code = "invalid_input"


class InfeasibleSpecificationError(PlanningError):
    """A model specification that no solution can satisfy (k above the candidates, contradictions…)."""

    code = "infeasible_specification"


class TravelTimeServiceError(PlanningError):
    """A travel-time service (OSRM) could not be reached or answered with an error."""

    code = "travel_time_service"


class TravelTimeServiceUnreachableError(TravelTimeServiceError):
    """The travel-time service did not answer at all (the case a fallback engine covers)."""

    code = "travel_time_service_unreachable"
