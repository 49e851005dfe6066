"""Scenarios: the one selector of what a user may see, the checks of a drawn network, and the writes.

A scenario is visible to whoever may see its zone (``zones.zone_for``): a coordinator sees the scenarios of
their territory, whoever drew them. Every write is audit-logged. Nothing is saved half-way: the name, the
communes, the sites and the assumptions are all checked before the one write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from maille.core.audit import audit_record, changed_fields
from maille.directory.selectors import sites_visible_to

from .assumptions import Assumptions, AssumptionsError, parse_assumptions
from .figures import Diagnosis, Sizing, WhatIf, diagnose, size_network
from .models import Scenario, ScenarioOrigin
from .zones import Zone, visible_zone_keys, zone_communes, zone_for

MAX_ENVISAGED = 30
MAX_NAME = 120


class ScenarioError(ValueError):
    """A scenario that cannot be saved or shown: ``errors`` maps each field to its French message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def scenarios_visible_to(user: Any) -> QuerySet[Scenario]:
    """Scenarios whose zone the user may see."""
    keys = Scenario.objects.values_list("zone_key", flat=True).distinct()
    return Scenario.objects.filter(zone_key__in=visible_zone_keys(user, keys))


def scenario_zone(user: Any, scenario: Scenario) -> Zone:
    zone = zone_for(user, scenario.zone_key)
    if zone is None:  # the selector let it through, so the scope changed in between: same answer as unknown
        raise Scenario.DoesNotExist
    return zone


def what_if_query(what_if: WhatIf) -> list[tuple[str, str]]:
    """The query string of a drawn network (the diagnosis page, its layers and downloads read it back)."""
    return [("ajout", code) for code, *_rest in what_if.added] + [
        ("retrait", str(pk)) for pk in sorted(what_if.removed)
    ]


@dataclass(frozen=True)
class DrawnNetwork:
    what_if: WhatIf
    errors: list[str]


def check_what_if(
    user: Any,
    zone: Zone,
    added: Iterable[str],
    removed: Iterable[str | int],
    *,
    zone_site_ids: set[int] | None = None,
) -> DrawnNetwork:
    """The sites envisaged (communes of the zone, by INSEE code or exact name) and removed (active sites of the
    zone), and a French message for each one refused."""
    errors: list[str] = []
    added_rows: list[tuple[str, str, float, float]] = []
    seen: set[str] = set()
    asked = [str(value).strip() for value in added if str(value).strip()]
    if len(asked) > MAX_ENVISAGED:
        errors.append(_("Au plus %(count)s sites envisagés à la fois.") % {"count": MAX_ENVISAGED})
        asked = asked[:MAX_ENVISAGED]
    placed = zone_communes(user, zone).filter(latitude__isnull=False, longitude__isnull=False)
    for text in asked:
        commune = placed.filter(Q(code=text.upper()) | Q(name__iexact=text)).order_by("-population").first()
        if commune is None:
            errors.append(
                _("« %(text)s » : commune inconnue ou hors de la zone %(zone)s (code INSEE ou nom exact).")
                % {"text": text[:60], "zone": zone.label}
            )
        elif commune.code not in seen:
            seen.add(commune.code)
            # placed: the query kept only communes with coordinates
            added_rows.append(
                (commune.code, commune.name, float(commune.latitude or 0), float(commune.longitude or 0))
            )
    if zone_site_ids is None:
        zone_site_ids = set(
            sites_visible_to(user).active().filter(commune__in=zone_communes(user, zone))
            .values_list("pk", flat=True)
        )  # fmt: skip
    removed_ids = set()
    for raw in removed:
        text = str(raw).strip()
        if text.isdigit() and int(text) in zone_site_ids:
            removed_ids.add(int(text))
        else:
            errors.append(_("Site à retirer inconnu dans cette zone : %(raw)s.") % {"raw": text[:20]})
    return DrawnNetwork(WhatIf(tuple(added_rows), frozenset(removed_ids)), errors)


@dataclass(frozen=True)
class ScenarioInputs:
    """A saved scenario as the figures need it, and what no longer holds (a site closed since, say)."""

    zone: Zone
    what_if: WhatIf
    assumptions: Assumptions
    notes: list[str]


def scenario_inputs(user: Any, scenario: Scenario) -> ScenarioInputs:
    zone = scenario_zone(user, scenario)
    drawn = check_what_if(user, zone, scenario.added_communes, scenario.removed_sites)
    try:
        assumptions = parse_assumptions(scenario.assumptions)
    except AssumptionsError as error:  # bounds tightened since it was saved: defaults, and say so
        assumptions = Assumptions()
        drawn.errors.extend(error.errors.values())
    return ScenarioInputs(zone, drawn.what_if, assumptions, drawn.errors)


@dataclass(frozen=True)
class EvaluatedScenario:
    """A saved scenario's figures and sizing, computed now; today's network with the same assumptions when
    asked (a comparison computes today's once for all its scenarios)."""

    scenario: Scenario
    inputs: ScenarioInputs
    figures: Diagnosis
    sizing: Sizing
    today: Diagnosis | None = None
    today_sizing: Sizing | None = None


def evaluate_scenario(user: Any, scenario: Scenario, *, with_today: bool = True) -> EvaluatedScenario:
    inputs = scenario_inputs(user, scenario)
    figures = diagnose(user, inputs.zone, what_if=inputs.what_if, assumptions=inputs.assumptions)
    today = diagnose(user, inputs.zone, assumptions=inputs.assumptions) if with_today else None
    return EvaluatedScenario(
        scenario,
        inputs,
        figures,
        size_network(figures),
        today,
        None if today is None else size_network(today),
    )


def _checked(
    user: Any, zone: Zone, *, name: str, added: Iterable[str], removed: Iterable[str | int],
    assumptions: dict[str, Any],
) -> tuple[str, DrawnNetwork, Assumptions]:  # fmt: skip
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Donnez un nom au scénario.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("Nom trop long (%(max)s caractères au plus).") % {"max": MAX_NAME}
    drawn = check_what_if(user, zone, added, removed)
    if drawn.errors:
        errors["sites"] = " ".join(drawn.errors)
    elif drawn.what_if.is_empty:
        errors["sites"] = _("Le scénario n'ajoute ni ne retire aucun site.")
    parsed = Assumptions()
    try:
        parsed = parse_assumptions(assumptions)
    except AssumptionsError as error:
        errors.update(error.errors)
    if errors:
        raise ScenarioError(errors)
    return name, drawn, parsed


def scenario_create(
    user: Any, zone: Zone, *, name: str, added: Iterable[str] = (), removed: Iterable[str | int] = (),
    assumptions: dict[str, Any] | None = None, description: str = "",
    origin: str = ScenarioOrigin.MANUAL, optimisation: dict[str, Any] | None = None,
) -> Scenario:  # fmt: skip
    name, drawn, parsed = _checked(
        user, zone, name=name, added=added, removed=removed, assumptions=assumptions or {}
    )
    with transaction.atomic():
        scenario = Scenario.objects.create(
            name=name,
            description=description.strip()[:2000],
            zone_key=zone.key,
            added_communes=[code for code, *_rest in drawn.what_if.added],
            removed_sites=sorted(drawn.what_if.removed),
            assumptions=parsed.changed(),
            origin=origin,
            optimisation=optimisation or {},
            created_by=user,
        )
        audit_record(actor=user, action="scenario.create", target=scenario, details={"zone": zone.key})
    return scenario


def scenario_update(
    user: Any, scenario: Scenario, *, name: str | None = None, assumptions: dict[str, Any] | None = None,
    description: str | None = None,
) -> Scenario:  # fmt: skip
    """Rename, describe or change the assumptions of a scenario (its sites are what it is: save another)."""
    zone = scenario_zone(user, scenario)
    merged = {**scenario.assumptions, **(assumptions or {})}
    new_name, _drawn, parsed = _checked(
        user, zone, name=scenario.name if name is None else name, added=scenario.added_communes,
        removed=scenario.removed_sites, assumptions=merged,
    )  # fmt: skip
    values = {
        "name": new_name,
        "assumptions": parsed.changed(),
        "description": scenario.description if description is None else description.strip()[:2000],
    }
    changed = changed_fields(scenario, values)
    if not changed:
        return scenario
    with transaction.atomic():
        for field, value in values.items():
            setattr(scenario, field, value)
        scenario.save()
        audit_record(actor=user, action="scenario.update", target=scenario, details={"fields": changed})
    return scenario


def scenario_delete(user: Any, scenario: Scenario) -> None:
    with transaction.atomic():
        audit_record(
            actor=user, action="scenario.delete", target=scenario, details={"zone": scenario.zone_key}
        )
        scenario.delete()
