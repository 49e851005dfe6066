"""Role-based navigation shown in the base layout."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _


def navigation(request: HttpRequest) -> dict[str, Any]:
    from maille.accounts.permissions import has_permission
    from maille.accounts.scope import scope_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": []}
    entries = [
        ("core:home", _("Accueil"), None),
        ("diagnosis:map", _("Carte du territoire"), "territory.view_map"),
        ("directory:site_list", _("Annuaire des sites"), "directory.view"),
        ("api:openapi-view", _("API"), "api.read"),
        ("admin:index", _("Administration"), "admin.reference_data"),
    ]
    current = request.path
    items = []
    for url_name, label, permission in entries:
        if permission is not None and not has_permission(user, permission):
            continue
        url = reverse(url_name)
        active = current == url if url == "/" else current.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    scope = scope_for(user)
    from maille.accounts.models import Role

    return {"nav_items": items, "user_roles": [Role(role).label for role in sorted(scope.roles)]}
