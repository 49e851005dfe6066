"""The cost and funding model of a territory's network (recommendation 3, measures 1, 2 and 4 of seed ``002_*``).

A ``CostScenario`` spans one to ten years of a département's network: its sites with their expected activity, cost
lines (per site or for the network, each tagged *care* or *access to care*) and funding lines (per funder, each
financing care or access to care), every amount given per year. The Assurance Maladie's part through acts is not
typed: it follows from each site's teleconsultations and the tariffs in force (``TariffBook``): the remote doctor's
act, the assisting professional's (nurse TLL, pharmacist TLM) and the pharmacy's forfaits (FTE the opening year,
FTA per five teleconsultations up to its yearly cap). The acts pay professionals for care time: they are both a
care cost and its funding; what acts do not cover (assisting time beyond TLL/TLM, premises, coordination…) is in
the cost lines, and the scenario shows who pays it.

Results: cost per teleconsultation, costs by item and nature, funding and share per funder, the balance per year
and cumulated, and what each level of local authority pays for access to care, in total and per inhabitant of
the département. A scenario may be drafted from a planning scenario of the diagnosis (capacity needed → cost):
its sites, their yearly demand and assisting hours, priced by ``DRAFT_UNIT_COSTS`` — estimates to refine.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maille.accounts.scope import scope_for
from maille.core.audit import audit_record
from maille.core.input_guards import compact_number, french_decimal, row_number
from maille.diagnosis.scenarios import evaluate_scenario
from maille.directory.models import Profession
from maille.territory.models import Commune
from maille.territory.selectors import departements_visible_to

from .models import (
    LOCAL_AUTHORITIES,
    CostCategory,
    CostLine,
    CostNature,
    CostScenario,
    CostSite,
    Funder,
    FundingLine,
)
from .tariffs import TariffBook

MAX_YEARS = 10
MAX_AMOUNT = Decimal("100000000")  # 100 M€ a line and a year: beyond, a typo
CENT = Decimal("0.01")
ASSISTING_CODE = {Profession.NURSE: "TLL", Profession.PHARMACIST: "TLM"}
REMOTE_CODE = "TCG"
WEEKS_A_YEAR = 47  # weeks a site works in a year (holidays, public holidays)

# The nature a cost item usually has (the form proposes it; each line may say otherwise).
DEFAULT_NATURE = {
    CostCategory.ROOMS: CostNature.ACCESS,
    CostCategory.EQUIPMENT: CostNature.ACCESS,
    CostCategory.CONNECTIVITY: CostNature.ACCESS,
    CostCategory.ASSISTING_TIME: CostNature.CARE,
    CostCategory.COORDINATION: CostNature.ACCESS,
    CostCategory.ANIMATION: CostNature.ACCESS,
    CostCategory.TRAINING: CostNature.ACCESS,
    CostCategory.EVALUATION: CostNature.ACCESS,
    CostCategory.TRANSPORT: CostNature.ACCESS,
    CostCategory.COMMUNICATION: CostNature.ACCESS,
    CostCategory.OTHER: CostNature.ACCESS,
}


@dataclass(frozen=True)
class UnitCost:
    amount: Decimal
    label: Any
    basis: Any


# What a drafted scenario prices each item at: orders of magnitude to be replaced by the territory's own quotes
# (the seeds' budgets are "à titre indicatif" and call for a cost evaluation method).
DRAFT_UNIT_COSTS = {
    "room": UnitCost(Decimal("3600"), gettext_lazy("Salle de téléconsultation"), gettext_lazy("par salle et par an")),
    "equipment": UnitCost(Decimal("15000"), gettext_lazy("Équipement (chariot ou cabine connectés)"),
                          gettext_lazy("par salle, amorti sur 5 ans")),
    "connectivity": UnitCost(Decimal("1200"), gettext_lazy("Connexion et abonnement à la plateforme"),
                             gettext_lazy("par site et par an")),
    "assistant_hour": UnitCost(Decimal("35"), gettext_lazy("Heure d'assistance (infirmier·ère, pharmacien·ne)"),
                               gettext_lazy("coût chargé d'une heure, dont on retire ce que paient les actes")),
    "coordination": UnitCost(Decimal("5500"), gettext_lazy("Coordination et secrétariat"),
                             gettext_lazy("par site et par an (0,1 ETP à 55 000 €)")),
    "training": UnitCost(Decimal("1500"), gettext_lazy("Formation des téléassistants"),
                         gettext_lazy("par site, l'année d'ouverture")),
    "evaluation": UnitCost(Decimal("5000"), gettext_lazy("Évaluation"), gettext_lazy("pour le réseau, par an")),
    "communication": UnitCost(Decimal("3000"), gettext_lazy("Communication"), gettext_lazy("pour le réseau, par an")),
}  # fmt: skip
EQUIPMENT_DEPRECIATION_YEARS = 5
# The seeds' example (measures 1 and 2): a start-up subsidy decreasing over three years for four telemedicine
# practices, then a lasting one; an incentive of 5,000 to 10,000 € per practice and year (the middle here).
SEED_DECREASING_SUBSIDY = [Decimal("200000"), Decimal("140000"), Decimal("80000")]
SEED_LASTING_SUBSIDY = Decimal("20000")
SEED_INCENTIVE_PER_PRACTICE = Decimal("7500")
SEED_PRACTICES = 4


class CostInputError(ValueError):
    """What is wrong with a scenario's input, field by field (keys as in the form)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --- reading and scope ------------------------------------------------------------------------------------------
def cost_scenarios_visible_to(user: Any) -> QuerySet[CostScenario]:
    """Scenarios of the départements of the user's scope (the one rule of who reads which scenario)."""
    scope = scope_for(user)
    scenarios = CostScenario.objects.all()
    if scope.everywhere:
        return scenarios
    return scenarios.filter(departement__in=departements_visible_to(user))


def parse_euros(raw: str) -> Decimal:
    """A yearly amount typed the French way ("12 500", "1 225,50"); empty is 0. ValueError with a French message."""
    if not compact_number(raw):
        return Decimal("0.00")
    amount = french_decimal(raw)
    if amount is None:
        raise ValueError(_("montant illisible (un nombre d'euros, par exemple 12 500)"))
    if amount < 0:
        raise ValueError(_("un montant ne peut pas être négatif"))
    if amount > MAX_AMOUNT:
        raise ValueError(_("montant invraisemblable (100 millions d'euros au plus)"))
    if amount != amount.quantize(CENT):
        raise ValueError(_("deux décimales au plus"))
    return amount.quantize(CENT)


def amounts_of(line: CostLine | FundingLine, years: int) -> list[Decimal]:
    """The line's amounts, one per scenario year (missing years are 0: a scenario made longer)."""
    values = [Decimal(str(v)) for v in (line.amounts or [])][:years]
    return values + [Decimal("0")] * (years - len(values))


# --- results ------------------------------------------------------------------------------------------------
@dataclass
class Row:
    label: str
    amounts: list[Decimal]
    detail: str = ""

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, Decimal("0"))


@dataclass
class CostResults:
    scenario: CostScenario
    years: list[int]
    teleconsultations: list[int]
    acts: list[Decimal]  # the Assurance Maladie's acts (a care cost and its funding)
    forfaits: list[Decimal]  # the pharmacy forfaits (care funding)
    costs_by_category: list[Row]
    care_costs: list[Decimal]
    access_costs: list[Decimal]
    funding_by_funder: list[Row]
    care_funding: list[Decimal]
    access_funding: list[Decimal]
    local_authorities: list[Row]  # access to care paid by each level of local authority
    population: int
    per_site: list[Row] = field(default_factory=list)  # costs per site (without network lines)

    @property
    def total_costs(self) -> list[Decimal]:
        return [a + b for a, b in zip(self.care_costs, self.access_costs, strict=True)]

    @property
    def total_funding(self) -> list[Decimal]:
        return [a + b for a, b in zip(self.care_funding, self.access_funding, strict=True)]

    @property
    def balance(self) -> list[Decimal]:
        return [f - c for f, c in zip(self.total_funding, self.total_costs, strict=True)]

    @property
    def cumulative_balance(self) -> list[Decimal]:
        running, values = Decimal("0"), []
        for value in self.balance:
            running += value
            values.append(running)
        return values

    @property
    def access_gap(self) -> list[Decimal]:
        """Access-to-care costs no funding line covers (negative: more than covered)."""
        return [c - f for c, f in zip(self.access_costs, self.access_funding, strict=True)]

    @property
    def care_gap(self) -> list[Decimal]:
        return [c - f for c, f in zip(self.care_costs, self.care_funding, strict=True)]

    @property
    def cost_per_teleconsultation(self) -> list[Decimal | None]:
        return [_ratio(c, n) for c, n in zip(self.total_costs, self.teleconsultations, strict=True)]

    @property
    def total_cost_per_teleconsultation(self) -> Decimal | None:
        return _ratio(sum(self.total_costs, Decimal("0")), sum(self.teleconsultations))

    @property
    def access_cost_per_teleconsultation(self) -> Decimal | None:
        return _ratio(sum(self.access_costs, Decimal("0")), sum(self.teleconsultations))

    def funder_share(self, row: Row) -> float | None:
        total = sum(self.total_funding, Decimal("0"))
        return round(float(100 * row.total / total), 1) if total else None

    def per_inhabitant(self, row: Row) -> Decimal | None:
        """A local authority's yearly average per inhabitant of the département."""
        if not self.population or not self.years:
            return None
        return (row.total / len(self.years) / self.population).quantize(CENT, ROUND_HALF_UP)


def _ratio(amount: Decimal, count: int) -> Decimal | None:
    return (amount / count).quantize(CENT, ROUND_HALF_UP) if count else None


def _zeros(n: int) -> list[Decimal]:
    return [Decimal("0")] * n


def _add(target: list[Decimal], values: list[Decimal]) -> None:
    for i, value in enumerate(values):
        target[i] += value


def site_acts(site: CostSite, year: int, book: TariffBook) -> tuple[int, Decimal, Decimal]:
    """(teleconsultations, the acts' amount, the pharmacy forfaits) of a site in a year."""
    if year < site.opening_year:
        return 0, Decimal("0"), Decimal("0")
    day = dt.date(year, 7, 1)  # the tariff in force mid-year (later years: the last one known)
    count = site.teleconsultations_per_year
    per_act = book.price(REMOTE_CODE, day).amount or Decimal("0")
    code = ASSISTING_CODE.get(site.assisting_profession)
    if code:
        per_act += book.price(code, day).amount or Decimal("0")
    forfaits = Decimal("0")
    if site.assisting_profession == Profession.PHARMACIST:
        activity = book.codes.get("FTA")
        tranche = book.price("FTA", day).amount or Decimal("0")
        if activity is not None and activity.forfait_acts_per_tranche:
            forfaits += tranche * (count // activity.forfait_acts_per_tranche)
            if activity.forfait_yearly_cap is not None:
                forfaits = min(forfaits, activity.forfait_yearly_cap)
        if year == site.opening_year:
            forfaits += book.price("FTE", day).amount or Decimal("0")
    return count, (per_act * count).quantize(CENT), forfaits.quantize(CENT)


def compute_costs(scenario: CostScenario) -> CostResults:
    years = scenario.year_list
    n = len(years)
    book = TariffBook()
    sites = list(scenario.sites.all())
    teleconsultations, acts, forfaits = [0] * n, _zeros(n), _zeros(n)
    for site in sites:
        for i, year in enumerate(years):
            count, amount, forfait = site_acts(site, year, book)
            teleconsultations[i] += count
            acts[i] += amount
            forfaits[i] += forfait
    categories: dict[str, list[Decimal]] = defaultdict(lambda: _zeros(n))
    care_costs, access_costs = list(acts), _zeros(n)  # the acts pay care time
    per_site: dict[int, list[Decimal]] = defaultdict(lambda: _zeros(n))
    labels = dict(CostCategory.choices)
    for line in scenario.cost_lines.all():
        values = amounts_of(line, n)
        _add(categories[line.category], values)
        _add(care_costs if line.nature == CostNature.CARE else access_costs, values)
        if line.site_id is not None:
            _add(per_site[line.site_id], values)
    costs_by_category = [Row(str(_("actes des professionnels (payés par l'Assurance Maladie)")), list(acts))]
    costs_by_category += [Row(str(labels[key]), values) for key, values in categories.items()]
    funders: dict[str, list[Decimal]] = defaultdict(lambda: _zeros(n))
    care_funding, access_funding = acts[:], _zeros(n)
    _add(care_funding, forfaits)
    local: dict[str, list[Decimal]] = {key: _zeros(n) for key in LOCAL_AUTHORITIES}
    for line in scenario.funding_lines.all():
        values = amounts_of(line, n)
        _add(funders[line.funder], values)
        _add(care_funding if line.nature == CostNature.CARE else access_funding, values)
        if line.nature == CostNature.ACCESS and line.funder in local:
            _add(local[line.funder], values)
    funder_labels = dict(Funder.choices)
    funding = [Row(str(_("Assurance Maladie : actes")), list(acts))]
    if any(forfaits):
        funding.append(Row(str(_("Assurance Maladie : forfaits des officines")), list(forfaits)))
    funding += [Row(str(funder_labels[key]), values) for key, values in funders.items()]
    population = (
        Commune.objects.filter(departement_id=scenario.departement_id).aggregate(total=Sum("population"))[
            "total"
        ]
        or 0
    )
    site_names = {s.pk: s.name for s in sites}
    return CostResults(
        scenario=scenario, years=years, teleconsultations=teleconsultations, acts=acts, forfaits=forfaits,
        costs_by_category=costs_by_category, care_costs=care_costs, access_costs=access_costs,
        funding_by_funder=funding, care_funding=care_funding, access_funding=access_funding,
        local_authorities=[Row(str(funder_labels[key]), values) for key, values in local.items()],
        population=population,
        per_site=[Row(site_names[pk], values) for pk, values in per_site.items() if pk in site_names],
    )  # fmt: skip


# --- writes -------------------------------------------------------------------------------------------------
def _check_header(
    user: Any, *, name: str, departement_code: str, first_year: Any, years: Any
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = " ".join(str(name).split())
    if not name:
        errors["name"] = _("Donnez un nom au scénario.")
    elif len(name) > 120:
        errors["name"] = _("120 caractères au plus.")
    if not departements_visible_to(user).filter(pk=departement_code).exists():
        errors["departement"] = _("Département inconnu ou hors de votre périmètre.")
    first = _integer(first_year)
    if first is None or not 2000 <= first <= 2100:
        errors["first_year"] = _("Première année : une année entre 2000 et 2100.")
    count = _integer(years)
    if count is None or not 1 <= count <= MAX_YEARS:
        errors["years"] = _("Nombre d'années : de 1 à %(n)s.") % {"n": MAX_YEARS}
    if errors:
        raise CostInputError(errors)
    return {"name": name, "departement_id": departement_code, "first_year": first, "years": count}


def _integer(raw: Any) -> int | None:
    """A whole number typed in the grid ("2 000"): the shared digits guard, French spaces allowed."""
    return row_number(compact_number(raw))


def _hours(raw: Any) -> Decimal:
    """Assisting hours a week: 0 to 168, one decimal at most (empty: 0); ValueError with a French message."""
    if not compact_number(raw):
        return Decimal("0.0")
    hours = french_decimal(raw)
    if hours is None:
        raise ValueError(_("un nombre d'heures, par exemple 12,5"))
    if hours < 0:
        raise ValueError(_("un nombre d'heures ne peut pas être négatif"))
    if hours > 168:
        raise ValueError(_("168 heures par semaine au plus"))
    if hours != hours.quantize(Decimal("0.1")):
        raise ValueError(_("une décimale au plus"))
    return hours.quantize(Decimal("0.1"))


def cost_scenario_create(
    user: Any, *, name: str, departement_code: str, first_year: Any, years: Any, description: str = "",
    diagnosis_scenario: Any = None, seed_example: bool = False,
) -> CostScenario:  # fmt: skip
    """A new scenario: blank, or drafted from a planning scenario's sizing, with the seeds' example funding if
    asked. CostInputError names what is wrong."""
    header = _check_header(
        user, name=name, departement_code=departement_code, first_year=first_year, years=years
    )
    drafted = None
    if diagnosis_scenario is not None:
        try:
            sizing = evaluate_scenario(user, diagnosis_scenario, with_today=False).sizing
        except type(diagnosis_scenario).DoesNotExist:
            raise CostInputError(
                {"diagnosis_scenario": _("Scénario de planification inconnu ou hors de votre périmètre.")}
            ) from None
        if sizing.error:
            raise CostInputError({"diagnosis_scenario": sizing.error})
        # the sites of the scenario's département (a planning zone may span several)
        here = set(
            Commune.objects.filter(
                code__in=[s.commune for s in sizing.sites], departement_id=departement_code
            ).values_list("code", flat=True)
        )
        drafted = [s for s in sizing.sites if s.commune in here]
        if not drafted:
            raise CostInputError(
                {"diagnosis_scenario": _("Ce scénario de planification n'a aucun site dans ce département.")}
            )
    with transaction.atomic():
        scenario = CostScenario.objects.create(
            **header, description=description[:2000], diagnosis_scenario=diagnosis_scenario,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )  # fmt: skip
        if drafted is not None:
            _draft_from_sizing(scenario, drafted)
        if seed_example:
            _seed_example(scenario)
        audit_record(actor=user, action="cost_scenario.create", target=scenario,
                     details={"from_planning": diagnosis_scenario is not None, "seed_example": seed_example})  # fmt: skip
    return scenario


def _per_year(
    scenario: CostScenario, amount: Decimal, *, from_year: int, only_first: bool = False
) -> list[str]:
    values = []
    for year in scenario.year_list:
        active = year == from_year if only_first else year >= from_year
        values.append(str(amount.quantize(CENT)) if active else "0.00")
    return values


def _draft_from_sizing(scenario: CostScenario, sized_sites: list[Any]) -> None:
    """Sites and cost lines from a planning scenario: its demand and assisting hours, priced by DRAFT_UNIT_COSTS."""
    unit = {key: cost.amount for key, cost in DRAFT_UNIT_COSTS.items()}
    book = TariffBook()
    assisting_fee = book.price("TLL", dt.date(scenario.first_year, 7, 1)).amount or Decimal("0")
    lines: list[CostLine] = []
    for sized in sized_sites:
        opening = scenario.first_year if sized.envisaged else scenario.first_year - 1
        label = sized.name  # the diagnosis names an envisaged site so ("site envisagé à …")
        site = CostSite.objects.create(
            scenario=scenario, name=label[:200], opening_year=opening,
            teleconsultations_per_year=int(round(sized.yearly_demand)),
            assistant_hours_per_week=Decimal(str(round(sized.assistant_hours_per_week, 1))),
        )  # fmt: skip
        rooms = Decimal(max(1, sized.rooms))
        assisting = max(
            Decimal("0"),
            site.assistant_hours_per_week * WEEKS_A_YEAR * unit["assistant_hour"]
            - assisting_fee * site.teleconsultations_per_year,
        )
        start = max(opening, scenario.first_year)
        for category, label_text, amount, only_first in [
            (CostCategory.ROOMS, DRAFT_UNIT_COSTS["room"].label, unit["room"] * rooms, False),
            (CostCategory.EQUIPMENT, DRAFT_UNIT_COSTS["equipment"].label,
             unit["equipment"] * rooms / EQUIPMENT_DEPRECIATION_YEARS, False),
            (CostCategory.CONNECTIVITY, DRAFT_UNIT_COSTS["connectivity"].label, unit["connectivity"], False),
            (CostCategory.ASSISTING_TIME, _("Temps d'assistance non couvert par les actes"), assisting, False),
            (CostCategory.COORDINATION, DRAFT_UNIT_COSTS["coordination"].label, unit["coordination"], False),
            (CostCategory.TRAINING, DRAFT_UNIT_COSTS["training"].label, unit["training"], True),
        ]:  # fmt: skip
            if category == CostCategory.TRAINING and not sized.envisaged:
                continue  # staff of an existing site are trained already
            lines.append(CostLine(scenario=scenario, site=site, category=category, nature=DEFAULT_NATURE[category],
                                  label=str(label_text), amounts=_per_year(scenario, amount, from_year=start,
                                                                           only_first=only_first)))  # fmt: skip
    for key, category in (
        ("evaluation", CostCategory.EVALUATION),
        ("communication", CostCategory.COMMUNICATION),
    ):
        lines.append(CostLine(scenario=scenario, category=category, nature=DEFAULT_NATURE[category],
                              label=str(DRAFT_UNIT_COSTS[key].label),
                              amounts=_per_year(scenario, unit[key], from_year=scenario.first_year)))  # fmt: skip
    CostLine.objects.bulk_create(lines)


def _seed_example(scenario: CostScenario) -> None:
    decreasing = [*SEED_DECREASING_SUBSIDY, *([SEED_LASTING_SUBSIDY] * MAX_YEARS)][: scenario.years]
    FundingLine.objects.bulk_create([
        FundingLine(scenario=scenario, funder=Funder.ARS, nature=CostNature.ACCESS,
                    label=_("Subvention de démarrage dégressive, 4 cabinets de télémédecine (mesure 1)"),
                    amounts=[str(v.quantize(CENT)) for v in decreasing]),
        FundingLine(scenario=scenario, funder=Funder.ARS, nature=CostNature.CARE,
                    label=_("Incitation des professionnels, 7 500 € par cabinet et par an (mesure 2)"),
                    amounts=[str((SEED_INCENTIVE_PER_PRACTICE * SEED_PRACTICES).quantize(CENT))] * scenario.years),
    ])  # fmt: skip


MAX_GRID_ROWS = 200
# The grid's two kinds of lines: how a line is named in an error, and the message of a line without a label.
COST_LINES = (
    gettext_lazy("Coût « %(label)s »"),
    gettext_lazy("Ligne de coût %(n)s : donnez-lui un libellé."),
)
FUNDING_LINES = (
    gettext_lazy("Financement « %(label)s »"),
    gettext_lazy("Ligne de financement %(n)s : donnez-lui un libellé."),
)
UNKNOWN_NATURE = gettext_lazy("%(where)s : nature inconnue (soin ou accès aux soins).")

# A row of the grid: the saved instance it edits (None: a new one), its values, whether it is to be deleted.
GridRow = tuple[Any, dict[str, Any], bool]


@dataclass
class _Grid:
    """Reads the rows of a scenario's grid (``<prefix>-<i>-<field>``), every wrong cell into ``errors``."""

    data: Any
    errors: dict[str, str]
    first: int
    years: int

    def indexes(self, prefix: str) -> list[int]:
        count = _integer(self.data.get(f"{prefix}-count", "0"))
        return list(range(min(count or 0, MAX_GRID_ROWS)))

    def text(self, key: str) -> str:
        return " ".join(str(self.data.get(key, "")).split())[:200]

    def choice(self, key: str, allowed: set[str], message: Any, where: str, *, check: bool) -> str:
        value = str(self.data.get(key, ""))
        if check and value not in allowed:
            self.errors[key] = str(message) % {"where": where}
        return value

    def amounts(self, key: str, where: str) -> list[str]:
        values = []
        for k in range(self.years):
            try:
                values.append(str(parse_euros(self.data.get(f"{key}-y{k}", ""))))
            except ValueError as error:
                self.errors[f"{key}-y{k}"] = _("%(where)s, %(year)s : %(error)s.") % {
                    "where": where, "year": self.first + k, "error": error}  # fmt: skip
                values.append("0.00")
        return values

    def sites(self, existing: dict[int, CostSite]) -> list[GridRow]:
        last = self.first + self.years - 1
        professions = {value for value, _label in Profession.choices}
        rows: list[GridRow] = []
        for i in self.indexes("site"):
            key = f"site-{i}"
            site = existing.get(_integer(self.data.get(f"{key}-id", "")) or -1)
            delete = bool(self.data.get(f"{key}-delete"))
            name = self.text(f"{key}-name")
            if site is None and not name:
                continue  # a blank row
            where = _("Site « %(name)s »") % {"name": name or i + 1}
            if not name and not delete:
                self.errors[f"{key}-name"] = _("Site %(n)s : donnez-lui un nom.") % {"n": i + 1}
            opening = _integer(self.data.get(f"{key}-opening_year", ""))
            if not delete and (opening is None or not 2000 <= opening <= last):
                self.errors[f"{key}-opening_year"] = _(
                    "%(where)s : l'année d'ouverture doit être au plus tard %(last)s, la dernière année du scénario."
                ) % {"where": where, "last": last}  # fmt: skip
            count = _integer(self.data.get(f"{key}-teleconsultations", ""))
            if not delete and (count is None or count > 1_000_000):
                self.errors[f"{key}-teleconsultations"] = _(
                    "%(where)s : un nombre entier de téléconsultations par an (0 à 1 000 000)."
                ) % {"where": where}  # fmt: skip
            profession = self.choice(f"{key}-profession", professions, gettext_lazy("%(where)s : profession inconnue."),
                                     where, check=not delete)  # fmt: skip
            try:
                hours = _hours(self.data.get(f"{key}-hours", "0"))
            except ValueError as error:
                if not delete:
                    self.errors[f"{key}-hours"] = _("%(where)s, heures d'assistance : %(error)s.") % {
                        "where": where, "error": error}  # fmt: skip
                hours = Decimal("0")
            values = {"name": name, "opening_year": opening or self.first, "teleconsultations_per_year": count or 0,
                      "assisting_profession": profession if profession in professions else Profession.NURSE,
                      "assistant_hours_per_week": hours}  # fmt: skip
            rows.append((site, values, delete))
        return rows

    def lines(self, prefix: str, existing: dict[int, Any], names: tuple[Any, Any],
              choices: dict[str, tuple[set[str], Any]], site_ids: set[int] | None = None) -> list[GridRow]:  # fmt: skip
        """Cost or funding lines: a label, the ``choices`` fields (allowed values, message), for cost lines a site
        of the scenario (``site_ids``), and an amount per year."""
        where_text, label_missing = names
        natures = {value for value, _label in CostNature.choices}
        rows: list[GridRow] = []
        for i in self.indexes(prefix):
            key = f"{prefix}-{i}"
            line = existing.get(_integer(self.data.get(f"{key}-id", "")) or -1)
            delete = bool(self.data.get(f"{key}-delete"))
            label = self.text(f"{key}-label")
            amounts_typed = any(str(self.data.get(f"{key}-y{k}", "")).strip() for k in range(self.years))
            if line is None and not label and not amounts_typed:
                continue  # a blank row
            where = str(where_text) % {"label": label or i + 1}
            if not label and not delete:
                self.errors[f"{key}-label"] = str(label_missing) % {"n": i + 1}
            values: dict[str, Any] = {"label": label}
            for field_name, (allowed, message) in {**choices, "nature": (natures, UNKNOWN_NATURE)}.items():
                values[field_name] = self.choice(
                    f"{key}-{field_name}", allowed, message, where, check=not delete
                )
            if site_ids is not None:
                site_ref = str(self.data.get(f"{key}-site", "")).strip()
                site_pk = _integer(site_ref) if site_ref else None
                if site_ref and site_pk not in site_ids and not delete:
                    self.errors[f"{key}-site"] = _("%(where)s : site inconnu dans ce scénario.") % {
                        "where": where
                    }
                values["site_id"] = site_pk if site_pk in site_ids else None
            values["amounts"] = self.amounts(key, where) if not delete else []
            rows.append((line, values, delete))
        return rows


def cost_scenario_save(user: Any, scenario: CostScenario, data: Any) -> CostScenario:
    """Save the whole grid of a scenario (header, sites, cost and funding lines) at once, or nothing:
    CostInputError names every wrong cell."""
    errors: dict[str, str] = {}
    try:
        header = _check_header(user, name=data.get("name", ""), departement_code=data.get("departement", ""),
                               first_year=data.get("first_year", ""), years=data.get("years", ""))  # fmt: skip
    except CostInputError as error:
        errors.update(error.errors)
        header = {"first_year": scenario.first_year, "years": scenario.years}
    grid = _Grid(data, errors, header["first_year"], header["years"])
    existing_sites = {s.pk: s for s in scenario.sites.all()}
    sites = grid.sites(existing_sites)
    costs = grid.lines(
        "cost", {line.pk: line for line in scenario.cost_lines.all()}, COST_LINES,
        {"category": ({value for value, _label in CostCategory.choices}, gettext_lazy("%(where)s : poste inconnu."))},
        site_ids=set(existing_sites),
    )  # fmt: skip
    fundings = grid.lines(
        "funding", {line.pk: line for line in scenario.funding_lines.all()}, FUNDING_LINES,
        {"funder": ({value for value, _label in Funder.choices}, gettext_lazy("%(where)s : financeur inconnu."))},
    )  # fmt: skip
    if errors:
        raise CostInputError(errors)
    with transaction.atomic():
        for name_, value in header.items():
            setattr(scenario, name_, value)
        scenario.description = str(data.get("description", ""))[:2000]
        scenario.save()
        for model, rows in ((CostSite, sites), (CostLine, costs), (FundingLine, fundings)):
            for instance, values, delete in rows:
                if delete:
                    if instance is not None:
                        instance.delete()
                elif instance is None:
                    model.objects.create(scenario=scenario, **values)
                else:
                    for name_, value in values.items():
                        setattr(instance, name_, value)
                    instance.save()
        audit_record(actor=user, action="cost_scenario.update", target=scenario,
                     details={"sites": len(sites), "costs": len(costs), "fundings": len(fundings)})  # fmt: skip
    return scenario


def cost_scenario_delete(user: Any, scenario: CostScenario) -> None:
    with transaction.atomic():
        audit_record(
            actor=user, action="cost_scenario.delete", target=scenario, details={"name": scenario.name}
        )
        scenario.delete()
