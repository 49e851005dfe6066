"""PDF documents rendered by WeasyPrint from HTML.

WeasyPrint loads Pango when it is imported: it is imported here, when a document is asked for, so that a
machine without Pango still serves every page and says why its PDFs are missing (503).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .errors import DomainError


class PdfUnavailable(DomainError):
    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            _(
                "Le rendu PDF demande la bibliothèque Pango (paquets libpango-1.0-0 et libpangoft2-1.0-0) sur le "
                "serveur."
            ),
            code="pdf_unavailable",
        )


def render_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as error:
        raise PdfUnavailable from error
    return bytes(HTML(string=html).write_pdf())
