"""The zones a diagnosis covers: a département, several départements, an EPCI, a CPTS or communes chosen one by
one, in the user's scope.

A zone is named in URLs as ``<kind>:<code>`` (``departement:55``, ``departements:52,54,55``,
``epci:200066165``, ``cpts:3``, ``communes:55029,55545``): no patient data, and the same key for the page, its downloads, its layers
and the scenarios saved on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from maille.directory.models import Site
from maille.territory.models import Commune, Cpts, Epci
from maille.territory.selectors import communes_visible_to, departements_visible_to

KINDS = ("departement", "departements", "epci", "cpts", "communes")
MAX_CHOSEN_COMMUNES = 500
# the kinds zones_visible_to lists whole (a key of these kinds not in that list is not visible)
LISTED_KINDS = ("departement:", "epci:", "cpts:")


@dataclass(frozen=True)
class Zone:
    kind: str
    code: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"

    @property
    def label(self) -> str:
        if self.kind == "departement":
            return f"{self.name} ({self.code})"
        if self.kind in ("departements", "communes"):
            return self.name
        prefix = {"epci": _("EPCI"), "cpts": _("CPTS")}[self.kind]
        return f"{prefix} — {self.name}"


def zones_visible_to(user: Any) -> dict[str, list[Zone]]:
    """The user's zones by kind: départements, then the EPCI and CPTS that have communes in their scope."""
    departements = list(departements_visible_to(user))
    codes = [d.code for d in departements]
    visible = communes_visible_to(user)
    epcis = (
        Epci.objects.filter(communes__in=visible.filter(departement_id__in=codes)).distinct().order_by("name")
    )
    cpts = Cpts.objects.filter(communes__in=visible).distinct().order_by("name")
    return {
        "departement": [Zone("departement", d.code, d.name) for d in departements],
        # several at once: the départements where the network has sites (an inter-départemental network
        # such as e-Meuse), and all of the user's
        "departements": _several(codes),
        "epci": [Zone("epci", e.siren, e.name) for e in epcis],
        "cpts": [Zone("cpts", str(c.pk), c.name) for c in cpts],
    }


def _several(codes: list[str]) -> list[Zone]:
    served = sorted(
        set(
            Site.objects.active()
            .filter(commune__departement_id__in=codes)
            .values_list("commune__departement_id", flat=True)
        )
    )
    zones = [several_departements(served)] if len(served) > 1 else []
    if len(codes) > 1 and served != sorted(codes):
        zones.append(several_departements(codes))
    return zones


def several_departements(codes: list[str]) -> Zone:
    ordered = sorted(set(codes))
    return Zone(
        "departements", ",".join(ordered), _("Départements %(codes)s") % {"codes": ", ".join(ordered)}
    )


def zone_for(user: Any, key: str) -> Zone | None:
    """The zone named by ``key`` if the user may see it (None: unknown or outside the scope, alike)."""
    kind, _sep, code = key.partition(":")
    if kind not in KINDS or not code:
        return None
    if kind == "communes":
        return chosen_communes(user, code.split(","))
    if kind == "departements":
        codes = [c.strip() for c in code.split(",") if c.strip()]
        visible = set(departements_visible_to(user).values_list("code", flat=True))
        if len(set(codes)) < 2 or not set(codes) <= visible:
            return None
        return several_departements(codes)
    return next((zone for zone in zones_visible_to(user)[kind] if zone.code == code), None)


def _wanted(codes: Iterable[str]) -> list[str]:
    return sorted({c.strip().upper() for c in codes if c.strip()})


def chosen_communes(user: Any, codes: Iterable[str]) -> Zone | None:
    """A zone of communes chosen one by one (INSEE codes), every one of them in the user's scope."""
    wanted = _wanted(codes)
    if chosen_communes_refusal(user, wanted):
        return None
    label = _("Sélection de %(count)s commune(s)") % {"count": len(wanted)}
    return Zone("communes", ",".join(wanted), label)


def chosen_communes_refusal(user: Any, codes: Iterable[str]) -> str:
    """Why a list of communes makes no zone (French), empty when it does."""
    wanted = _wanted(codes)
    if not wanted:
        return _("Indiquez au moins un code INSEE.")
    if len(wanted) > MAX_CHOSEN_COMMUNES:
        return _("Au plus %(max)s communes à la fois.") % {"max": MAX_CHOSEN_COMMUNES}
    known = set(communes_visible_to(user).filter(code__in=wanted).values_list("code", flat=True))
    unknown = [code for code in wanted if code not in known]
    if unknown:
        shown = ", ".join(unknown[:20]) + (" …" if len(unknown) > 20 else "")
        return _("Communes inconnues ou hors de votre territoire : %(codes)s.") % {"codes": shown}
    return ""


def visible_zone_keys(user: Any, keys: Iterable[str]) -> set[str]:
    """The keys among ``keys`` naming a zone the user may see: the one rule of who sees a scenario, an
    optimisation run or any record saved on a zone."""
    listed = {zone.key for kind in zones_visible_to(user).values() for zone in kind}
    # keys the zone list does not name (other sets of départements, chosen communes): the rule of zone_for
    return {key for key in set(keys) if key in listed or (not key.startswith(LISTED_KINDS)
                                                          and zone_for(user, key) is not None)}  # fmt: skip


def zone_communes(user: Any, zone: Zone) -> QuerySet[Commune]:
    """The zone's communes within the user's scope."""
    visible: QuerySet[Commune] = communes_visible_to(user)
    if zone.kind == "departement":
        return visible.filter(departement_id=zone.code)
    if zone.kind == "departements":
        return visible.filter(departement_id__in=zone.code.split(","))
    if zone.kind == "communes":
        return visible.filter(code__in=zone.code.split(","))
    if zone.kind == "epci":
        return visible.filter(epci_id=zone.code)
    return visible.filter(cpts__pk=int(zone.code))
