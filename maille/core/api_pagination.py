"""Page-number pagination shared by every /api/v1 list (in core, since every app's router uses it).

Two queries per page whatever its size: a COUNT and the page itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import HttpError

DEFAULT_PAGE_SIZE: int = settings.NINJA_PAGINATION_PER_PAGE
MAX_PAGE_SIZE: int = settings.NINJA_PAGINATION_MAX_PER_PAGE_SIZE

ItemT = TypeVar("ItemT")


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="Numéro de page (à partir de 1).")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Éléments par page (maximum {MAX_PAGE_SIZE})."
    )


class Page(Schema, Generic[ItemT]):
    count: int
    next: str | None
    previous: str | None
    results: list[ItemT]


def _page_url(request: HttpRequest, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(params.lists()), doseq=True)


def paginate(
    request: HttpRequest,
    queryset: Any,
    paging: PageQuery,
    serialize: Callable[[Iterable[Any]], list[Any]],
) -> dict[str, Any]:
    """One page of ``queryset`` (already ordered), its items turned into dicts by ``serialize``."""
    count = queryset.count()
    last_page = max(1, -(-count // paging.page_size))
    if paging.page > last_page:
        raise HttpError(
            404,
            _("La page %(page)s n'existe pas : il y a %(last)s page(s).")
            % {
                "page": paging.page,
                "last": last_page,
            },
        )
    start = (paging.page - 1) * paging.page_size
    items = serialize(queryset[start : start + paging.page_size]) if count else []
    return {
        "count": count,
        "next": _page_url(request, paging.page + 1) if paging.page < last_page else None,
        "previous": _page_url(request, paging.page - 1) if paging.page > 1 else None,
        "results": items,
    }
