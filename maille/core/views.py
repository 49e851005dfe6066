"""Pages shared by every user: error pages and the health check (the home page is the accounts app's: it
depends on roles)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Our own BadRequest messages name the parameter (French, no data echoed); Django's suspicious-operation
    # messages may quote the request: not shown.
    message = str(exception) if isinstance(exception, BadRequest) and str(exception) else ""
    return render(request, "core/400.html", {"message": message}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "Vous n'avez pas accès à cette page."
    return render(request, "core/403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Never echo the requested path: it may carry identifiers.
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "core/500.html", status=500)


def healthz(request: HttpRequest) -> HttpResponse:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
