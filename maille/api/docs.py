"""The OpenAPI page at /api/v1/docs, served from vendored files under the strict CSP.

ninja's Swagger UI files ship in its static folder; this renderer uses our own template (kept here, since
``maille.api`` is not an installed app) so that nothing inline or from a CDN ever creeps in on upgrades.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import RequestContext, Template
from ninja.openapi.docs import Swagger

TEMPLATE_PATH = Path(__file__).parent / "templates" / "api" / "swagger.html"


class StrictCspSwagger(Swagger):
    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        context = {
            "swagger_settings": json.dumps(settings).replace("<", "\\u003c"),
            "api": api,
            "add_csrf": True,
        }
        template = Template(TEMPLATE_PATH.read_text(encoding="utf-8"))
        return HttpResponse(template.render(RequestContext(request, context)))
