"""The committee report: a scenario (or a comparison) as an HTML page and as a PDF (WeasyPrint), with maps and
charts drawn here as SVG, so that both render the same, offline, without a browser.

- Maps: the zone's communes (their outlines projected equirectangularly around the zone's mean latitude)
  coloured by the APL with the network, the sites as dots and the envisaged ones as rings; one map for
  today's network and one per scenario.
- Charts: horizontal bars, one per network, for the figures a committee weighs (population beyond 30
  minutes, population lifted above 2.5, remote-doctor hours a week).
The colours are the APL classes of the pages (``report.css`` gives them as fills); every value is also
written in the tables beside the charts, so that nothing rests on colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape

from maille.territory.models import CommuneGeometry
from maille.territory.selectors import apl_class_for

from .figures import Diagnosis

MAP_WIDTH = 480.0
BAR_WIDTH = 300.0
# Presentation attributes, not a <style> element: the pages' content security policy refuses inline styles, and
# WeasyPrint reads the attributes as well. The APL colours are those of the pages (maille.css, .apl-*).
APL_FILL = {"apl-0": "#b2182b", "apl-1": "#ef8a62", "apl-2": "#fddbc7", "apl-3": "#d1e5f0", "apl-4": "#67a9cf",
            "apl-5": "#2166ac", "apl-none": "#cccccc"}  # fmt: skip
SITE_MARK = 'fill="#1f4e9c" stroke="#fff" stroke-width="1"'
ENVISAGED_MARK = 'fill="#f0c419" stroke="#6b4f00" stroke-width="1.5"'
CHART_TEXT = 'font-size="10" font-family="\'DejaVu Sans\',sans-serif" fill="#222"'


@dataclass(frozen=True)
class Projection:
    """Degrees → SVG units: equirectangular around the zone's mean latitude, fitted to ``MAP_WIDTH``."""

    west: float
    north: float
    scale: float
    squeeze: float  # cos(mean latitude)
    height: float

    @classmethod
    def fitting(cls, rings: Sequence[Sequence[Sequence[float]]]) -> Projection:
        lons = [point[0] for ring in rings for point in ring]
        lats = [point[1] for ring in rings for point in ring]
        squeeze = math.cos(math.radians((min(lats) + max(lats)) / 2))
        width = max((max(lons) - min(lons)) * squeeze, 1e-6)
        scale = MAP_WIDTH / width
        return cls(min(lons), max(lats), scale, squeeze, (max(lats) - min(lats)) * scale)

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.squeeze * self.scale, (self.north - lat) * self.scale


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def commune_outlines(codes: Sequence[str]) -> dict[str, list[list[list[float]]]]:
    return {
        code: _rings(geometry)
        for code, geometry in CommuneGeometry.objects.filter(commune_id__in=list(codes)).values_list(
            "commune_id", "geojson"
        )
    }


def _path(rings: list[list[list[float]]], projection: Projection) -> str:
    parts = []
    for ring in rings:
        points = [projection.point(lon, lat) for lon, lat, *_rest in ring]
        parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def svg_map(diagnosis: Diagnosis, outlines: dict[str, list[list[list[float]]]], title: str) -> str:
    """The zone's communes coloured by the APL with the network (the official APL where it is missing)."""
    all_rings = [ring for rings in outlines.values() for ring in rings]
    if not all_rings:
        return ""
    projection = Projection.fitting(all_rings)
    shapes = []
    for row in diagnosis.rows:
        rings = outlines.get(row.code)
        if not rings:
            continue
        value = row.network_apl if row.network_apl is not None else row.apl
        css = apl_class_for(value)
        shapes.append(
            f'<path class="{css}" fill="{APL_FILL.get(css, APL_FILL["apl-none"])}" stroke="#666" '
            f'stroke-width=".3" d="{_path(rings, projection)}"/>'
        )
    zone_codes = {r.code for r in diagnosis.rows}
    marks = []
    for site in diagnosis.network:
        if site.commune not in zone_codes:
            continue
        x, y = projection.point(site.longitude, site.latitude)
        css, paint = ("site-envisaged", ENVISAGED_MARK) if site.pk is None else ("site", SITE_MARK)
        marks.append(
            f'<circle class="{css}" {paint} cx="{x:.1f}" cy="{y:.1f}" r="{5 if site.pk is None else 3.5}"/>'
        )
    height = projection.height
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 {MAP_WIDTH + 8:.0f} {height + 8:.0f}" '
        f'role="img" aria-label="{escape(title)}" class="report-map"><title>{escape(title)}</title>'
        f'<g class="communes">{"".join(shapes)}</g><g>{"".join(marks)}</g></svg>'
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


def svg_bars(title: str, bars: Sequence[Bar], unit: str) -> str:
    """One horizontal bar per network, its value written at its end."""
    if not bars:
        return ""
    largest = max((bar.value for bar in bars), default=0) or 1.0
    line, label_width = 22, 170
    rows = []
    for i, bar in enumerate(bars):
        y = 24 + i * line
        width = BAR_WIDTH * max(bar.value, 0) / largest
        text = f"{bar.value:,.0f}".replace(",", "\u202f") + (f" {unit}" if unit else "")
        rows.append(
            f'<text x="{label_width - 6}" y="{y + 12}" class="bar-label" text-anchor="end" {CHART_TEXT}>'
            f"{escape(_short(bar.label))}</text>"
            f'<rect x="{label_width}" y="{y}" width="{width:.1f}" height="15" class="bar{" bar-today" if i == 0 else ""}" '
            f'fill="{"#999" if i == 0 else "#67a9cf"}"/>'
            f'<text x="{label_width + width + 4:.1f}" y="{y + 12}" class="bar-value" {CHART_TEXT}>{escape(text)}</text>'
        )  # fmt: skip
    height = 24 + len(bars) * line + 4
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {label_width + BAR_WIDTH + 90} {height}" '
        f'role="img" aria-label="{escape(title)}" class="report-chart"><title>{escape(title)}</title>'
        f'<text x="0" y="14" class="chart-title" {CHART_TEXT} font-weight="bold">{escape(title)}</text>'
        f"{''.join(rows)}</svg>"
    )


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
