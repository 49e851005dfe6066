"""The territory: régions, départements, EPCI, communes (with the official APL baseline) and CPTS.

Natural codes are primary keys (INSEE codes, SIREN of EPCI): importers upsert by code, links survive
re-imports, and URLs and API filters use the codes people know.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from maille.core.validators import validate_insee_commune

SOUS_DENSE_APL_THRESHOLD = 2.5  # consultations per standardised inhabitant per year (arrêté 13/11/2017)


class Region(models.Model):
    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=120)

    class Meta:
        ordering = ["code"]
        verbose_name = _("région")

    def __str__(self) -> str:
        return self.name


class Departement(models.Model):
    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=120)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departements")

    class Meta:
        ordering = ["code"]
        verbose_name = _("département")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Epci(models.Model):
    siren = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=8, help_text=_("CC, CA, CU, METRO, MET69…"))
    population = models.PositiveIntegerField(_("population municipale"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("EPCI")
        verbose_name_plural = _("EPCI")

    def __str__(self) -> str:
        return self.name


class CommuneQuerySet(models.QuerySet["Commune"]):
    def in_departements(self, codes: list[str]) -> CommuneQuerySet:
        return self.filter(departement_id__in=codes)

    def sous_denses(self) -> CommuneQuerySet:
        return self.filter(apl_gp__lt=SOUS_DENSE_APL_THRESHOLD)

    def with_coordinates(self) -> CommuneQuerySet:
        return self.filter(latitude__isnull=False, longitude__isnull=False)


class Commune(models.Model):
    code = models.CharField(
        _("code INSEE"), max_length=5, primary_key=True, validators=[validate_insee_commune]
    )
    name = models.CharField(_("nom"), max_length=200, db_index=True)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    epci = models.ForeignKey(Epci, null=True, blank=True, on_delete=models.SET_NULL, related_name="communes")
    postal_codes = models.JSONField(_("codes postaux"), default=list, blank=True)
    population = models.PositiveIntegerField(_("population municipale"), null=True, blank=True)
    population_standardised = models.FloatField(
        _("population standardisée"),
        null=True,
        blank=True,
        help_text=_("Population pondérée par la consommation de soins par âge (DREES)."),
    )
    area_km2 = models.FloatField(_("superficie (km²)"), null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    centroid_source = models.CharField(_("source du centroïde"), max_length=40, blank=True)
    apl_gp = models.FloatField(
        _("APL médecins généralistes"),
        null=True,
        blank=True,
        help_text=_("Consultations accessibles par habitant standardisé et par an (DREES)."),
    )
    apl_gp_under65 = models.FloatField(
        _("APL médecins généralistes de moins de 65 ans"), null=True, blank=True
    )
    apl_year = models.PositiveSmallIntegerField(_("année de l'APL"), null=True, blank=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("commune")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="commune_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(population_standardised__isnull=True) | Q(population_standardised__gte=0),
                name="commune_population_standardised_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_sous_dense(self) -> bool | None:
        return None if self.apl_gp is None else self.apl_gp < SOUS_DENSE_APL_THRESHOLD


class FormerCommune(models.Model):
    """A commune code no longer current (merged into a commune nouvelle), with the commune that absorbed it
    according to the official geographic code (``anciensCodes`` of the current commune, or ``chefLieu`` of
    a delegated or associated commune).

    Data published on an older geography (the DREES APL workbook) keeps its rows for such codes: their
    published values are kept here, shown beside the absorbing commune, never averaged into it.
    """

    code = models.CharField(_("ancien code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=200, blank=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="former_communes", verbose_name=_("commune actuelle")
    )
    apl_gp = models.FloatField(_("APL médecins généralistes publiée"), null=True, blank=True)
    apl_gp_under65 = models.FloatField(_("APL de moins de 65 ans publiée"), null=True, blank=True)
    population_standardised = models.FloatField(_("population standardisée publiée"), null=True, blank=True)
    apl_year = models.PositiveSmallIntegerField(_("année de l'APL"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("ancienne commune")
        verbose_name_plural = _("anciennes communes")

    def __str__(self) -> str:
        return f"{self.name or self.code} ({self.code} → {self.commune_id})"


class CommuneGeometry(models.Model):
    """A commune outline kept for maps: simplified GeoJSON geometry, coordinates rounded."""

    commune = models.OneToOneField(
        Commune, primary_key=True, on_delete=models.CASCADE, related_name="geometry"
    )
    geojson = models.JSONField(_("géométrie GeoJSON simplifiée"))
    source = models.CharField(max_length=80, blank=True)

    class Meta:
        verbose_name = _("contour de commune")
        verbose_name_plural = _("contours de communes")

    def __str__(self) -> str:
        return f"{self.commune_id}"


class Cpts(models.Model):
    """A Communauté professionnelle territoriale de santé and its perimeter (a set of communes)."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    departement = models.ForeignKey(
        Departement, on_delete=models.PROTECT, related_name="cpts", help_text=_("Département principal")
    )
    communes = models.ManyToManyField(Commune, related_name="cpts", blank=True, verbose_name=_("périmètre"))
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("CPTS")
        verbose_name_plural = _("CPTS")

    def __str__(self) -> str:
        return self.name


class AplParameter(models.Model):
    """One row of the DREES APL ``Paramètres`` sheet, for one year.

    tables: ``activite_actes_annuels`` (activity caps), ``decroissance_distance`` (distance-decay weight
    per travel-time band, ``upper_minutes`` is the band's upper bound, None for "beyond"),
    ``poids_age`` (consumption weight per five-year age band).
    """

    class Table(models.TextChoices):
        ACTIVITY = "activite_actes_annuels", _("plafonds d'activité")
        DISTANCE = "decroissance_distance", _("décroissance avec la distance")
        AGE = "poids_age", _("poids par âge")

    year = models.PositiveSmallIntegerField(_("année"))
    table = models.CharField(max_length=40, choices=Table.choices)
    rank = models.PositiveSmallIntegerField(_("rang"))
    label = models.CharField(_("classe"), max_length=80)
    value = models.FloatField(_("valeur"), null=True, blank=True)
    value_text = models.CharField(_("valeur (texte)"), max_length=40, blank=True)
    lower_bound = models.FloatField(_("borne basse"), null=True, blank=True)
    upper_bound = models.FloatField(_("borne haute"), null=True, blank=True)

    class Meta:
        ordering = ["year", "table", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["year", "table", "rank"], name="apl_parameter_unique_rank")
        ]
        verbose_name = _("paramètre APL")
        verbose_name_plural = _("paramètres APL")

    def __str__(self) -> str:
        return f"{self.year} {self.table} {self.label}"
