"""The impact report as JSON or CSV, and :func:`render` for any of the three formats.

Both formats carry exactly what the :class:`~bot.report.model.Report` holds: counts,
rates, medians and our own labels, never an id, a name or text anyone typed. A
suppressed figure has an empty value (``null`` in JSON) and the display "fewer than 5".
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Literal

from bot.report.build import FIGURES
from bot.report.model import SUPPRESSED, Report

__all__ = ["FORMATS", "Format", "render", "render_csv", "render_json"]

Format = Literal["html", "csv", "json"]
FORMATS: tuple[Format, ...] = ("html", "csv", "json")
_LABELS = {spec.key: spec.label for spec in FIGURES}


def render_json(report: Report) -> str:
    """The whole report, figures, funnel and trend, as one JSON document."""
    return json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def render_csv(report: Report) -> str:
    """One row per figure (key, label, value, display), then one per month and trend
    figure, keyed ``trend:<month>:<figure>``, so a spreadsheet can chart either."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["key", "label", "value", "display"])
    for figure in report.figures:
        writer.writerow([figure.key, figure.label, _number(figure.value), figure.display])
    for point in report.trend:
        for key, value in point.values.items():
            shown = SUPPRESSED if value is None else f"{round(value):,}"
            writer.writerow([f"trend:{point.month}:{key}", f"{_LABELS[key]}, {point.month}",
                             _number(value), shown])
    return out.getvalue()


def render(report: Report, fmt: str) -> str:
    """The report in ``fmt`` ("html", "csv" or "json").

    :raises ValueError: an unknown format.
    """
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    if fmt == "html":
        from bot.report.html import render_html  # written separately; imported when asked

        return render_html(report)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
