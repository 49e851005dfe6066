"""The charter of good practice: versions (drafted, then published; the published one is in force and frozen)
and signatures (a site, signed for by one of its staff; a professional, by themself). The referential's
criterion that checks the charter (``Criterion.checks == "charter"``, ORG-04 in version 1) cannot be answered
met while the site has not signed the version in force. Every write is audited (``charter.*``).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.core.audit import audit_record
from maille.core.errors import ConflictError, DomainError

from .models import CharterSignature, CharterVersion, VersionStatus

MAX_BODY = 20000


def published_charter() -> CharterVersion | None:
    return CharterVersion.objects.filter(status=VersionStatus.PUBLISHED).first()


def site_signature(site: Any, version: CharterVersion | None = None) -> CharterSignature | None:
    """The site's signature of ``version`` (the charter in force by default), or None."""
    version = version or published_charter()
    if version is None:
        return None
    return CharterSignature.objects.filter(version=version, site=site).select_related("signed_by").first()


def _clean(title: Any, body: Any) -> tuple[str, str]:
    title_text = " ".join(str(title or "").split())
    body_text = str(body or "").replace("\r\n", "\n").strip()
    if not title_text:
        raise DomainError(
            _("Donnez un titre à la charte."), code="title_required", details={"field": "titre"}
        )
    if len(title_text) > 200:
        raise DomainError(
            _("Le titre dépasse 200 caractères."), code="title_too_long", details={"field": "titre"}
        )
    if not body_text:
        raise DomainError(
            _("Le texte de la charte est vide."), code="body_required", details={"field": "texte"}
        )
    if len(body_text) > MAX_BODY:
        raise DomainError(
            _("Le texte dépasse %(max)s caractères.") % {"max": f"{MAX_BODY:,}".replace(",", "\u202f")},
            code="body_too_long",
            details={"field": "texte"},
        )
    return title_text, body_text


def charter_draft(user: Any, *, title: Any = "", body: Any = "") -> CharterVersion:
    """A new draft, starting from the text in force unless another is given."""
    base = published_charter()
    title_text, body_text = _clean(title or (base.title if base else ""), body or (base.body if base else ""))
    with transaction.atomic():
        number = (CharterVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                draft = CharterVersion.objects.create(
                    number=number, title=title_text, body=body_text, created_by=user
                )
        except IntegrityError:
            raise ConflictError(
                _("Une nouvelle version de la charte est déjà en préparation."), code="draft_exists"
            ) from None
        audit_record(actor=user, action="charter.draft", target=draft)
    return draft


def charter_update(user: Any, *, version: CharterVersion, title: Any, body: Any) -> CharterVersion:
    title_text, body_text = _clean(title, body)
    with transaction.atomic():
        version = CharterVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise ConflictError(
                _("La version %(number)s de la charte est %(status)s : elle ne se modifie plus.")
                % {"number": version.number, "status": version.get_status_display()},
                code="version_frozen",
            )
        version.title, version.body = title_text, body_text
        version.save(update_fields=["title", "body"])
        audit_record(actor=user, action="charter.update", target=version)
    return version


def charter_publish(user: Any, *, version: CharterVersion) -> CharterVersion:
    """Publish the draft: it is in force from now on (sites sign it again), the previous one superseded."""
    with transaction.atomic():
        version = CharterVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise ConflictError(
                _("Seul un brouillon se publie ; cette version est %(status)s.")
                % {"status": version.get_status_display()},
                code="not_a_draft",
            )
        CharterVersion.objects.filter(status=VersionStatus.PUBLISHED).update(status=VersionStatus.SUPERSEDED)
        version.status, version.published_at, version.published_by = (
            VersionStatus.PUBLISHED,
            timezone.now(),
            user,
        )
        version.save(update_fields=["status", "published_at", "published_by"])
        audit_record(actor=user, action="charter.publish", target=version)
    return version


def charter_sign(user: Any, *, site: Any = None, professional: Any = None, signatory_name: Any = "",
                 signatory_role: Any = "") -> CharterSignature:  # fmt: skip
    """Sign the charter in force for ``site`` (the caller checked the user acts for it) or as ``professional``
    (the user's own record)."""
    version = published_charter()
    if version is None:
        raise DomainError(_("Aucune charte n'est en vigueur."), code="no_charter")
    if (site is None) == (professional is None):
        raise DomainError(
            _("Signez pour un site ou en votre nom."), code="invalid_signatory", details={"field": "site"}
        )
    name = " ".join(str(signatory_name or "").split())
    if professional is not None and not name:
        name = f"{professional.first_name} {professional.last_name}".strip()
    if not name:
        raise DomainError(
            _("Indiquez le nom de la personne qui signe pour le site."),
            code="name_required",
            details={"field": "nom"},
        )
    role = " ".join(str(signatory_role or "").split())
    if len(name) > 200 or len(role) > 200:
        raise DomainError(
            _("200 caractères au plus."),
            code="too_long",
            details={"field": "nom" if len(name) > 200 else "qualite"},
        )
    try:
        with transaction.atomic():
            signature = CharterSignature.objects.create(
                version=version, site=site, professional=professional, signed_by=user,
                signatory_name=name, signatory_role=role,
            )  # fmt: skip
            audit_record(
                actor=user,
                action="charter.sign",
                target=signature,
                details={"version": version.number, "site": getattr(site, "pk", None),
                         "professional": getattr(professional, "pk", None)},
            )  # fmt: skip
    except IntegrityError:
        raise ConflictError(
            _("La charte en vigueur (version %(number)s) est déjà signée.") % {"number": version.number},
            code="already_signed",
        ) from None
    return signature
