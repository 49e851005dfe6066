"""The activity ledger: billing codes and their tariffs over time, every completed act with its billing lines,
and the imports of acts done outside Maille.

A tariff is data with an effective period, never a constant: an act is priced by the tariff in force on the
day it was performed, and its billing lines keep the amount, so a later change of tariff never rewrites
history. Acts carry the patient's attributes that indicators need, pseudonymised (a keyed hash, no identity).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from maille.directory.models import Profession, Sex


def pseudonym_label(value: int) -> str:
    return f"{value & 0xFFFFFFFFFFFFFFFF:016x}"


class ActCategory(models.TextChoices):
    TELECONSULTATION = "teleconsultation", _("Téléconsultation")
    TELEEXPERTISE = "teleexpertise", _("Téléexpertise")
    TELEMONITORING = "telesurveillance", _("Télésurveillance")
    PREVENTION = "prevention", _("Prévention et dépistage à distance")
    IN_PERSON = "presentiel", _("Consultation en présentiel")


# Acts of telehealth (the regional indicators' "actes de télésanté"); in-person consultations are in the
# ledger only as the denominator of the doctors' appropriation rate.
TELEHEALTH_CATEGORIES = (
    ActCategory.TELECONSULTATION,
    ActCategory.TELEEXPERTISE,
    ActCategory.TELEMONITORING,
    ActCategory.PREVENTION,
)


class BillingRole(models.TextChoices):
    """Who bills the code in an act."""

    REMOTE = "distant", _("professionnel à distance (téléconsultant, requis)")
    REQUESTER = "requerant", _("professionnel requérant (téléexpertise)")
    ASSISTANT = "accompagnant", _("professionnel qui accompagne le patient")
    IN_PERSON = "presentiel", _("médecin en présentiel")


class BillingCode(models.Model):
    """A code of the NGAP (or of a convention) that an act of the network may bill."""

    code = models.CharField(_("code"), max_length=8, primary_key=True)
    label = models.CharField(_("libellé"), max_length=200)
    category = models.CharField(_("type d'acte"), max_length=20, choices=ActCategory.choices)
    role = models.CharField(_("facturé par"), max_length=16, choices=BillingRole.choices)
    professions = models.JSONField(_("professions"), default=list)  # Profession values allowed to bill it
    snds_code = models.CharField(_("code prestation SNDS (PS5)"), max_length=8, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    # A forfait is paid per professional and year, not per act (the pharmacist's equipment and activity
    # forfaits): the cost model computes it from the ledger; an act never bills it.
    is_forfait = models.BooleanField(_("forfait (pas un acte)"), default=False)
    forfait_acts_per_tranche = models.PositiveSmallIntegerField(
        _("actes par tranche"),
        null=True,
        blank=True,
        help_text=_("Forfait d'activité : une tranche par N actes."),
    )
    forfait_yearly_cap = models.DecimalField(
        _("plafond annuel (€)"), max_digits=9, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("code de facturation")
        verbose_name_plural = _("codes de facturation")

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class Tariff(models.Model):
    """The amount of a code over a period (``valid_until`` empty: still in force)."""

    code = models.ForeignKey(BillingCode, on_delete=models.PROTECT, related_name="tariffs")
    amount = models.DecimalField(_("montant (€)"), max_digits=8, decimal_places=2)
    valid_from = models.DateField(_("en vigueur du"))
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "valid_from"]
        verbose_name = _("tarif")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "valid_from"], name="evaluation_tariff_one_start_per_code"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="evaluation_tariff_period_in_order",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="evaluation_tariff_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code_id} {self.amount} € ({self.valid_from}→{self.valid_until or '…'})"


class ActSource(models.TextChoices):
    BOOKING = "rdv", _("rendez-vous Maille")
    IMPORT = "import", _("import")


class DoctorPractice(models.TextChoices):
    """How the doctor practises (the appropriation rate counts liberal doctors and health centres)."""

    LIBERAL = "liberal", _("libéral")
    HEALTH_CENTRE = "centre_sante", _("centre de santé")
    SALARIED = "salarie", _("salarié (hôpital, autre)")


class ActImport(models.Model):
    """A file of acts done outside Maille, imported whole (one bad row and nothing is saved)."""

    file_name = models.CharField(_("fichier"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    rows_created = models.PositiveIntegerField(_("actes ajoutés"), default=0)
    rows_already_present = models.PositiveIntegerField(_("actes déjà présents"), default=0)
    first_day = models.DateField(_("premier acte"), null=True, blank=True)
    last_day = models.DateField(_("dernier acte"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import d'actes")

    def __str__(self) -> str:
        return self.file_name or f"import {self.pk}"


class Act(models.Model):
    """One act performed (a teleconsultation, a téléexpertise…, or an in-person consultation imported for the
    appropriation rate), with what indicators need and nothing that identifies the patient."""

    source = models.CharField(_("origine"), max_length=8, choices=ActSource.choices)
    appointment = models.OneToOneField(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="act"
    )
    batch = models.ForeignKey(ActImport, null=True, blank=True, on_delete=models.PROTECT, related_name="acts")
    external_id = models.CharField(_("identifiant d'origine"), max_length=64, blank=True)
    performed_on = models.DateField(_("date de l'acte"))
    performed_at = models.DateTimeField(_("heure de l'acte"), null=True, blank=True)
    category = models.CharField(_("type d'acte"), max_length=20, choices=ActCategory.choices)
    site = models.ForeignKey(
        "directory.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="acts"
    )
    # Where the act took place (the site's commune; the practice's for an in-person consultation): the scope.
    commune = models.ForeignKey("territory.Commune", on_delete=models.PROTECT, related_name="acts")
    use = models.ForeignKey(
        "directory.Use", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    doctor = models.ForeignKey(
        "directory.Professional",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="acts_as_doctor",
    )
    doctor_rpps = models.CharField(_("RPPS du médecin"), max_length=11, blank=True, db_index=True)
    doctor_practice = models.CharField(
        _("exercice du médecin"),
        max_length=16,
        choices=DoctorPractice.choices,
        default=DoctorPractice.LIBERAL,
    )
    assistant = models.ForeignKey(
        "directory.Professional",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="acts_assisted",
    )
    assistant_profession = models.CharField(
        _("profession de l'accompagnant"), max_length=16, choices=Profession.choices, blank=True
    )
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), null=True, blank=True)
    booked_at = models.DateTimeField(_("rendez-vous pris le"), null=True, blank=True)
    # Days from booking to the act (0: the same day), kept for the delay indicators' median and 90th percentile.
    booking_delay_days = models.PositiveSmallIntegerField(_("délai (jours)"), null=True, blank=True)
    declared_code = models.CharField(_("acte déclaré"), max_length=40, blank=True)
    # The patient, pseudonymised: a keyed hash (settings.EVALUATION_PSEUDONYM_KEY), and attributes only.
    patient_pseudonym = models.BigIntegerField(db_index=True)  # 64 bits of the keyed hash (counted distinct)
    patient_commune = models.ForeignKey(
        "territory.Commune", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient_sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, default=Sex.OTHER)
    patient_age = models.PositiveSmallIntegerField(_("âge à la date de l'acte"), null=True, blank=True)
    has_medecin_traitant = models.BooleanField(_("a un médecin traitant"), null=True, blank=True)
    is_ald = models.BooleanField(_("en ALD"), default=False)
    report_sent_to_medecin_traitant = models.BooleanField(
        _("compte rendu envoyé au médecin traitant"), default=False
    )
    amount = models.DecimalField(_("montant facturé (€)"), max_digits=9, decimal_places=2, default=0)
    unpriced_lines = models.PositiveSmallIntegerField(default=0)  # lines without a tariff in force that day
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-performed_on", "-pk"]
        verbose_name = _("acte")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="evaluation_act_external_id_once"
            ),
            models.CheckConstraint(
                condition=Q(source=ActSource.BOOKING, appointment__isnull=False)
                | Q(source=ActSource.IMPORT, batch__isnull=False),
                name="evaluation_act_has_its_origin",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True)
                | Q(duration_minutes__gte=1, duration_minutes__lte=240),
                name="evaluation_act_duration_possible",
            ),
        ]
        indexes = [
            models.Index(fields=["performed_on", "category"], name="evaluation_act_day_category"),
            models.Index(fields=["site", "performed_on"], name="evaluation_act_site_day"),
            models.Index(fields=["commune", "performed_on"], name="evaluation_act_commune_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.performed_on}"

    @property
    def patient_label(self) -> str:
        """The pseudonym as shown on pages and in files (16 hexadecimal characters)."""
        return pseudonym_label(self.patient_pseudonym)


class BillingLine(models.Model):
    """One code billed for an act, priced by the tariff in force on the act's day (the amount is kept)."""

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="lines")
    code = models.ForeignKey(BillingCode, on_delete=models.PROTECT, related_name="+")
    tariff = models.ForeignKey(Tariff, null=True, blank=True, on_delete=models.PROTECT, related_name="lines")
    amount = models.DecimalField(_("montant (€)"), max_digits=8, decimal_places=2, null=True, blank=True)
    professional_rpps = models.CharField(max_length=11, blank=True)

    class Meta:
        ordering = ["act", "pk"]
        verbose_name = _("ligne de facturation")

    def __str__(self) -> str:
        return f"{self.code_id} {self.amount if self.amount is not None else '—'} €"


# --- satisfaction surveys ----------------------------------------------------------------------------------
class SurveyKind(models.TextChoices):
    PATIENT = "patient", _("patients")
    PROFESSIONAL = "professionnel", _("professionnels assistants")


class SurveyCampaign(models.Model):
    """A round of the assisting professionals' survey, launched by a coordinator for the sites of a territory."""

    title = models.CharField(_("titre"), max_length=120)
    departement = models.ForeignKey(
        "territory.Departement", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Vide : tout le périmètre de la personne qui l'a lancée."),
    )  # fmt: skip
    opens_on = models.DateField(_("ouverte le"))
    closes_on = models.DateField(_("close le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)

    class Meta:
        ordering = ["-opens_on", "-pk"]
        verbose_name = _("enquête auprès des professionnels")
        verbose_name_plural = _("enquêtes auprès des professionnels")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="evaluation_campaign_dates_in_order"
            )
        ]

    def __str__(self) -> str:
        return self.title


class SurveyInvitation(models.Model):
    """An invitation to answer one survey once: after a teleconsultation (patients) or in a campaign
    (professionals). It knows who was invited, so that nobody is asked too often and nobody answers twice; the
    answer itself (``SurveyResponse``) keeps no link to it: results are anonymous."""

    kind = models.CharField(_("enquête"), max_length=16, choices=SurveyKind.choices)
    # SHA-256 of the random token of the link (the link itself is only in the message sent)
    token_hash = models.CharField(max_length=64, unique=True)
    site = models.ForeignKey("directory.Site", on_delete=models.PROTECT, related_name="+")
    use = models.ForeignKey(
        "directory.Use", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("mois"))  # the month the answer counts in (first day)
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_invitation",
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    campaign = models.ForeignKey(
        SurveyCampaign, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    professional = models.ForeignKey(
        "directory.Professional", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    profession = models.CharField(_("profession"), max_length=16, choices=Profession.choices, blank=True)
    message = models.OneToOneField(
        "notifications.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("valable jusqu'au"))
    answered_on = models.DateField(_("répondu le"), null=True, blank=True)  # the day only
    # handed to the patient at the site (a QR code, a slip, the room's device) rather than sent by the outbox
    handed_at_site = models.BooleanField(_("remis sur le site"), default=False)
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation à un questionnaire")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "professional"],
                condition=Q(campaign__isnull=False),
                name="evaluation_invitation_once_per_campaign",
            ),
            models.CheckConstraint(
                condition=Q(kind="patient", appointment__isnull=False, campaign__isnull=True)
                | Q(kind="professionnel", campaign__isnull=False, professional__isnull=False),
                name="evaluation_invitation_has_its_origin",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "month", "site"], name="evaluation_invitation_month"),
            models.Index(fields=["patient", "created_at"], name="evaluation_invitation_patient"),
        ]

    def __str__(self) -> str:
        return f"invitation #{self.pk} ({self.get_kind_display()})"


class SurveyResponse(models.Model):
    """One answer, anonymous: its site, use, month (and profession, campaign) and the answers, nothing that
    leads back to an invitation, a patient or an appointment — not even its order (a random primary key, no
    time of answer)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("enquête"), max_length=16, choices=SurveyKind.choices)
    site = models.ForeignKey("directory.Site", on_delete=models.PROTECT, related_name="+")
    use = models.ForeignKey(
        "directory.Use", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("mois"))
    campaign = models.ForeignKey(
        SurveyCampaign, null=True, blank=True, on_delete=models.CASCADE, related_name="responses"
    )
    profession = models.CharField(_("profession"), max_length=16, choices=Profession.choices, blank=True)
    score = models.PositiveSmallIntegerField(_("note sur 10"))
    # patients: why this mode (several reasons may be ticked) and how easy booking was (1 to 4, 4 = very easy)
    reason_no_gp = models.BooleanField(default=False)
    reason_gp_unavailable = models.BooleanField(default=False)
    reason_sooner = models.BooleanField(default=False)
    reason_closer = models.BooleanField(default=False)
    reason_advised = models.BooleanField(default=False)
    reason_other = models.BooleanField(default=False)
    booking_ease = models.PositiveSmallIntegerField(null=True, blank=True)
    # professionals (1 to 4, 4 = the most favourable answer)
    equipment_ease = models.PositiveSmallIntegerField(null=True, blank=True)
    doctor_collaboration = models.PositiveSmallIntegerField(null=True, blank=True)
    meets_patient_needs = models.PositiveSmallIntegerField(null=True, blank=True)
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)

    class Meta:
        verbose_name = _("réponse à un questionnaire")
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=10), name="evaluation_response_score_0_10"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1, f"{name}__lte": 4}),
                    name=f"evaluation_response_{name}_1_4",
                )
                for name in ("booking_ease", "equipment_ease", "doctor_collaboration", "meets_patient_needs")
            ],
        ]
        indexes = [models.Index(fields=["kind", "month", "site"], name="evaluation_response_month")]

    def __str__(self) -> str:
        return f"réponse ({self.get_kind_display()}, {self.month:%m/%Y})"


# --- the cost and funding model ---------------------------------------------------------------------------
class CostNature(models.TextChoices):
    """The seeds' split (recommendation 3): care is paid by the Assurance Maladie's acts and forfaits; access to
    care (premises, coordination, transport…) is what local authorities and partners may fund."""

    CARE = "soin", _("soin")
    ACCESS = "acces", _("accès aux soins")


class CostCategory(models.TextChoices):
    ROOMS = "locaux", _("locaux (salle de téléconsultation)")
    EQUIPMENT = "equipement", _("équipement et son amortissement")
    CONNECTIVITY = "connexion", _("connexion et abonnements")
    ASSISTING_TIME = "temps_assistant", _("temps d'assistance non couvert par les actes")
    COORDINATION = "coordination", _("coordination et secrétariat")
    ANIMATION = "animation", _("animation territoriale")
    TRAINING = "formation", _("formation")
    EVALUATION = "evaluation", _("temps d'évaluation")
    TRANSPORT = "transport", _("transport et mobilité des patients")
    COMMUNICATION = "communication", _("communication")
    OTHER = "autre", _("autre")


class Funder(models.TextChoices):
    ASSURANCE_MALADIE = "assurance_maladie", _("Assurance Maladie (hors actes)")
    ARS = "ars", _("ARS (FIR)")
    REGION = "region", _("Région")
    DEPARTEMENT = "departement", _("Département")
    EPCI = "epci", _("Intercommunalité")
    COMMUNE = "commune", _("Communes")
    CPTS = "cpts", _("CPTS")
    OTHER = "autre", _("Autre financeur")


# Local authorities: the levels whose share of access to care the model shows (and per inhabitant).
LOCAL_AUTHORITIES = (Funder.REGION, Funder.DEPARTEMENT, Funder.EPCI, Funder.COMMUNE)


class CostScenario(models.Model):
    """A budget over several years for a territory's network: its sites and their activity, cost lines and
    funding lines; the Assurance Maladie's acts are computed from the activity and the tariffs."""

    name = models.CharField(_("nom"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    departement = models.ForeignKey("territory.Departement", on_delete=models.PROTECT, related_name="+")
    first_year = models.PositiveSmallIntegerField(_("première année"))
    years = models.PositiveSmallIntegerField(_("nombre d'années"))
    diagnosis_scenario = models.ForeignKey(
        "diagnosis.Scenario", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("scénario de planification"),
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_fictional = models.BooleanField(_("fictif (démonstration)"), default=False)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("scénario de coûts et de financement")
        constraints = [
            models.CheckConstraint(
                condition=Q(years__gte=1, years__lte=10), name="evaluation_cost_years_1_10"
            ),
            models.CheckConstraint(
                condition=Q(first_year__gte=2000, first_year__lte=2100), name="evaluation_cost_first_year"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def year_list(self) -> list[int]:
        return list(range(self.first_year, self.first_year + self.years))


class CostSite(models.Model):
    """A site of a cost scenario: a directory site or an envisaged one, with its expected activity."""

    scenario = models.ForeignKey(CostScenario, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("nom"), max_length=200)
    site = models.ForeignKey(
        "directory.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opening_year = models.PositiveSmallIntegerField(_("ouverture"))
    teleconsultations_per_year = models.PositiveIntegerField(_("téléconsultations par an"))
    assisting_profession = models.CharField(
        _("profession qui assiste"), max_length=16, choices=Profession.choices, default=Profession.NURSE
    )
    assistant_hours_per_week = models.DecimalField(
        _("heures d'assistance par semaine"), max_digits=6, decimal_places=1, default=0
    )

    class Meta:
        ordering = ["scenario", "name", "pk"]
        verbose_name = _("site d'un scénario de coûts")

    def __str__(self) -> str:
        return self.name


class CostLine(models.Model):
    """A cost of the scenario, per year (euros), at one site or for the whole network."""

    scenario = models.ForeignKey(CostScenario, on_delete=models.CASCADE, related_name="cost_lines")
    site = models.ForeignKey(
        CostSite, null=True, blank=True, on_delete=models.CASCADE, related_name="cost_lines"
    )
    category = models.CharField(_("poste"), max_length=20, choices=CostCategory.choices)
    nature = models.CharField(_("nature"), max_length=8, choices=CostNature.choices)
    label = models.CharField(_("libellé"), max_length=200)
    amounts = models.JSONField(
        _("montants par année"), default=list
    )  # decimal strings, one per scenario year

    class Meta:
        ordering = ["scenario", "pk"]
        verbose_name = _("ligne de coût")

    def __str__(self) -> str:
        return self.label


class FundingLine(models.Model):
    """A funding of the scenario, per year (euros): a subsidy, a decreasing start-up grant, an incentive…"""

    scenario = models.ForeignKey(CostScenario, on_delete=models.CASCADE, related_name="funding_lines")
    funder = models.CharField(_("financeur"), max_length=20, choices=Funder.choices)
    nature = models.CharField(_("finance"), max_length=8, choices=CostNature.choices)
    label = models.CharField(_("libellé"), max_length=200)
    amounts = models.JSONField(_("montants par année"), default=list)

    class Meta:
        ordering = ["scenario", "pk"]
        verbose_name = _("ligne de financement")

    def __str__(self) -> str:
        return self.label


class IndicatorMonth(models.Model):
    """A past month whose indicator cells are stored, and the highest rows they include: an act, appointment or
    transition written since with a higher id in that month makes the month stale (``cells.py``)."""

    month = models.DateField(unique=True)  # its first day
    acts_up_to = models.BigIntegerField()
    appointments_up_to = models.BigIntegerField()
    transitions_up_to = models.BigIntegerField()
    built_at = models.DateTimeField()
    build_seconds = models.FloatField(default=0)
    outcomes_settled = models.BooleanField(default=False)  # the appointments counted again after the build

    class Meta:
        verbose_name = _("mois d'indicateurs calculé")

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")


class IndicatorCell(models.Model):
    """What the indicators need of one month's acts at one commune and site, summed or kept as sets.

    Additive figures are counts; distinct counts keep their members (patients' 64-bit pseudonyms as sorted
    little-endian int64 bytes, doctors' RPPS) so that any union of cells counts each one once."""

    month = models.DateField()
    commune = models.ForeignKey("territory.Commune", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("directory.Site", null=True, on_delete=models.CASCADE, related_name="+")
    figures = models.JSONField(default=dict)  # counts, and delays (days → telehealth acts)
    # Members and pairs as little-endian int64 arrays (``cells.py``): cheaper to read than JSON lists.
    patients = models.BinaryField(default=b"")  # telehealth acts' patients
    ald_patients = models.BinaryField(default=b"")  # patients of any act in ALD
    doctors = models.BinaryField(default=b"")  # the appropriation rate's consulting doctors (RPPS as numbers)
    teleconsulting_doctors = models.BinaryField(default=b"")
    trips = models.BinaryField(default=b"")  # (patient's commune as a number, teleconsultations), site known
    # the ledger page's, read only there: categories (kind → [acts, cents]) and codes (code → [lines, cents])
    ledger = models.JSONField(default=dict)
    all_patients = models.BinaryField(default=b"")  # patients of every act

    class Meta:
        indexes = [models.Index(fields=["month", "commune"], name="evaluation_cell_month_commune")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.commune_id} {self.site_id or '-'}"


class OutcomeCell(models.Model):
    """The appointments due in one month at one site: completed, no-shows, cancelled (late), minutes held."""

    month = models.DateField()
    site = models.ForeignKey("directory.Site", on_delete=models.CASCADE, related_name="+")
    completed = models.IntegerField(default=0)
    no_show = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    cancelled_late = models.IntegerField(default=0)
    held_minutes = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month", "site"], name="evaluation_outcome_month_site")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.site_id}"


class IndicatorWatermark(models.Model):
    """The highest act, appointment and transition ids at a housekeeping pass. Once old enough that every
    transaction then in flight has committed, the marks of stored months found unchanged are raised to it, so
    that looking for changes reads only recent rows."""

    taken_at = models.DateTimeField(db_index=True)
    acts_up_to = models.BigIntegerField()
    appointments_up_to = models.BigIntegerField()
    transitions_up_to = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M}"
