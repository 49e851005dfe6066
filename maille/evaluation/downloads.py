"""The evaluation's files: CSV for spreadsheets set to French (semicolons, decimal commas, a BOM so that Excel
reads UTF-8) and XLSX workbooks whose sheets start with a bold header row."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_download(file_name: str) -> tuple[HttpResponse, Any]:
    """An attachment response and the writer to fill it with."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.write("\ufeff")
    return response, csv.writer(response, delimiter=";")


def french_row(values: list[Any]) -> list[Any]:
    """Decimal numbers with a comma, what a French spreadsheet reads as numbers."""
    return [f"{v}".replace(".", ",") if isinstance(v, float | Decimal) else v for v in values]


def xlsx_download(workbook: Any, file_name: str) -> HttpResponse:
    """An openpyxl workbook as an attachment, the first row of each sheet in bold."""
    from openpyxl.styles import Font

    for worksheet in workbook.worksheets:
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
