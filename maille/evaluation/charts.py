"""SVG charts of the evaluation pages and reports: drawn on the server (no script), readable in a PDF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any

from django.utils.translation import gettext as _

MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
# Presentation attributes, not a <style> element: the pages' content security policy refuses inline styles.
TEXT = 'font-family="sans-serif" font-size="11"'


def month_label(month: dt.date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year % 100:02d}"


def svg_month_bars(title: str, months: Sequence[tuple[dt.date, int]]) -> str:
    """One vertical bar per month, its count above it (a month without acts shows an empty slot)."""
    return svg_value_bars(title, [(month_label(month), n) for month, n in months])


def svg_value_bars(title: str, values: Sequence[tuple[str, int]], *, slot: int = 46) -> str:
    """One vertical bar per labelled value, the value above it (an empty slot for zero); ``slot``: the width of a
    bar and its gap, wider for longer labels."""
    if not values:
        return ""
    largest = max(n for _label, n in values) or 1
    height, top, bottom = 150, 28, 22
    bars = []
    for i, (label, n) in enumerate(values):
        x = 10 + i * slot
        bar_height = height * n / largest
        y = top + height - bar_height
        bars.append(
            f'<rect x="{x + 6}" y="{y:.1f}" width="{slot - 12}" height="{bar_height:.1f}" fill="#1d6fa5"/>'
            f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" {TEXT} fill="#222">{n}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{top + height + 15}" text-anchor="middle" {TEXT} fill="#444">'
            f"{escape(label)}</text>"
        )
    width = max(300, 20 + len(values) * slot)  # room for the title however few the bars
    return _chart(title, width, top + height, top + height + bottom, "".join(bars))


def svg_cost_funding(title: str, years: Sequence[int], costs: Sequence[Any], funding: Sequence[Any]) -> str:
    """Per year, the costs (dark) beside the funding (light), amounts in thousands of euros above the bars."""
    if not years:
        return ""
    largest = float(max([*costs, *funding, 1]))
    slot, height, top, bottom = 90, 150, 44, 22
    bars = []
    for i, year in enumerate(years):
        x = 10 + i * slot
        for j, (value, colour) in enumerate(((costs[i], "#1d6fa5"), (funding[i], "#7fb7dc"))):
            bar_height = height * float(value) / largest
            y = top + height - bar_height
            bx = x + 8 + j * 36
            bars.append(
                f'<rect x="{bx}" y="{y:.1f}" width="32" height="{bar_height:.1f}" fill="{colour}"/>'
                f'<text x="{bx + 16}" y="{y - 4:.1f}" text-anchor="middle" {TEXT} fill="#222">'
                f"{float(value) / 1000:.0f}k</text>"
            )
        bars.append(f'<text x="{x + slot / 2:.1f}" y="{top + height + 15}" text-anchor="middle" {TEXT} '
                    f'fill="#444">{year}</text>')  # fmt: skip
    width = max(260, 20 + len(years) * slot)
    legend = (
        f'<rect x="0" y="22" width="10" height="10" fill="#1d6fa5"/><text x="14" y="31" {TEXT} fill="#222">'
        f"{escape(_('coûts'))}</text>"
        f'<rect x="70" y="22" width="10" height="10" fill="#7fb7dc"/><text x="84" y="31" {TEXT} fill="#222">'
        f"{escape(_('financements'))}</text>"
    )
    return _chart(title, width, top + height, top + height + bottom, legend + "".join(bars))


def _chart(title: str, width: float, axis_y: float, height: float, body: str) -> str:
    """The frame every chart shares: the SVG element with its accessible name, the title, the horizontal axis."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="report-chart" width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>"
        f'<text x="0" y="14" font-family="sans-serif" font-size="13" font-weight="600" fill="#222">'
        f"{escape(title)}</text>"
        f'<line x1="10" x2="{width - 10}" y1="{axis_y}" y2="{axis_y}" stroke="#888"/>{body}</svg>'
    )
