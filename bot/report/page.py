"""The committee report as one self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from html import escape

from bot.models import clause_sort_key
from bot.report.charts import (
    DELIVERY_COLOURS,
    Segment,
    clause_colour,
    horizontal_bars,
    proportion_bar,
    stacked_columns,
)
from bot.report.data import ReportData
from bot.report.markup import channel_label, readable
from bot.texts import noun, plural

TOP_RULES = 12

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2328; background: #ffffff; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 32px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
p.lead { color: #57606a; margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin: 16px 0; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 12px; }
.card .value { font-size: 1.6rem; font-weight: 600; }
.card .label { color: #57606a; font-size: 0.85rem; }
figure { margin: 8px 0 0; }
figcaption { color: #57606a; font-size: 0.9rem; margin-top: 4px; }
svg.chart { width: 100%; height: auto; display: block; font-family: inherit; }
ul.legend { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 6px 18px; }
ul.legend li { display: flex; align-items: center; gap: 6px; font-size: 0.9rem; }
.swatch { width: 14px; height: 14px; border-radius: 3px; display: inline-block; border: 1px solid #1f2328; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin-top: 8px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #d0d7de; vertical-align: top;
         overflow-wrap: break-word; }
table.open td:nth-child(2) { white-space: nowrap; }
table.open td:nth-child(4) { overflow-wrap: anywhere; min-width: 7em; }
table.open td:nth-child(6) { min-width: 9em; }
span.id { white-space: nowrap; }
.table-box { overflow-x: auto; max-width: 100%; }
.chart-box { overflow-x: auto; max-width: 100%; }
table.open td:nth-child(8) { min-width: 16em; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; }
table.open td:nth-child(8) { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
details { margin-top: 6px; }
summary { cursor: pointer; color: #0550ae; }
.sev-critical, .sev-high { color: #a40e26; font-weight: 600; }
.note { color: #57606a; font-size: 0.85rem; }
footer { margin-top: 40px; color: #57606a; font-size: 0.85rem; }
@media print { summary { display: none; } details { display: block; } }
svg.chart.compact { display: none; }
/* A phone (390 px): each chart is drawn again for that width (labels above bars, fewer axis labels), so it fits
   without scrolling at full text size; the tables of people and incidents stack, one card per row with each cell
   labelled, so the excerpt is on screen without scrolling. */
@media (max-width: 640px) {
  main { padding: 16px 12px 32px; }
  h1 { font-size: 1.3rem; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .card .value { font-size: 1.3rem; }
  svg.chart.wide { display: none; }
  svg.chart.compact { display: block; }
  table { font-size: 0.9rem; }
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr { display: block; width: 100%; }
  table.stack tr { border: 1px solid #d0d7de; border-radius: 8px; margin: 0 0 10px; padding: 6px 10px; }
  table.stack td { display: grid; grid-template-columns: 6.5em minmax(0, 1fr); gap: 8px; border: none;
                   padding: 2px 0; min-width: 0 !important; white-space: normal !important; text-align: left; }
  table.stack td::before { content: attr(data-label); font-weight: 600; color: #57606a;
                           font-family: system-ui, sans-serif; }
}
"""


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{100 * rate:.0f}%"


class Html(str):
    """A table cell already made safe HTML (built from escaped parts), inserted as it is."""


def _cell(value: object) -> str:
    return value if isinstance(value, Html) else escape(str(value))


def _ids(ids: Iterable[str]) -> Html:
    """Rule ids, each kept whole on one line (they wrap between ids, never inside one)."""
    return Html(", ".join(f"<span class=id>{escape(i)}</span>" for i in ids))


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = (),
           caption: str = "", css_class: str = "") -> str:
    """A table in a box that scrolls sideways on a narrow screen; cells are escaped here unless `Html`."""
    head = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}>{escape(h)}</th>'
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i in numeric else ""} data-label="{escape(headers[i])}">'
                         f"{_cell(cell)}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows)
    cap = f"<caption class=note>{escape(caption)}</caption>" if caption else ""
    klass = f' class="{css_class}"' if css_class else ""
    return (f'<div class="table-box" tabindex="0"><table{klass}>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _legend(items: Iterable[tuple[str, str]]) -> str:
    return '<ul class="legend">' + "".join(
        f'<li><span class="swatch" style="background:{colour}" aria-hidden="true"></span>{escape(label)}</li>'
        for label, colour in items) + "</ul>"


def _chart_pair(draw: Callable[[str, bool], str], chart_id: str) -> str:
    """The chart drawn for a desktop and again for a phone (id suffixed `-compact`); CSS shows the one that fits."""
    return draw(chart_id, False) + draw(f"{chart_id}-compact", True)


def _weekly_section(data: ReportData) -> str:
    clauses = sorted({c for _, counts in data.weekly for c in counts}, key=clause_sort_key)
    columns = [(week, [Segment(f"clause {c}", counts.get(c, 0), clause_colour(c, clauses)) for c in clauses])
               for week, counts in data.weekly]
    total = sum(sum(counts.values()) for _, counts in data.weekly)
    desc = (f"Stacked bars, one per ISO week, {len(data.weekly)} weeks, {total} clause breaches in all. "
            + "; ".join(f"{week}: " + ", ".join(f"{c} {n}" for c, n in sorted(counts.items(),
                                                                               key=lambda kv: clause_sort_key(kv[0])))
                        for week, counts in data.weekly))
    chart = _chart_pair(lambda chart_id, compact: stacked_columns(
        chart_id, "Incidents per clause per week", desc, columns, compact=compact), "chart-weekly")
    table = _table(["week", *clauses, "total"],
                   [[week, *(str(counts.get(c, 0)) for c in clauses), str(sum(counts.values()))]
                    for week, counts in data.weekly], numeric=range(1, len(clauses) + 2))
    return ("<section aria-labelledby=h-weekly><h2 id=h-weekly>Incidents per clause per week</h2>"
            f"<figure><div class=chart-box>{chart}</div>"
            "<figcaption>An incident that breaches two clauses counts once under each."
            f"</figcaption></figure>{_legend((f'clause {c}', clause_colour(c, clauses)) for c in clauses)}"
            f"<details><summary>The numbers behind the chart</summary>{table}</details></section>")


def _rules_section(data: ReportData) -> str:
    top = sorted(data.rules, key=lambda r: (-r.incidents, r.rule))[:TOP_RULES]
    rows = []
    for figures in top:
        wrong = min(figures.incidents, figures.dismissed)
        rows.append((figures.rule, [Segment("stood", figures.incidents - wrong, "#0072B2"),
                                    Segment("dismissed as a mistake", wrong, "#E69F00")]))
    desc = f"Horizontal bars for the {len(top)} rules that fired most. " + "; ".join(
        f"{f.rule}: {f.incidents} incidents, {f.dismissed} dismissed" for f in top)
    chart = _chart_pair(lambda chart_id, compact: horizontal_bars(
        chart_id, "Top rules", desc, rows, compact=compact), "chart-rules")
    table = _table(["rule", "incidents", "dismissed by the committee", "of which the poster said mistake",
                    "dismissed rate"],
                   [[_ids([f.rule]), str(f.incidents), str(f.dismissed), str(f.mistakes), _percent(f.mistake_rate)]
                    for f in top], numeric=(1, 2, 3, 4), css_class="stack")
    return ("<section aria-labelledby=h-rules><h2 id=h-rules>Top rules and dismissed-as-mistake rates</h2>"
            f"<figure><div class=chart-box>{chart}</div>"
            "<figcaption>A rule with a high mistake rate is a candidate for an exception or a "
            "context word in its rule pack.</figcaption></figure>"
            f"{_legend([('stood', '#0072B2'), ('dismissed as a mistake', '#E69F00')])}"
            f"{table}</section>")


def _delivery_section(data: ReportData) -> str:
    order = ("delivered", "pending", "refused", "failed")
    segments = [Segment(status, data.delivery.get(status, 0), DELIVERY_COLOURS[status]) for status in order]
    attempted = data.nudges_attempted
    desc = (f"{data.delivery.get('delivered', 0)} of {attempted} nudges delivered; "
            + ", ".join(f"{s.label} {s.value}" for s in segments))
    chart = _chart_pair(lambda chart_id, compact: proportion_bar(
        chart_id, "Nudge delivery", desc, segments, compact=compact), "chart-delivery")
    not_sent = {k: v for k, v in data.delivery.items() if k not in order and v}
    extra = ""
    if not_sent:
        extra = ("<p class=note>Not sent on purpose (not counted above): "
                 + escape(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(not_sent.items()))) + ".</p>")
    return ("<section aria-labelledby=h-delivery><h2 id=h-delivery>Nudge delivery</h2>"
            f"<figure><div class=chart-box>{chart}</div>"
            "<figcaption>Refused means the platform would not deliver the private message "
            "(for example, direct messages turned off); the committee was told.</figcaption></figure>"
            f"{_legend((s.label, s.colour) for s in segments)}{extra}</section>")


def _escalations_section(data: ReportData) -> str:
    if not data.escalations:
        return ("<section aria-labelledby=h-esc><h2 id=h-esc>Escalations</h2>"
                "<p>No repeated hostility from one member toward another in this period.</p></section>")
    table = _table(["#", "from", "toward", "incidents", "opened", "status"],
                   [[str(e.id), e.author, e.target, str(e.incidents), _when(e.opened), e.status]
                    for e in data.escalations], numeric=(0, 3), css_class="stack")
    return ("<section aria-labelledby=h-esc><h2 id=h-esc>Escalations</h2>"
            "<p class=note>Deliberate, repeated and hostile behaviour toward one person (clause 4.3): grouped "
            f"so the committee can act on the pattern, not one message.</p>{table}</section>")


def _open_section(data: ReportData) -> str:
    if not data.open_incidents:
        return ("<section aria-labelledby=h-open><h2 id=h-open>Open incidents</h2>"
                "<p>Nothing is waiting for the committee.</p></section>")
    rows = [[str(i.id), f"{i.created_at:%Y-%m-%d %H:%M}", channel_label(i.channel_id, data.channel_names),
             i.author_name or data.member_names.get(i.author_id, i.author_id), ", ".join(i.clauses), _ids(i.rules),
             i.severity.value, readable(i.excerpt, data.member_names, data.channel_names), i.status.value,
             i.delivery_status.value.replace("_", " ")]
            for i in data.open_incidents]
    table = _table(["#", "when (UTC)", "channel", "author", "clauses", "rules", "severity", "excerpt (masked)",
                    "status", "nudge"], rows, numeric=(0,), css_class="open stack")
    more = ""
    if data.open_total > len(data.open_incidents):
        more = (f"<p class=note>Showing the newest {len(data.open_incidents)} of {data.open_total}; "
                "<code>nudgebot incidents list</code> shows them all.</p>")
    return ("<section aria-labelledby=h-open><h2 id=h-open>Open incidents</h2>"
            "<p class=note>Excerpts are masked: the offending words never appear in full.</p>"
            f"{table}{more}</section>")


def _held_section(data: ReportData) -> str:
    """Held for review (the review tier): listed apart from the open queue, because nobody has been nudged."""
    were = "was" if data.held_in_period == 1 else "were"
    intro = (f"<p class=note>{plural(data.held_in_period, 'incident')} in this period {were} held for review: "
             "nudgebot was "
             "fairly but not fully sure, so nobody was nudged and the committee decides. Confirming one sends "
             "the nudge; dismissing it sends nothing.</p>")
    if not data.held_incidents:
        return (f"<section aria-labelledby=h-held><h2 id=h-held>Held for review</h2>{intro}"
                "<p>Nothing is held for review now.</p></section>")
    rows = [[str(i.id), f"{i.created_at:%Y-%m-%d %H:%M}", channel_label(i.channel_id, data.channel_names),
             i.author_name or data.member_names.get(i.author_id, i.author_id), ", ".join(i.clauses), _ids(i.rules),
             i.severity.value, readable(i.excerpt, data.member_names, data.channel_names)]
            for i in data.held_incidents]
    table = _table(["#", "when (UTC)", "channel", "author", "clauses", "rules", "severity", "excerpt (masked)"],
                   rows, numeric=(0,), css_class="held stack")
    more = ""
    if data.held_total > len(data.held_incidents):
        more = (f"<p class=note>Showing the newest {len(data.held_incidents)} of {data.held_total}; "
                "<code>nudgebot incidents list --status review</code> shows them all.</p>")
    return f"<section aria-labelledby=h-held><h2 id=h-held>Held for review</h2>{intro}{table}{more}</section>"


def _cards(data: ReportData) -> str:
    cards = [
        (str(data.total_incidents), noun(data.total_incidents, "incident")),
        (str(data.open_total), "open (waiting for review)"),
        (str(data.held_total), "held for review (nobody nudged)"),
        (str(len(data.escalations)), noun(len(data.escalations), "escalation")),
        (_percent(data.delivery_rate), "nudges delivered"),
        (str(data.status_counts.get("corrected", 0)), "corrected by the poster (5.6.6)"),
        (_percent(data.mistake_rate), "dismissed as a mistake"),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="value">{escape(v)}</div><div class="label">{escape(label)}</div></div>'
        for v, label in cards) + "</div>"


def render_report(data: ReportData) -> str:
    """The whole report page; everything that came from the database is HTML-escaped."""
    period = "all recorded incidents"
    if data.since or data.until:
        period = f"from {_when(data.since) or 'the start'} to {_when(data.until) or 'now'}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No network: the page may load nothing, so a stray URL cannot leak that the report was opened.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">"
        f"<title>nudgebot report: {escape(data.title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>Committee report: {escape(data.title)}</h1>"
        f"<p class=lead>Students' Union Social Media Policy incidents, {escape(period)}. "
        f"Generated {escape(_when(data.generated_at))}. For the committee only: do not forward.</p>"
        f"{_cards(data)}{_weekly_section(data)}{_rules_section(data)}{_delivery_section(data)}"
        f"{_escalations_section(data)}{_open_section(data)}{_held_section(data)}"
        "<footer>Made by <code>nudgebot report</code>. Figures come from the incident database; "
        "excerpts are masked and full message text is never included.</footer>"
        "</main></body></html>\n"
    )
