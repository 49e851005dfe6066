"""What each FHIR resource type reads from the directory, and its search parameters.

Visibility comes only from ``maille.directory.selectors``; each parameter narrows the visible rows.
Strict handling: an unknown parameter or modifier is an error (HTTP 400), never silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from maille.core.identifiers import FINESS_SYSTEM, OID_IDNAT_PS, OID_IDNAT_STRUCT, RPPS_SYSTEM
from maille.directory import fhir as mapping
from maille.directory.attestations import attach_attestations
from maille.directory.models import OpeningHours, Room, SiteUse
from maille.directory.selectors import (
    network_roles_visible_to,
    organisations_visible_to,
    professionals_visible_to,
    sites_visible_to,
)

from .responses import FhirError

Filter = Callable[[QuerySet[Any], list[str]], QuerySet[Any]]


@dataclass(frozen=True)
class SearchParameter:
    name: str
    type: str  # FHIR search parameter type, for the CapabilityStatement
    documentation: str
    apply: Filter


@dataclass(frozen=True)
class Part:
    """One kind of rows behind a resource type (Location has two: sites and rooms)."""

    rows: Callable[[Any], QuerySet[Any]]  # visible rows for a user, with relations loaded, ordered
    to_resource: Callable[[Any, Any], Any]  # (row, user) -> FHIR resource
    parameters: dict[str, Filter]  # name -> filter for the parameters this part supports
    read_id: Callable[[str], int | None]  # FHIR id -> primary key, None when not this part's id
    prepare: Callable[[list[Any]], None] | None = None  # loads what the page's rows need, in one batch


@dataclass(frozen=True)
class ResourceType:
    name: str
    parts: list[Part]
    parameters: list[SearchParameter] = field(default_factory=list)


# --- parameter values ------------------------------------------------------------------------------
def split_values(values: list[str]) -> list[list[str]]:
    """Each occurrence of a parameter ANDs; commas inside one occurrence OR (FHIR search semantics)."""
    return [[item.strip() for item in value.split(",") if item.strip()] for value in values]


def reference_ids(value: str, resource_type: str) -> str:
    """``Organization/12``, ``12`` or a full URL ending with ``Organization/12`` → ``12``."""
    if "/" in value:
        kind, _slash, identifier = value.rstrip("/").rpartition("/")
        if kind.rsplit("/", 1)[-1] != resource_type:
            raise FhirError(
                400,
                "invalid",
                _("Référence « %(value)s » : une ressource %(type)s est attendue.")
                % {"value": value, "type": resource_type},
            )
        return identifier
    return value


def integer_ids(values: list[str], prefix: str = "") -> list[int]:
    """Primary keys from FHIR ids; ids of another shape simply match nothing."""
    keys = []
    for value in values:
        if prefix:
            if not value.startswith(prefix):
                continue
            value = value[len(prefix) :]
        if value.isascii() and value.isdigit():
            keys.append(int(value))
    return keys


def _each(values: list[str], build: Callable[[list[str]], Q], queryset: QuerySet[Any]) -> QuerySet[Any]:
    for alternatives in split_values(values):
        queryset = queryset.filter(build(alternatives))
    return queryset


def _any_of(alternatives: list[str], build_one: Callable[[str], Q]) -> Q:
    condition = Q(pk__in=[])
    for alternative in alternatives:
        condition |= build_one(alternative)
    return condition


def id_filter(prefix: str = "", path: str = "pk") -> Filter:
    def apply(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        return _each(values, lambda alts: Q(**{f"{path}__in": integer_ids(alts, prefix)}), queryset)

    return apply


def reference_filter(resource_type: str, path: str, prefix: str = "") -> Filter:
    def apply(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        def build(alternatives: list[str]) -> Q:
            ids = [reference_ids(value, resource_type) for value in alternatives]
            return Q(**{f"{path}__in": integer_ids(ids, prefix)})

        return _each(values, build, queryset).distinct()

    return apply


def text_filter(*paths: str) -> Filter:
    """FHIR string search, case-insensitive; matches anywhere in the text (a superset of 'starts with')."""

    def apply(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        def build_one(text: str) -> Q:
            condition = Q(pk__in=[])
            for path in paths:
                condition |= Q(**{f"{path}__icontains": text})
            return condition

        return _each(values, lambda alts: _any_of(alts, build_one), queryset)

    return apply


def token_filter(path: str, system: str = "") -> Filter:
    """A token ``[system|]code``; a system other than ours matches nothing."""

    def build_one(token: str) -> Q:
        token_system, bar, code = token.rpartition("|")
        if bar and token_system and system and token_system != system:
            return Q(pk__in=[])
        return Q(**{path: code if bar else token})

    def apply(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        return _each(values, lambda alts: _any_of(alts, build_one), queryset).distinct()

    return apply


def organisation_identifier(token: str) -> Q:
    system, bar, value = token.rpartition("|")
    if not bar or not system:
        return Q(finess=value) | Q(siret=value) if value else Q(pk__in=[])
    if system == FINESS_SYSTEM:
        return Q(finess=value) if value else Q(pk__in=[])
    if system == OID_IDNAT_STRUCT and len(value) > 1:
        if value[0] == "1":
            return Q(finess=value[1:])
        if value[0] == "3":
            return Q(siret=value[1:])
    return Q(pk__in=[])


def practitioner_identifier(token: str) -> Q:
    system, bar, value = token.rpartition("|")
    if not value:
        return Q(pk__in=[])
    if not bar or not system:
        return Q(rpps=value) | Q(rpps=value[1:]) if value.startswith("8") else Q(rpps=value)
    if system == RPPS_SYSTEM:
        return Q(rpps=value)
    if system == OID_IDNAT_PS and value.startswith("8"):
        return Q(rpps=value[1:])
    return Q(pk__in=[])


def identifier_filter(build_one: Callable[[str], Q]) -> Filter:
    def apply(queryset: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        return _each(values, lambda alts: _any_of(alts, build_one), queryset)

    return apply


# --- what each type reads --------------------------------------------------------------------------
def _organisations(user: Any) -> Any:
    return organisations_visible_to(user).select_related("commune").order_by("pk")


def _sites(user: Any) -> QuerySet[Any]:
    return (
        sites_visible_to(user)
        .select_related("commune__departement")
        .prefetch_related(
            Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens"))
        )
        .order_by("pk")
    )


def _rooms(user: Any) -> QuerySet[Any]:
    return (
        Room.objects.filter(site__in=sites_visible_to(user).values("pk"))
        .select_related("site")
        .prefetch_related("equipment")
        .order_by("pk")
    )


def _site_uses(user: Any) -> QuerySet[Any]:
    return (
        SiteUse.objects.filter(site__in=sites_visible_to(user).values("pk"))
        .select_related("site", "use__remote_specialty")
        .prefetch_related("use__required_equipment")
        .order_by("pk")
    )


def _professionals(user: Any) -> Any:
    return professionals_visible_to(user).order_by("pk")


def _network_roles(user: Any) -> Any:
    visible_sites = sites_visible_to(user).only("pk", "name").order_by("pk")
    return (
        network_roles_visible_to(user)
        .select_related("professional__specialty")
        .prefetch_related(Prefetch("sites", queryset=visible_sites))
        .order_by("pk")
    )


def _plain_id(value: str) -> int | None:
    ids = integer_ids([value])
    return ids[0] if ids else None


def _prefixed_id(prefix: str) -> Callable[[str], int | None]:
    def read(value: str) -> int | None:
        ids = integer_ids([value], prefix)
        return ids[0] if ids else None

    return read


S, T, R = "string", "token", "reference"

_ORGANIZATION_PARAMS = {
    "_id": (T, "Identifiant logique", id_filter()),
    "identifier": (
        T,
        "FINESS, IdNat_Struct (1+FINESS, 3+SIRET) ou valeur seule",
        identifier_filter(organisation_identifier),
    ),
    "name": (S, "Nom (contient, sans casse)", text_filter("name")),
    "address-city": (S, "Commune", text_filter("commune__name")),
    "address-postalcode": (S, "Code postal", text_filter("postal_code")),
    "type": (T, "Type de structure (code Maille)", token_filter("kind", mapping.ORGANISATION_KIND_SYSTEM)),
}

_SITE_PARAMS = {
    "_id": (T, "site-N ou room-N", id_filter(prefix="site-")),
    "name": (S, "Nom du site ou de la salle", text_filter("name")),
    "address-city": (S, "Commune", text_filter("commune__name")),
    "address-postalcode": (S, "Code postal", text_filter("postal_code")),
    "organization": (R, "Structure d'accueil", reference_filter("Organization", "host_organisation")),
}
_ROOM_FILTERS: dict[str, Filter] = {
    "_id": id_filter(prefix="room-"),
    "name": text_filter("name"),
    "address-city": text_filter("site__commune__name"),
    "address-postalcode": text_filter("site__postal_code"),
    "organization": reference_filter("Organization", "site__host_organisation"),
    "partof": reference_filter("Location", "site", prefix="site-"),
}
_LOCATION_EXTRA = {"partof": (R, "Site dont la salle fait partie (Location/site-N)", _ROOM_FILTERS["partof"])}

_SERVICE_PARAMS = {
    "_id": (T, "Identifiant logique", id_filter()),
    "name": (S, "Nom de l'usage", text_filter("use__name", "site__name")),
    "organization": (
        R,
        "Structure qui fournit le service",
        reference_filter("Organization", "site__host_organisation"),
    ),
    "location": (R, "Site (Location/site-N)", reference_filter("Location", "site", prefix="site-")),
    "service-type": (T, "Usage (code Maille)", token_filter("use__code", mapping.USE_SYSTEM)),
    "service-category": (T, "Type d'usage", token_filter("use__kind", mapping.USE_KIND_SYSTEM)),
    "specialty": (
        T,
        "Spécialité requise à distance",
        token_filter("use__remote_specialty__code", mapping.SPECIALTY_SYSTEM),
    ),
}

_PRACTITIONER_PARAMS = {
    "_id": (T, "Identifiant logique", id_filter()),
    "identifier": (T, "RPPS ou IdNat_PS (8+RPPS)", identifier_filter(practitioner_identifier)),
    "name": (S, "Nom ou prénom", text_filter("last_name", "first_name")),
    "family": (S, "Nom de famille", text_filter("last_name")),
}

_ROLE_PARAMS = {
    "_id": (T, "Identifiant logique", id_filter()),
    "practitioner": (R, "Professionnel", reference_filter("Practitioner", "professional")),
    "organization": (R, "Organisation", reference_filter("Organization", "organisation")),
    "location": (R, "Site (Location/site-N)", reference_filter("Location", "sites", prefix="site-")),
    "role": (T, "Rôle dans le réseau (code Maille)", token_filter("kind", mapping.NETWORK_ROLE_SYSTEM)),
    "specialty": (T, "Spécialité", token_filter("professional__specialty__code", mapping.SPECIALTY_SYSTEM)),
}


def _declared(table: dict[str, tuple[str, str, Filter]]) -> list[SearchParameter]:
    return [SearchParameter(name, kind, doc, apply) for name, (kind, doc, apply) in table.items()]


def _filters(table: dict[str, tuple[str, str, Filter]]) -> dict[str, Filter]:
    return {name: apply for name, (_kind, _doc, apply) in table.items()}


RESOURCE_TYPES: dict[str, ResourceType] = {
    "Organization": ResourceType(
        "Organization",
        [
            Part(
                _organisations,
                lambda row, user: mapping.organization_from(row),
                _filters(_ORGANIZATION_PARAMS),
                _plain_id,
            )
        ],
        _declared(_ORGANIZATION_PARAMS),
    ),
    "Location": ResourceType(
        "Location",
        [
            Part(
                _sites,
                lambda row, user: mapping.location_from_site(row),
                _filters(_SITE_PARAMS),
                _prefixed_id("site-"),
                attach_attestations,
            ),
            Part(
                _rooms,
                lambda row, user: mapping.location_from_room(row),
                _ROOM_FILTERS,
                _prefixed_id("room-"),
            ),
        ],
        _declared({**_SITE_PARAMS, **_LOCATION_EXTRA}),
    ),
    "HealthcareService": ResourceType(
        "HealthcareService",
        [
            Part(
                _site_uses,
                lambda row, user: mapping.healthcare_service_from(row),
                _filters(_SERVICE_PARAMS),
                _plain_id,
                lambda rows: attach_attestations([row.site for row in rows]),
            )
        ],
        _declared(_SERVICE_PARAMS),
    ),
    "Practitioner": ResourceType(
        "Practitioner",
        [
            Part(
                _professionals,
                lambda row, user: mapping.practitioner_from(row),
                _filters(_PRACTITIONER_PARAMS),
                _plain_id,
            )
        ],
        _declared(_PRACTITIONER_PARAMS),
    ),
    "PractitionerRole": ResourceType(
        "PractitionerRole",
        [
            Part(
                _network_roles,
                lambda row, user: mapping.practitioner_role_from(row, row.sites.all()),
                _filters(_ROLE_PARAMS),
                _plain_id,
            )
        ],
        _declared(_ROLE_PARAMS),
    ),
}


def filtered_parts(
    resource_type: ResourceType, user: Any, criteria: dict[str, list[str]]
) -> list[tuple[Part, QuerySet[Any]]]:
    """Each part's visible rows narrowed by ``criteria``; a part lacking one of the parameters drops out
    (``partof`` selects rooms only)."""
    selected = []
    for part in resource_type.parts:
        if any(name not in part.parameters for name in criteria):
            continue
        rows = part.rows(user)
        for name, values in criteria.items():
            rows = part.parameters[name](rows, values)
        selected.append((part, rows))
    return selected


def read_row(resource_type: ResourceType, user: Any, resource_id: str) -> tuple[Part, Any] | None:
    for part in resource_type.parts:
        key = part.read_id(resource_id)
        if key is None:
            continue
        row = part.rows(user).filter(pk=key).first()
        if row is not None:
            return part, row
    return None
