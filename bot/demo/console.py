"""The demo's console adapter: renders the chat, private nudges, welfare notes and committee alerts with rich."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from bot.demo.script import Channel, Member
from bot.detection.rules import Rule as PackRule
from bot.models import CommitteeAlert, Escalation, Incident, Nudge, Verdict, WelfareNote
from bot.nudges import mask_span, word_matches
from bot.store.target import DatabaseTarget, shown
from bot.texts import NUDGE_BUTTONS, alert_title, also_touches, status_label

INDENT = (0, 0, 0, 11)


def masked_text(text: str, verdict: Verdict, rules: Iterable[PackRule] | None = None) -> str:
    """The message as the demo prints it: the offending words of every breach masked (every breaching span
    whole without `rules`), so the transcript never shows them while the rest of the chat reads as written."""
    matches = word_matches(text, verdict.matches, rules) if rules is not None else verdict.matches
    spans = sorted((m.start, m.end) for m in matches if m.end > m.start)
    pieces: list[str] = []
    cursor = 0
    for start, end in spans:
        if end <= cursor:
            continue
        start = max(start, cursor)
        pieces.append(text[cursor:start])
        pieces.append(mask_span(text[start:end]))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def nudge_panel(nudge: Nudge, member: Member, channel: Channel) -> Panel:
    """A nudge as its recipient sees it: a private message with the two buttons both chat adapters offer."""
    body = Text()
    body.append(f"Hi {member.name}, a quick private note about your message in #{channel.name}.\n\n")
    body.append(f"It may go against clause {nudge.clause_id} ", style="bold")
    body.append(f"({nudge.clause_heading})", style="bold")
    body.append(f" of the Students' Union Social Media Policy: {nudge.plain_words}\n")
    if nudge.extra_clauses:
        body.append(also_touches(nudge.extra_clauses) + "\n")
    body.append("\nWhy: ", style="bold")
    body.append(f"{nudge.category}, here: ")
    body.append(f"\u201c{nudge.excerpt}\u201d", style="italic")
    body.append("\n\nWhat to do now: ", style="bold")
    body.append(f"{nudge.what_to_do}\n\n")
    body.append(f"{nudge.lookup_hint} {nudge.mistake_hint}", style="dim")
    buttons = Text("  ").join(Text(f" {label} ", style="reverse") for label in NUDGE_BUTTONS.values())
    return Panel(Group(body, Text(), buttons), box=box.ROUNDED, border_style="yellow", padding=(0, 1),
                 title=f"[bold]Private message from nudgebot to {member.name}[/]",
                 subtitle="only the poster sees this", title_align="left", subtitle_align="right")


def welfare_panel(note: WelfareNote, member: Member) -> Panel:
    """A welfare note: a kind pointer to support, never an incident."""
    return Panel(Text(note.text), box=box.ROUNDED, border_style="green", padding=(0, 1),
                 title=f"[bold]Private message from nudgebot to {member.name}[/]",
                 subtitle="welfare note: no incident recorded", title_align="left", subtitle_align="right")


def alert_panel(alert: CommitteeAlert, alert_channel: str, names: dict[str, str]) -> Panel:
    """A committee alert as it appears in the committee's alert channel."""
    # The title opens the body rather than the border: a border cuts it at 80 columns, a body wraps it.
    body = Text(alert_title(alert.kind), style="bold")
    body.append("\n" + _with_names(alert.summary, names), style="")
    details = []
    if alert.severity is not None:
        details.append(f"severity {alert.severity.value}")
    if alert.incident_ids:
        details.append("incident" + ("s " if len(alert.incident_ids) > 1 else " ")
                       + ", ".join(f"#{i}" for i in alert.incident_ids))
    if alert.escalation_id is not None:
        details.append(f"escalation #{alert.escalation_id}")
    if alert.target_id:
        details.append(f"toward {names.get(alert.target_id, alert.target_id)}")
    if details:
        body.append("\n" + "; ".join(details), style="dim")
    if alert.incident_ids:
        body.append(f"\nReview: /incidents show {alert.incident_ids[0]}", style="dim")
    return Panel(body, box=box.HEAVY, border_style="red", padding=(0, 1),
                 title=f"[bold]#{alert_channel}[/]", title_align="left",
                 subtitle="committee only", subtitle_align="right")


def _with_names(text: str, names: dict[str, str]) -> str:
    for user_id, name in names.items():
        text = text.replace(user_id, name)
    return text


class ConsoleView:
    """Everything the demo prints, in one place; `console` may record (for an SVG of a nudge)."""

    def __init__(self, console: Console, alert_channel: str, names: dict[str, str],
                 nudge_svg: Path | None = None) -> None:
        self.console = console
        self.alert_channel = alert_channel
        self.names = names
        self.nudge_svg = nudge_svg  # when set, the first nudge is also saved there as an SVG picture

    def title(self, community: str, start: datetime, db_path: DatabaseTarget) -> None:
        """The opening banner (a PostgreSQL URL shown without its password)."""
        self.console.print(Panel(
            Text.assemble(("nudgebot demo\n", "bold"),
                          f"A week in the chat of {community} (fictional), replayed through the same moderator "
                          "the Discord and Slack bots use. Words that breach the policy are masked here, as in "
                          "every nudge and alert.\n",
                          (f"Week of {start:%A %d %B %Y} (simulated clock) · database: {shown(db_path)}", "dim")),
            box=box.DOUBLE, border_style="cyan"))

    def heading(self, text: str) -> None:
        """A caption between days."""
        self.console.print()
        self.console.print(Rule(f"[bold cyan]{text}[/]", style="cyan"))

    def message(self, when: datetime, channel: Channel, member: Member, shown_text: str, *, note: str = "",
                edited: bool = False) -> None:
        """One chat line (already masked where it breaches); the text wraps in its own column."""
        where = Text(f"#{channel.name}", style="blue")
        if channel.under18:
            where.append(" (u18)", style="magenta")
        line = Text()
        line.append(member.name, style="bold")
        if member.role:
            line.append(f" ({member.role})", style="dim")
        line.append(": ")
        line.append(shown_text)
        if edited:
            line.append(" (edited)", style="dim italic")
        if note:
            line.append(f"  {note}", style="bold yellow")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=9, no_wrap=True)
        grid.add_column(width=18, no_wrap=True, overflow="ellipsis")
        grid.add_column(ratio=1)
        grid.add_row(Text(f"{when:%a %H:%M}", style="dim"), where, line)
        self.console.print(grid)

    def indented(self, renderable: RenderableType) -> None:
        """A panel under the chat line it belongs to."""
        self.console.print(Padding(renderable, INDENT))

    def nudge(self, nudge: Nudge, member: Member, channel: Channel) -> None:
        """The private nudge the poster receives."""
        self.indented(nudge_panel(nudge, member, channel))
        if self.nudge_svg is not None:
            with open(os.devnull, "w", encoding="utf-8") as nowhere:
                picture = Console(record=True, width=84, file=nowhere)
                picture.print(nudge_panel(nudge, member, channel))
            picture.save_svg(str(self.nudge_svg), title=f"nudgebot: a private nudge to {member.name}")
            self.nudge_svg = None

    def refused(self, member: Member, reason: str) -> None:
        """A nudge the platform would not deliver."""
        self.indented(Text(f"✗ nudge to {member.name} not delivered: {reason}", style="red"))

    def suppressed(self, member: Member, incident_id: int | None) -> None:
        """An incident recorded without a nudge (one nudge per clause per window)."""
        self.indented(Text(f"• incident #{incident_id} recorded; no second nudge to {member.name} about the same "
                           "clause within the nudge window", style="dim"))

    def welfare(self, note: WelfareNote, member: Member) -> None:
        """The welfare note."""
        self.indented(welfare_panel(note, member))

    def alert(self, alert: CommitteeAlert) -> None:
        """A committee alert."""
        self.indented(alert_panel(alert, self.alert_channel, self.names))

    def event(self, text: str, style: str = "green") -> None:
        """A one-line event: a correction, feedback, a committee decision."""
        self.indented(Text(text, style=style))

    def incident_table(self, incidents: Sequence[Incident], channels: dict[str, Channel]) -> None:
        """The committee's incident list at the end of the week."""
        table = Table(title="The committee's incident list (/incidents list)", box=box.SIMPLE_HEAVY,
                      title_style="bold", expand=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("when · who", no_wrap=True, max_width=18, overflow="ellipsis")
        table.add_column("clause", no_wrap=True)
        table.add_column("excerpt (masked) · rule", ratio=1)
        table.add_column("status · nudge", no_wrap=True)
        for incident in incidents:
            channel = channels.get(incident.channel_id)
            table.add_row(
                str(incident.id),
                Text.assemble(f"{incident.created_at:%a %H:%M} ", incident.author_name or incident.author_id, "\n",
                              (f"#{channel.name}" if channel else incident.channel_id, "blue")),
                ", ".join(incident.clauses),
                Text.assemble(incident.excerpt, "\n", (", ".join(incident.rules), "dim")),
                Text.assemble(status_label(incident.status), "\n",
                              (incident.delivery_status.value.replace("_", " "), "dim")))
        self.console.print()
        self.console.print(table)

    def escalation_table(self, escalations: Sequence[Escalation]) -> None:
        """Open escalations: repeated hostility from one member toward another."""
        if not escalations:
            return
        table = Table(title="Escalations (clause 4.3)", box=box.SIMPLE_HEAVY,
                      title_style="bold")
        for column in ("#", "from", "toward", "incidents", "status"):
            table.add_column(column)
        for escalation in escalations:
            table.add_row(str(escalation.id), self.names.get(escalation.author_id, escalation.author_id),
                          self.names.get(escalation.target_id, escalation.target_id),
                          ", ".join(f"#{i}" for i in escalation.incident_ids), escalation.status)
        self.console.print(table)

    def summary(self, lines: Sequence[str]) -> None:
        """The closing lines: what was written where."""
        self.console.print()
        for line in lines:
            self.console.print(line, highlight=False)
