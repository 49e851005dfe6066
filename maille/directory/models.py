"""The directory of the telemedicine offer: organisations, sites, rooms, equipment, professionals, uses.

This is what a ROR (répertoire opérationnel des ressources) would hold for assisted teleconsultation.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from maille.core.validators import (
    validate_finess,
    validate_in_france,
    validate_phone,
    validate_rpps,
    validate_siret,
)


class OrganisationKind(models.TextChoices):
    MSP = "msp", _("Maison de santé pluriprofessionnelle")
    HEALTH_CENTRE = "centre_sante", _("Centre de santé")
    PHARMACY = "pharmacie", _("Pharmacie d'officine")
    NURSING_PRACTICE = "cabinet_infirmier", _("Cabinet infirmier")
    MEDICAL_PRACTICE = "cabinet_medical", _("Cabinet médical")
    EHPAD = "ehpad", _("EHPAD")
    HOSPITAL = "hopital", _("Hôpital / GHT")
    CPTS = "cpts", _("CPTS")
    LOCAL_AUTHORITY = "collectivite", _("Collectivité territoriale")
    FRANCE_SERVICES = "france_services", _("France Services")
    TELEMEDICINE_PRACTICE = "cabinet_telemedecine", _("Cabinet de télémédecine")
    OTHER = "autre", _("Autre")


class Organisation(models.Model):
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=24, choices=OrganisationKind.choices)
    finess = models.CharField(_("FINESS"), max_length=9, blank=True, validators=[validate_finess])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    commune = models.ForeignKey("territory.Commune", on_delete=models.PROTECT, related_name="organisations")
    cpts = models.ForeignKey(
        "territory.Cpts",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
        help_text=_("Pour une organisation de type CPTS : son périmètre."),
    )
    phone = models.CharField(_("téléphone"), max_length=16, blank=True, validators=[validate_phone])
    email = models.EmailField(_("courriel"), blank=True)
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        constraints = [
            models.UniqueConstraint(
                fields=["finess"], condition=~Q(finess=""), name="organisation_unique_finess"
            ),
            models.UniqueConstraint(
                fields=["siret"], condition=~Q(siret=""), name="organisation_unique_siret"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SiteLevel(models.TextChoices):
    """The three levels of access to care of the seeds (003: TTS model)."""

    HYPER_PROXIMITY = "hyper_proximite", _("Point d'hyper-proximité")
    MSP_2_0 = "msp_2_0", _("MSP 2.0")
    TERRITORIAL_HOUSE = "maison_sante_territoire", _("Maison de santé de territoire")


class EquipmentType(models.Model):
    code = models.SlugField(_("code"), max_length=40, primary_key=True)
    label = models.CharField(_("libellé"), max_length=120)
    is_connected_device = models.BooleanField(_("objet connecté"), default=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("type d'équipement")
        verbose_name_plural = _("types d'équipement")

    def __str__(self) -> str:
        return self.label


class Profession(models.TextChoices):
    DOCTOR = "medecin", _("Médecin")
    NURSE = "infirmier", _("Infirmier·ère")
    PHARMACIST = "pharmacien", _("Pharmacien·ne")
    MIDWIFE = "sage_femme", _("Sage-femme")
    OTHER = "autre", _("Autre professionnel")


class Specialty(models.Model):
    code = models.SlugField(_("code"), max_length=40, primary_key=True)
    label = models.CharField(_("libellé"), max_length=120)
    nos_code = models.CharField(
        _("code NOS (TRE_R38)"), max_length=10, blank=True, help_text=_("Spécialité ordinale, si connue.")
    )

    class Meta:
        ordering = ["label"]
        verbose_name = _("spécialité")

    def __str__(self) -> str:
        return self.label


class UseKind(models.TextChoices):
    GENERAL_TELECONSULTATION = "tlc_generale", _("Téléconsultation de médecine générale")
    SPECIALIST_TELECONSULTATION = "tlc_specialisee", _("Téléconsultation spécialisée")
    TELEEXPERTISE = "teleexpertise", _("Téléexpertise")
    REMOTE_MONITORING = "telesurveillance", _("Suivi de télésurveillance")
    PREVENTION = "prevention", _("Prévention et dépistage")


class Use(models.Model):
    """An entry of the catalogue of uses: what a site can offer, how long it takes, who and what it needs."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=160)
    kind = models.CharField(_("type d'usage"), max_length=24, choices=UseKind.choices)
    default_duration_minutes = models.PositiveSmallIntegerField(_("durée par défaut (minutes)"), default=20)
    remote_profession = models.CharField(
        _("profession requise à distance"),
        max_length=16,
        choices=Profession.choices,
        default=Profession.DOCTOR,
    )
    remote_specialty = models.ForeignKey(
        Specialty,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("spécialité requise à distance"),
    )
    assisting_professions = models.JSONField(
        _("professions d'assistance admises"),
        default=list,
        blank=True,
        help_text=_(
            "Codes de profession admis pour assister le patient sur site (vide : aucune assistance)."
        ),
    )
    required_equipment = models.ManyToManyField(
        EquipmentType, blank=True, related_name="uses", verbose_name=_("équipement requis")
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("usage")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = set(self.assisting_professions) - set(Profession.values)
        if unknown:
            raise ValidationError(
                {"assisting_professions": _("Profession inconnue : %s") % ", ".join(sorted(unknown))}
            )


class SiteQuerySet(models.QuerySet["Site"]):
    def active(self) -> SiteQuerySet:
        return self.filter(is_active=True)

    def with_directory_relations(self) -> SiteQuerySet:
        """Everything the directory list and API show, in a constant number of queries."""
        return self.select_related("commune__departement", "host_organisation").prefetch_related(
            "uses", "rooms__equipment"
        )


class Site(models.Model):
    """A place of assisted teleconsultation (in a pharmacy, an MSP, a town hall…)."""

    name = models.CharField(_("nom"), max_length=200)
    host_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sites", verbose_name=_("structure d'accueil")
    )
    level = models.CharField(_("niveau"), max_length=32, choices=SiteLevel.choices)
    commune = models.ForeignKey("territory.Commune", on_delete=models.PROTECT, related_name="sites")
    address = models.CharField(_("adresse"), max_length=250)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    reduced_mobility_access = models.BooleanField(
        _("accessible aux personnes à mobilité réduite"), default=False
    )
    public_phone = models.CharField(
        _("téléphone public"), max_length=16, blank=True, validators=[validate_phone]
    )
    public_email = models.EmailField(_("courriel public"), blank=True)
    access_notes = models.TextField(_("informations pratiques"), blank=True)
    uses = models.ManyToManyField(
        Use, through="SiteUse", related_name="sites", verbose_name=_("usages proposés")
    )
    is_active = models.BooleanField(_("actif"), default=True)
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("site de téléconsultation")
        verbose_name_plural = _("sites de téléconsultation")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.latitude is not None and self.longitude is not None:
            try:
                validate_in_france(self.latitude, self.longitude)
            except ValidationError as error:
                raise ValidationError({"latitude": error.messages}) from error


class SiteUse(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="site_uses")
    use = models.ForeignKey(Use, on_delete=models.PROTECT, related_name="site_uses")
    is_active = models.BooleanField(_("actif"), default=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée sur ce site (minutes)"),
        null=True,
        blank=True,
        help_text=_("Vide : durée par défaut de l'usage."),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "use"], name="site_use_unique")]
        verbose_name = _("usage proposé")
        verbose_name_plural = _("usages proposés")

    def __str__(self) -> str:
        return f"{self.site} — {self.use}"


class RoomQuerySet(models.QuerySet["Room"]):
    def bookable(self) -> RoomQuerySet:
        return self.filter(is_bookable=True)

    def equipped_for(self, use: Use) -> RoomQuerySet:
        """Rooms holding every piece of equipment the use requires (every room when it requires none).

        The one implementation of this rule: the slot engine's resource cache reads rooms through it, and
        every booking check (pages, API, FHIR) goes through the engine.
        """
        required = list(use.required_equipment.values_list("pk", flat=True))
        if not required:
            return self
        return self.annotate(
            required_equipment_held=Count("equipment", filter=Q(equipment__in=required), distinct=True)
        ).filter(required_equipment_held=len(required))


class Room(models.Model):
    """A bookable room (cabin, office) of a site, with its equipment."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("nom"), max_length=120)
    equipment = models.ManyToManyField(
        EquipmentType, blank=True, related_name="rooms", verbose_name=_("équipement")
    )
    is_bookable = models.BooleanField(_("réservable"), default=True)
    notes = models.CharField(_("remarques"), max_length=250, blank=True)

    objects = RoomQuerySet.as_manager()

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="room_unique_name_per_site")]
        verbose_name = _("salle")

    def __str__(self) -> str:
        return f"{self.site} — {self.name}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")


class OpeningHours(models.Model):
    """Public opening hours of a site, in local wall-clock time (several ranges per day allowed)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    opens = models.TimeField(_("ouverture"))
    closes = models.TimeField(_("fermeture"))

    class Meta:
        ordering = ["site", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="opening_hours_order")
        ]
        verbose_name = _("horaire d'ouverture")
        verbose_name_plural = _("horaires d'ouverture")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Sex(models.TextChoices):
    FEMALE = "F", _("femme")
    MALE = "M", _("homme")
    OTHER = "X", _("autre / non précisé")


class Professional(models.Model):
    last_name = models.CharField(_("nom"), max_length=120)
    first_name = models.CharField(_("prénom"), max_length=120)
    rpps = models.CharField(_("RPPS"), max_length=11, unique=True, validators=[validate_rpps])
    profession = models.CharField(_("profession"), max_length=16, choices=Profession.choices)
    specialty = models.ForeignKey(
        Specialty, null=True, blank=True, on_delete=models.PROTECT, related_name="professionals"
    )
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, default=Sex.OTHER)
    languages = models.JSONField(
        _("langues parlées"), default=list, blank=True, help_text=_("Codes ISO 639-1")
    )
    phone = models.CharField(_("téléphone"), max_length=16, blank=True, validators=[validate_phone])
    email = models.EmailField(_("courriel"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="professional",
        verbose_name=_("compte utilisateur"),
    )
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("professionnel")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def idnat_ps(self) -> str:
        """National identifier of a professional: "8" + RPPS."""
        return "8" + self.rpps


class NetworkRoleKind(models.TextChoices):
    REMOTE_DOCTOR = "medecin_distant", _("Médecin téléconsultant")
    ASSISTANT = "assistant", _("Professionnel assistant (téléassistant)")
    COORDINATOR = "coordinateur", _("Coordinateur")


class NetworkRoleQuerySet(models.QuerySet["NetworkRole"]):
    def active(self) -> NetworkRoleQuerySet:
        return self.filter(is_active=True)

    def remote_doctors(self) -> NetworkRoleQuerySet:
        return self.filter(kind=NetworkRoleKind.REMOTE_DOCTOR)

    def assistants(self) -> NetworkRoleQuerySet:
        return self.filter(kind=NetworkRoleKind.ASSISTANT)


class NetworkRole(models.Model):
    """A professional's role in the network: a remote doctor attached to a cabinet de télémédecine and
    serving sites; an assisting nurse or pharmacist at sites; a coordinator of an organisation.
    Maps to a FHIR PractitionerRole."""

    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="network_roles")
    kind = models.CharField(_("rôle"), max_length=20, choices=NetworkRoleKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="network_roles",
        help_text=_("Cabinet de télémédecine d'un médecin téléconsultant ; structure d'un coordinateur."),
    )
    sites = models.ManyToManyField(Site, blank=True, related_name="network_roles", verbose_name=_("sites"))
    is_active = models.BooleanField(_("actif"), default=True)
    start_date = models.DateField(_("début"), null=True, blank=True)
    end_date = models.DateField(_("fin"), null=True, blank=True)

    objects = NetworkRoleQuerySet.as_manager()

    class Meta:
        ordering = ["professional", "kind"]
        verbose_name = _("rôle dans le réseau")
        verbose_name_plural = _("rôles dans le réseau")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(start_date__lte=models.F("end_date")),
                name="network_role_dates_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.professional} — {self.get_kind_display()}"

    def clean(self) -> None:
        profession = self.professional.profession if self.professional_id else None
        if self.kind == NetworkRoleKind.REMOTE_DOCTOR and profession not in {
            Profession.DOCTOR,
            Profession.MIDWIFE,
        }:
            raise ValidationError(_("Un médecin téléconsultant doit être médecin ou sage-femme."))
        if self.kind == NetworkRoleKind.ASSISTANT and profession == Profession.DOCTOR:
            raise ValidationError(_("Un téléassistant est infirmier·ère, pharmacien·ne ou sage-femme."))
        if (
            self.kind == NetworkRoleKind.REMOTE_DOCTOR
            and self.organisation is not None
            and self.organisation.kind != OrganisationKind.TELEMEDICINE_PRACTICE
        ):
            raise ValidationError(_("Un médecin téléconsultant est rattaché à un cabinet de télémédecine."))
