"""Pages of the activity ledger: the evaluation hub, the acts of the scope with their billing (filters, totals per
code, CSV), the tariffs over time (a new period for administrators), and the imports of acts with their report.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from maille.accounts.permissions import has_permission, require_permission
from maille.core.errors import DomainError
from maille.core.input_guards import row_number
from maille.diagnosis.zones import Zone, zone_for
from maille.quality.views import FieldErrors
from maille.territory.selectors import departements_visible_to

from .cells import CellSource, ledger_totals
from .imports import MAX_BYTES, MAX_REPORTED_ERRORS, ActFileError, RowError, act_import_create
from .models import Act, ActCategory, ActSource, BillingCode, BillingLine, IndicatorCell, Tariff
from .selectors import (
    act_imports_visible_to,
    acts_visible_to,
    indicator_cells_visible_to,
    site_choices,
    zone_commune_codes,
)
from .tariffs import parse_amount, tariff_add

PAGE_SIZE = 50

# (route, title, permission, what it is for)
EVALUATION_PAGES = [
    ("evaluation:activity", gettext_lazy("Registre d'activité"), "evaluation.view_activity",
     gettext_lazy("Chaque acte réalisé (rendez-vous terminés et actes importés), ses codes et leur montant, filtré "
                  "par période, territoire, site et type d'acte ; export CSV.")),
    ("evaluation:indicators", gettext_lazy("Indicateurs"), "evaluation.view_activity",
     gettext_lazy("Téléconsultations par mois et par site, occupation, délais, absences et annulations tardives, "
                  "patients sans médecin traitant ou en ALD, comptes rendus, indicateurs régionaux ; CSV et XLSX.")),
    ("evaluation:survey_results", gettext_lazy("Enquêtes de satisfaction"), "evaluation.view_activity",
     gettext_lazy("L'avis des patients après leur téléconsultation et celui des professionnels assistants : "
                  "taux de réponse, notes, raisons du choix, facilité ; anonyme, petits groupes masqués.")),
    ("evaluation:committee", gettext_lazy("Rapport au comité territorial"), "evaluation.view_reports",
     gettext_lazy("Le rapport trimestriel et la revue annuelle d'un département ou d'une CPTS : activité et "
                  "tendances, satisfaction, carte, qualité, coûts, actions ouvertes ; page, PDF et XLSX.")),
    ("evaluation:cost_scenarios", gettext_lazy("Coûts et financements"), "evaluation.view_costs",
     gettext_lazy("Scénarios pluriannuels par territoire : coûts par site et par poste, soin ou accès aux soins, "
                  "financements par financeur, coût par téléconsultation, part de chaque collectivité.")),
    ("evaluation:imports", gettext_lazy("Imports d'actes"), "evaluation.view_activity",
     gettext_lazy("Verser l'activité réalisée hors de Maille (fichier CSV, rapport ligne par ligne) et retrouver "
                  "les imports passés.")),
    ("evaluation:tariffs", gettext_lazy("Tarifs des actes"), "evaluation.view_activity",
     gettext_lazy("Les codes de facturation et leurs tarifs successifs, avec leurs sources : un acte est valorisé "
                  "au tarif en vigueur le jour où il a été réalisé.")),
]  # fmt: skip


@require_GET
@require_permission("evaluation.view_activity")
def hub(request: HttpRequest) -> HttpResponse:
    pages = [
        {"url": reverse(route), "title": title, "description": description}
        for route, title, permission, description in EVALUATION_PAGES
        if has_permission(request.user, permission)
    ]
    return render(request, "evaluation/hub.html", {"pages": pages})


# --- the ledger -----------------------------------------------------------------------------------------------
@dataclass
class ActivityFilters:
    start: dt.date
    end: dt.date
    departement: str = ""
    site: int | None = None
    category: str = ""
    source: str = ""
    batch: int | None = None
    zone: Zone | None = None
    zone_codes: list[str] | None = None  # the zone's communes within the reader's scope, read once
    medecin_traitant: str = ""  # "oui", "non" or "" (all)
    ald: str = ""
    errors: FieldErrors | None = None

    def query(self) -> str:
        params = {"du": self.start.isoformat(), "au": self.end.isoformat(), "departement": self.departement,
                  "site": self.site or "", "type": self.category, "origine": self.source,
                  "import": self.batch or "", "zone": self.zone.key if self.zone else "",
                  "mt": self.medecin_traitant, "ald": self.ald}  # fmt: skip
        return urlencode({key: value for key, value in params.items() if value})


def _date(raw: str | None, default: dt.date) -> tuple[dt.date, bool]:
    if not raw:
        return default, True
    try:
        return dt.date.fromisoformat(raw), True
    except ValueError:
        return default, False


def _filters(request: HttpRequest) -> ActivityFilters:
    """The filters read from the query (a wrong value is named and its default used)."""
    today = timezone.localdate()
    errors = FieldErrors()
    end, ok_end = _date(request.GET.get("au"), today)
    start, ok_start = _date(request.GET.get("du"), end - dt.timedelta(days=90))
    if not ok_start:
        errors["du"] = _("Date illisible : AAAA-MM-JJ.")
    if not ok_end:
        errors["au"] = _("Date illisible : AAAA-MM-JJ.")
    if start > end:
        errors["du"] = _("Le début de la période doit précéder sa fin.")
        start = end - dt.timedelta(days=90)
    site_raw = request.GET.get("site", "")
    batch_raw = request.GET.get("import", "")
    category = request.GET.get("type", "")
    source = request.GET.get("origine", "")
    zone = None
    zone_key = request.GET.get("zone", "")[:600]
    if zone_key:
        zone = zone_for(request.user, zone_key)
        if zone is None:
            errors["zone"] = _("Zone inconnue ou hors de votre territoire.")
    medecin_traitant = request.GET.get("mt", "")
    ald = request.GET.get("ald", "")
    return ActivityFilters(
        zone=zone,
        zone_codes=zone_commune_codes(request.user, zone) if zone is not None else None,
        medecin_traitant=medecin_traitant if medecin_traitant in ("oui", "non") else "",
        ald=ald if ald in ("oui", "non") else "",
        start=start,
        end=end,
        departement=request.GET.get("departement", "")[:3],
        site=row_number(site_raw) if site_raw else None,
        category=category if category in ActCategory.values else "",
        source=source if source in ActSource.values else "",
        batch=row_number(batch_raw) if batch_raw else None,
        errors=errors,
    )


def _filtered_acts(user: Any, filters: ActivityFilters) -> QuerySet[Act]:
    acts = acts_visible_to(user).filter(performed_on__gte=filters.start, performed_on__lte=filters.end)
    if filters.departement:
        acts = acts.filter(commune__departement_id=filters.departement)
    if filters.site is not None:
        acts = acts.filter(site_id=filters.site)
    if filters.category:
        acts = acts.filter(category=filters.category)
    if filters.source:
        acts = acts.filter(source=filters.source)
    if filters.batch is not None:
        acts = acts.filter(batch_id=filters.batch)
    if filters.zone_codes is not None:
        acts = acts.filter(commune_id__in=filters.zone_codes)
    if filters.medecin_traitant:
        acts = acts.filter(has_medecin_traitant=filters.medecin_traitant == "oui")
    if filters.ald:
        acts = acts.filter(is_ald=filters.ald == "oui")
    return acts


def _ledger_cells(user: Any, filters: ActivityFilters) -> QuerySet[IndicatorCell] | None:
    """The stored indicator cells of the filtered acts, when the filters are ones cells keep (period, place,
    site); None for the others (kind, origin, import, médecin traitant, ALD), counted on the acts."""
    if (
        filters.category
        or filters.source
        or filters.batch is not None
        or filters.medecin_traitant
        or filters.ald
    ):
        return None
    cells = indicator_cells_visible_to(user)
    if cells is None:
        return None
    if filters.departement:
        cells = cells.filter(commune__departement_id=filters.departement)
    if filters.site is not None:
        cells = cells.filter(site_id=filters.site)
    if filters.zone_codes is not None:
        cells = cells.filter(commune_id__in=filters.zone_codes)
    return cells


@require_GET
@require_permission("evaluation.view_activity")
def activity(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    acts = _filtered_acts(request.user, filters)
    stored = _ledger_cells(request.user, filters)
    from_cells = (
        ledger_totals(CellSource(acts, stored), filters.start, filters.end) if stored is not None else None
    )
    if from_cells is not None:  # whole past months read from the stored indicator cells
        totals: dict[str, Any] = {"acts": from_cells.acts, "patients": from_cells.patients,
                                  "amount": from_cells.amount}  # fmt: skip
        per_category = [
            (label, from_cells.per_category.get(value, 0)) for value, label in ActCategory.choices
        ]
        labels = dict(BillingCode.objects.values_list("code", "label"))
        per_code = [{"code_id": code, "code__label": labels.get(code, ""), "lines": lines, "amount": amount}
                    for code, lines, amount in from_cells.per_code]  # fmt: skip
    else:
        # One pass for the totals and the acts per type.
        totals = acts.aggregate(
            acts=Count("pk"),
            patients=Count("patient_pseudonym", distinct=True),
            amount=Sum("amount"),
            **{f"type_{value}": Count("pk", filter=Q(category=value)) for value in ActCategory.values},
        )
        per_category = [(label, totals.pop(f"type_{value}")) for value, label in ActCategory.choices]
        per_code = list(
            BillingLine.objects.filter(act__in=acts.values("pk"))
            .values("code_id", "code__label")
            .annotate(lines=Count("pk"), amount=Sum("amount"))
            .order_by("code_id")
        )
    paginator = Paginator(
        acts.select_related("site", "commune", "use")
        .prefetch_related(Prefetch("lines", queryset=BillingLine.objects.select_related("code")))
        .order_by("-performed_on", "-pk"),
        PAGE_SIZE,
    )
    paginator.count = totals["acts"]  # already counted above: not a second pass over the period's acts
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "errors": filters.errors,
        "totals": totals,
        "per_code": per_code,
        "per_category": per_category,
        "page": page,
        "departements": list(departements_visible_to(request.user)),
        "sites": site_choices(request.user),
        "categories": ActCategory.choices,
        "sources": ActSource.choices,
    }
    return render(request, "evaluation/activity.html", context, status=400 if filters.errors else 200)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@require_permission("evaluation.view_activity")
def activity_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every act of the filters, one row each (the patient as a pseudonym), streamed."""
    filters = _filters(request)
    acts = (
        _filtered_acts(request.user, filters)
        .select_related("site", "use")
        .prefetch_related("lines")
        .order_by("performed_on", "pk")
    )
    writer = csv.writer(_Echo(), delimiter=";")
    header = [_("date"), _("type d'acte"), _("origine"), _("identifiant d'origine"), _("site"), _("commune"),
              _("usage"), _("codes"), _("montant (€)"), _("durée (minutes)"), _("RPPS du médecin"),
              _("exercice du médecin"), _("patient (pseudonyme)"), _("âge"), _("sexe"), _("commune du patient"),
              _("médecin traitant"), _("ALD"), _("compte rendu au médecin traitant")]  # fmt: skip

    def yes_no(value: bool | None) -> str:
        return "" if value is None else (_("oui") if value else _("non"))

    def rows() -> Any:
        yield "\ufeff" + writer.writerow(header)
        for act in acts.iterator(chunk_size=2000):
            yield writer.writerow([
                act.performed_on.isoformat(), act.get_category_display(), act.get_source_display(),
                act.external_id, act.site.name if act.site else "", act.commune_id,
                act.use.code if act.use else "", "+".join(line.code_id for line in act.lines.all()),
                f"{act.amount}".replace(".", ","), act.duration_minutes or "", act.doctor_rpps,
                act.get_doctor_practice_display(), act.patient_label, act.patient_age or "",
                act.patient_sex, act.patient_commune_id or "", yes_no(act.has_medecin_traitant),
                yes_no(act.is_ald), yes_no(act.report_sent_to_medecin_traitant),
            ])  # fmt: skip

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    name = f"registre-activite-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- tariffs --------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@require_permission("evaluation.view_activity")
def tariffs(request: HttpRequest) -> HttpResponse:
    """The codes and their successive tariffs; administrators open a code's next period."""
    can_manage = has_permission(request.user, "evaluation.manage_tariffs")
    errors = FieldErrors()
    typed = {"code": "", "amount": "", "valid_from": "", "source": ""}
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Seul un administrateur modifie les tarifs."))
        typed = {key: request.POST.get(key, "").strip()[:300] for key in typed}
        amount = valid_from = None
        try:
            amount = parse_amount(typed["amount"]) if typed["amount"] else None
            if amount is None:
                errors["amount"] = _("Indiquez le montant.")
        except DomainError as error:
            errors["amount"] = error.message
        try:
            valid_from = dt.date.fromisoformat(typed["valid_from"])
        except ValueError:
            errors["valid_from"] = _("Date d'effet attendue (AAAA-MM-JJ).")
        if not typed["code"]:
            errors["code"] = _("Choisissez un code.")
        if not errors and amount is not None and valid_from is not None:
            try:
                tariff = tariff_add(request.user, code=typed["code"], amount=amount, valid_from=valid_from,
                                    source=typed["source"])  # fmt: skip
                messages.success(request, _("Nouveau tarif de %(code)s : %(amount)s € à partir du %(day)s.") % {
                    "code": tariff.code_id, "amount": f"{tariff.amount}".replace(".", ","),
                    "day": tariff.valid_from.strftime("%d/%m/%Y")})  # fmt: skip
                return redirect(f"{reverse('evaluation:tariffs')}#code-{tariff.code_id}")
            except DomainError as error:
                errors[error.code if error.code in typed else "code"] = error.message
    codes = BillingCode.objects.prefetch_related(
        Prefetch("tariffs", queryset=Tariff.objects.order_by("valid_from"))
    )
    today = timezone.localdate()
    rows = []
    for code in codes:
        periods = list(code.tariffs.all())
        rows.append({
            "code": code,
            "periods": periods,
            "current": next((t for t in periods if t.valid_from <= today and (t.valid_until is None
                                                                             or today <= t.valid_until)), None),
        })  # fmt: skip
    context = {"rows": rows, "can_manage": can_manage, "errors": errors, "typed": typed, "today": today}
    return render(request, "evaluation/tariffs.html", context, status=422 if errors else 200)


# --- imports --------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@require_permission("evaluation.view_activity")
def imports(request: HttpRequest) -> HttpResponse:
    """The imports of acts, and (for coordinators) the upload form with its row-level report."""
    can_import = has_permission(request.user, "evaluation.import_acts")
    report: ActFileError | None = None
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied(_("Votre rôle ne permet pas d'importer des actes."))
        upload = request.FILES.get("fichier")
        if upload is None:
            report = ActFileError([RowError(0, "fichier", "", _("Choisissez un fichier CSV."))])
        elif upload.size and upload.size > MAX_BYTES:
            report = ActFileError([RowError(0, "fichier", "", _("Fichier trop volumineux (20 Mo au plus)."))])
        else:
            try:
                batch = act_import_create(request.user, data=upload.read(), file_name=upload.name or "")
                messages.success(request, _(
                    "Import enregistré : %(created)s acte(s) ajouté(s), %(present)s déjà présent(s)."
                ) % {"created": batch.rows_created, "present": batch.rows_already_present})  # fmt: skip
                return redirect("evaluation:imports")
            except ActFileError as error:
                report = error
    context = {
        "imports": list(act_imports_visible_to(request.user).select_related("uploaded_by")[:100]),
        "can_import": can_import,
        "report": report,
        "max_reported": MAX_REPORTED_ERRORS,
    }
    return render(request, "evaluation/imports.html", context, status=422 if report else 200)
