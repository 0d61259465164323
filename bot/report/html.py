"""The impact report as one self-contained HTML page, charts included.

The page is meant to be mailed, archived and printed by the people who run a programme,
so it fetches nothing from anywhere: the CSS is inline, the charts are SVG drawn here,
the fonts are the reader's own, and a Content-Security-Policy forbids any request in case
something slips in later. Every piece of report text goes through :func:`html.escape`
(the report holds no user text, but escaping is the rule). A suppressed figure is drawn
as a gap labelled "fewer than 5", never as a zero.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, datetime

from bot.report.model import SUPPRESSED, Figure, Report, TrendPoint, Unit

__all__ = ["render_html"]

#: no fetch of any kind; written into a double-quoted attribute as is (it has no ")
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: funnel steps from dark to light terracotta: each a 3:1 or better contrast on the page
_FUNNEL_FILLS = ("#8c3b1c", "#a2461f", "#b35a2f", "#bf6c43", "#c87d57", "#cf8c69")
_BAR_FILL = "#3e6b68"

_CSS = """
:root { --ink: #2b2622; --muted: #5c534c; --accent: #8c3b1c; --paper: #fbf7f1;
  --card: #ffffff; --rule: #e4d9cc; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--paper); color: var(--ink); line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; overflow-wrap: anywhere; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 1rem; margin-bottom: 1.5rem; }
h1, h2 { font-family: Georgia, "Times New Roman", serif; font-weight: normal; line-height: 1.2; }
h1 { font-size: 2rem; margin: 0 0 .25rem; }
h2 { font-size: 1.4rem; margin: 2rem 0 .75rem; color: var(--accent); }
h3 { font-size: 1rem; margin: 0 0 .5rem; }
.meta { color: var(--muted); margin: 0; }
.figures { display: grid; gap: .75rem; padding: 0; margin: 0; list-style: none;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 9.5rem), 1fr)); }
.figure { background: var(--card); border: 1px solid var(--rule); border-radius: .5rem;
  padding: .75rem 1rem; break-inside: avoid; }
.figure .value { display: block; font-size: 1.6rem; font-family: Georgia, serif; }
.figure .label { display: block; color: var(--muted); font-size: .9rem; }
.figure.suppressed { border-style: dashed; }
.figure.suppressed .value { font-size: 1.1rem; font-style: italic; color: var(--muted);
  padding: .35rem 0; }
figure.chart { margin: 0; background: var(--card); border: 1px solid var(--rule);
  border-radius: .5rem; padding: 1rem; break-inside: avoid; page-break-inside: avoid; }
figure.chart svg { display: block; width: 100%; height: auto; max-width: 36rem; }
figcaption, .note { color: var(--muted); font-size: .875rem; margin-top: .5rem; }
.trends { display: grid; gap: .75rem;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 22rem), 1fr)); }
.notes { color: var(--muted); font-size: .9rem; padding-left: 1.2rem; }
footer { margin-top: 2.5rem; border-top: 1px solid var(--rule); padding-top: 1rem;
  color: var(--muted); font-size: .875rem; }
@media (max-width: 30rem) {
  main { padding: 1rem .75rem 2rem; }
  figure.chart { padding: .75rem; }
}
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .figure, figure.chart { background: #fff; border-color: #999; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .trends { grid-template-columns: 1fr 1fr; }
  .figures li, figure.chart, section.funnel { break-inside: avoid; page-break-inside: avoid; }
  @page { margin: 15mm; }
}
"""


def render_html(report: Report) -> str:
    """The whole report as one HTML document, to be saved, served or mailed as is."""
    title = f"Impact report, {_period(report)}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head>",
        "<body><main>",
        _header(report),
        _figures_section(report.figures),
        _funnel_section(report.funnel),
        _trend_section(report),
        _notes_section(report.notes),
        "</main></body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _month_label(month: str) -> str:
    """"2026-03" -> "Mar 2026"; anything else is shown as it came."""
    year, _, number = month.partition("-")
    if number.isdigit() and 1 <= int(number) <= 12:
        return f"{_MONTHS[int(number) - 1]} {year}"
    return month


def _period(report: Report) -> str:
    since, until = _month_label(report.since), _month_label(report.until)
    return since if since == until else f"{since} to {until}"


def _generated(stamp: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def _header(report: Report) -> str:
    return (
        "<header><h1>Impact report</h1>"
        f'<p class="meta">{_esc(report.scope)} · {_esc(_period(report))}</p>'
        f'<p class="meta">Generated {_esc(_generated(report.generated_at))}</p></header>'
    )


def _figures_section(figures: Iterable[Figure]) -> str:
    items = "".join(_figure_card(figure) for figure in figures)
    if not items:
        return ""
    return f'<section><h2>At a glance</h2><ul class="figures">{items}</ul></section>'


def _figure_card(figure: Figure) -> str:
    css = "figure suppressed" if figure.suppressed else "figure"
    return (
        f'<li class="{css}"><span class="value">{_esc(figure.display)}</span>'
        f'<span class="label">{_esc(figure.label)}</span></li>'
    )


def _svg(width: int, height: int, label: str, body: str) -> str:
    """An accessible inline SVG: announced as one image with a title."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_esc(label)}"><title>{_esc(label)}</title>{body}</svg>'
    )


def _funnel_section(funnel: tuple[Figure, ...]) -> str:
    if not funnel:
        return ""
    label = "Funnel: " + "; ".join(f"{step.label}: {step.display}" for step in funnel)
    return (
        '<section class="funnel"><h2>From a no to a not now</h2><figure class="chart">'
        f"{_svg(400, 58 * len(funnel) + 8, label, _funnel_rows(funnel))}"
        "<figcaption>Each step counts the cases that got this far. A dashed step rests on "
        f"fewer than five people and is not shown.</figcaption></figure></section>"
    )


def _funnel_rows(funnel: tuple[Figure, ...]) -> str:
    """One centred bar per step, as wide as its share of the widest published step."""
    widest = max((step.value or 0.0 for step in funnel), default=0.0)
    rows = []
    for index, step in enumerate(funnel):
        top = 58 * index + 4
        value_style = (
            'font-style="italic" fill="#5c534c"' if step.suppressed
            else 'font-weight="bold" fill="#2b2622"'
        )
        rows.append(
            f'<text x="0" y="{top + 14}" font-size="15" fill="#2b2622">{_esc(step.label)}</text>'
            f'<text x="400" y="{top + 14}" font-size="15" text-anchor="end" {value_style}>'
            f"{_esc(step.display)}</text>"
        )
        if step.value is None:
            rows.append(
                f'<rect x="1" y="{top + 22}" width="398" height="26" rx="4" fill="none" '
                'stroke="#8a7f76" stroke-dasharray="6 4"/>'
            )
            continue
        width = max(4.0, 400 * step.value / widest) if widest else 4.0
        fill = _FUNNEL_FILLS[min(index, len(_FUNNEL_FILLS) - 1)]
        rows.append(
            f'<rect x="{(400 - width) / 2:.1f}" y="{top + 22}" width="{width:.1f}" '
            f'height="26" rx="4" fill="{fill}"/>'
        )
    return "".join(rows)


def _trend_section(report: Report) -> str:
    if not report.trend:
        return ""
    labels = {figure.key: (figure.label, figure.unit) for figure in report.figures}
    keys = list(dict.fromkeys(key for point in report.trend for key in point.values))
    charts = "".join(
        _trend_chart(report.trend, key, *labels.get(key, (key.replace("_", " "), "count")))
        for key in keys
    )
    return f'<section><h2>Month by month</h2><div class="trends">{charts}</div></section>'


def _trend_chart(trend: tuple[TrendPoint, ...], key: str, label: str, unit: Unit) -> str:
    values = [point.values.get(key) for point in trend]
    scale = _scale(values, unit)
    described = "; ".join(
        f"{_month_label(point.month)}: {_format(value, unit, scale)}"
        for point, value in zip(trend, values, strict=True)
    )
    note = (
        f'<p class="note">Months marked “{SUPPRESSED}” rest on fewer than five people '
        "and are left blank.</p>"
        if any(value is None for value in values)
        else ""
    )
    bars = _bars(trend, values, unit, scale)
    return (
        f'<figure class="chart"><h3>{_esc(label)}</h3>'
        f"{_svg(_trend_width(trend), 190, f'{label}, by month: {described}', bars)}"
        f"{note}</figure>"
    )


def _trend_width(trend: tuple[TrendPoint, ...]) -> int:
    """Narrow enough that a year's labels stay legible on a phone, wider for longer."""
    return max(330, 30 * len(trend))


def _scale(values: Iterable[float | None], unit: Unit) -> float:
    """How to show a series: a rate given as fractions (0.38) is shown as percents."""
    published = [value for value in values if value is not None]
    return 100.0 if unit == "rate" and all(value <= 1 for value in published) else 1.0


def _bars(
    trend: tuple[TrendPoint, ...], values: list[float | None], unit: Unit, scale: float
) -> str:
    """A bar per month on a shared baseline; a suppressed month is an empty, dashed slot."""
    width = _trend_width(trend)
    slot = width / len(trend)
    tallest = max((value for value in values if value is not None), default=0.0)
    baseline, room = 150, 118
    parts = [f'<line x1="0" y1="{baseline}" x2="{width}" y2="{baseline}" stroke="#8a7f76"/>']
    for index, (point, value) in enumerate(zip(trend, values, strict=True)):
        middle = slot * index + slot / 2
        parts.append(_month_tick(point.month, middle, baseline, first=index == 0))
        if value is None:
            parts.append(
                f'<rect x="{middle - slot * 0.35:.1f}" y="{baseline - room}" '
                f'width="{slot * 0.7:.1f}" height="{room}" fill="none" stroke="#8a7f76" '
                'stroke-dasharray="4 3"/>'
                f'<text transform="translate({middle + 4:.1f} {baseline - room / 2}) '
                'rotate(-90)" font-size="12" font-style="italic" text-anchor="middle" '
                f'fill="#5c534c">{SUPPRESSED}</text>'
            )
            continue
        height = room * value / tallest if tallest else 0.0
        shown = _format(value, unit, scale, short=True)
        parts.append(
            f'<rect x="{middle - slot * 0.32:.1f}" y="{baseline - height:.1f}" '
            f'width="{slot * 0.64:.1f}" height="{height:.1f}" rx="2" fill="{_BAR_FILL}"/>'
            f'<text x="{middle:.1f}" y="{baseline - height - 5:.1f}" font-size="12" '
            f'text-anchor="middle" fill="#2b2622">{_esc(shown)}</text>'
        )
    return "".join(parts)


def _month_tick(month: str, middle: float, baseline: int, *, first: bool) -> str:
    """The month's short name under its bar, and the year under January and the first."""
    name, _, year = _month_label(month).partition(" ")
    tick = (
        f'<text x="{middle:.1f}" y="{baseline + 17}" font-size="13" text-anchor="middle" '
        f'fill="#5c534c">{_esc(name)}</text>'
    )
    if year and (first or name == "Jan"):
        tick += (
            f'<text x="{middle:.1f}" y="{baseline + 33}" font-size="12" text-anchor="middle" '
            f'fill="#5c534c">{_esc(year)}</text>'
        )
    return tick


def _format(value: float | None, unit: Unit, scale: float = 1.0, *, short: bool = False) -> str:
    """A trend value as a reader sees it; ``short`` fits it above a narrow bar."""
    if value is None:
        return SUPPRESSED
    if unit == "rate":
        return f"{value * scale:.0f}%"
    if unit == "days":
        return f"{value:.1f}" if short else f"{value:.1f} days"
    if short and value >= 1000:
        return f"{value / 1000:.0f}k" if value >= 10_000 else f"{value / 1000:.1f}k"
    return f"{value:,.0f}"


def _notes_section(notes: tuple[str, ...]) -> str:
    items = "".join(f"<li>{_esc(note)}</li>" for note in notes)
    return (
        "<footer><h2>About these figures</h2><ul class=\"notes\">"
        "<li>No names, messages or ids are in this report. Any figure that rests on fewer "
        f"than five people is shown as “{SUPPRESSED}”, never as a number.</li>{items}</ul>"
        "</footer>"
    )
