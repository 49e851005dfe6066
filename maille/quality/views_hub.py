"""The quality hub: one entry in the navigation for the quality pages, each shown to whom it serves."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from maille.accounts.permissions import has_permission, require_permission

# (route, title, permission, what it is for)
QUALITY_PAGES = [
    ("quality:assessments", _("Auto-évaluations"), "quality.view_assessments",
     _("Mesurer un site aux critères du référentiel, preuves à l'appui ; relire et clore les auto-évaluations ; "
       "scores et écarts à combler.")),
    ("quality:actions", _("Plans d'actions"), "quality.view_assessments",
     _("Les actions qui comblent les écarts des sites : responsables, échéances, retards.")),
    ("quality:labels", _("Labels qualité"), "quality.view_assessments",
     _("Demander, instruire et suivre le label des sites, qui conditionne leurs financements.")),
    ("quality:maturity", _("Maturité du territoire"), "quality.view_maturity",
     _("Les sites sur une carte par niveau de maturité, les écarts les plus fréquents et leur tendance.")),
    ("quality:referential", _("Référentiel qualité"), "quality.view",
     _("Les critères de qualité d'un site, par section et niveau de site, et leurs versions.")),
    ("quality:charter", _("Charte de bonnes pratiques"), "quality.view",
     _("Le texte en vigueur, le registre de ses signatures ; la signer pour un site ou en son nom.")),
    ("quality:verify", _("Vérifier un document"), "quality.view",
     _("Le code d'un certificat de label ou d'un rapport : ce qu'il atteste aujourd'hui (page publique).")),
]  # fmt: skip


@require_GET
@require_permission("quality.view")
def hub(request: HttpRequest) -> HttpResponse:
    pages = [
        {"url": reverse(route), "title": title, "description": description}
        for route, title, permission, description in QUALITY_PAGES
        if has_permission(request.user, permission)
    ]
    return render(request, "quality/hub.html", {"pages": pages})
