"""Users, their roles in Maille and the scope of each role (territories or sites)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from maille.core.queries import unique_row


class User(AbstractUser):
    """Custom user model from the first migration (identity may later come from Pro Santé Connect)."""

    is_demo = models.BooleanField(_("compte de démonstration"), default=False)

    class Meta:
        verbose_name = _("utilisateur")

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Administrateur de la plateforme")
    COORDINATOR = "coordinator", _("Coordinateur territorial")
    SITE_STAFF = "site_staff", _("Personnel de site")
    REMOTE_DOCTOR = "remote_doctor", _("Médecin téléconsultant")
    OPERATOR = "operator", _("Opérateur de la plateforme téléphonique")
    EVALUATOR = "evaluator", _("Évaluateur")


TERRITORY_SCOPED_ROLES = {Role.COORDINATOR, Role.OPERATOR, Role.EVALUATOR}
SITE_SCOPED_ROLES = {Role.SITE_STAFF}
UNSCOPED_ROLES = {Role.PLATFORM_ADMIN, Role.REMOTE_DOCTOR}


class RoleGrant(models.Model):
    """A role given to a user over one scope: a territory (région, département, EPCI, CPTS) or a site.

    A platform administrator has no scope (everything); a remote doctor's scope is their own agenda and
    the sites they serve (from the directory's network roles).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "territory.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    departement = models.ForeignKey(
        "territory.Departement", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    epci = models.ForeignKey(
        "territory.Epci", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    cpts = models.ForeignKey(
        "territory.Cpts", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    site = models.ForeignKey(
        "directory.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attribution de rôle")
        verbose_name_plural = _("attributions de rôles")
        constraints = [
            models.CheckConstraint(
                name="role_grant_at_most_one_scope",
                condition=(
                    Q(region__isnull=True, departement__isnull=True, epci__isnull=True, cpts__isnull=True)
                    | Q(region__isnull=True, departement__isnull=True, epci__isnull=True, site__isnull=True)
                    | Q(region__isnull=True, departement__isnull=True, cpts__isnull=True, site__isnull=True)
                    | Q(region__isnull=True, epci__isnull=True, cpts__isnull=True, site__isnull=True)
                    | Q(departement__isnull=True, epci__isnull=True, cpts__isnull=True, site__isnull=True)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.scope_label}"

    @property
    def scope_label(self) -> str:
        target = self.region or self.departement or self.epci or self.cpts or self.site
        return str(target) if target else str(_("tout le territoire"))

    def clean(self) -> None:
        has_territory = any([self.region_id, self.departement_id, self.epci_id, self.cpts_id])
        if self.role in TERRITORY_SCOPED_ROLES and not has_territory:
            raise ValidationError(
                _("Ce rôle doit être limité à un territoire (région, département, EPCI ou CPTS).")
            )
        if self.role in SITE_SCOPED_ROLES and not self.site_id:
            raise ValidationError(_("Ce rôle doit être limité à un site."))
        if self.role in UNSCOPED_ROLES and (has_territory or self.site_id):
            raise ValidationError(_("Ce rôle ne prend pas de périmètre."))
        if self.role in TERRITORY_SCOPED_ROLES and self.site_id:
            raise ValidationError(_("Ce rôle se limite à un territoire, pas à un site."))


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def find_active(self, raw: str) -> ApiToken | None:
        """The active token (its user loaded) of a raw secret, or None; read from the tables (pages that show a
        token). The API resolves its callers through ``maille.api.auth``, which keeps them per process."""
        return unique_row(
            self.filter(key_hash=token_hash(raw), revoked_at__isnull=True).select_related("user")
        )


class ApiToken(models.Model):
    """A bearer token for an external system; it acts as its user, with that user's roles and scope.

    Only the SHA-256 of the token is stored; the token itself is shown once, at creation.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=120)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user: User, name: str, raw: str | None = None) -> tuple[ApiToken, str]:
        raw = raw or "mai_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:8], key_hash=token_hash(raw))
        return token, raw
