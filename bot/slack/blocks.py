"""Block Kit for what the core returns: nudges, committee alerts, welfare notes, clauses and incident views.

Everything here is plain dicts, so it is rendered and tested without Slack. Member-written text is escaped so
that a masked excerpt can never ping `@channel` or forge a link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.models import (
    AlertKind,
    CommitteeAlert,
    Incident,
    IncidentEvent,
    IncidentStats,
    Nudge,
    ReviewAction,
    WelfareNote,
)
from bot.texts import (
    HELD_CONFIRM_LABEL,
    NUDGE_BUTTONS,
    REPORT_THANKS,
    REVIEW_LABELS,
    alert_title,
    also_touches,
    plural,
    status_label,
)

Block = dict[str, Any]

NUDGE_FIXED = "nudgebot_nudge_fixed"
NUDGE_MISTAKE = "nudgebot_nudge_mistake"
REVIEW_PREFIX = "nudgebot_review_"
REVIEW_BUTTONS = (("confirm", REVIEW_LABELS["confirm"], "primary"), ("dismiss", REVIEW_LABELS["dismiss"], None),
                  ("escalate", REVIEW_LABELS["escalate"], "danger"))
REPORT_CALLBACK = "nudgebot_report"
REPORT_MODAL = "nudgebot_report_note"
REPORT_NOTE = "note"
_SECTION_LIMIT = 2900  # Slack's section text limit is 3000 characters
_MAX_BLOCKS = 50

# Held for review: the committee decides whether the poster is nudged at all.
HELD_BUTTONS = (("confirm", HELD_CONFIRM_LABEL, "primary"), ("dismiss", REVIEW_LABELS["dismiss"], None))


def escape(text: str) -> str:
    """Escape Slack's control characters (&, <, >) in text written by a member."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int = _SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> Block:
    """A mrkdwn section (cut to Slack's length limit)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text)}}


def context(*texts: str) -> Block:
    """A context block of small mrkdwn lines."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(t, 2000)} for t in texts if t][:10]}


def header(text: str) -> Block:
    """A plain-text header (150 characters at most)."""
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, 150)}}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A button element."""
    element: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id,
                               "value": value}
    if style:
        element["style"] = style
    return element


def channel_ref(channel_id: str) -> str:
    """A clickable channel reference, or nothing when the id is unknown."""
    return f"<#{channel_id}>" if channel_id else ""


def user_ref(user_id: str) -> str:
    """A clickable member reference (Slack shows the name), or "unknown"."""
    return f"<@{user_id}>" if user_id else "unknown"


def nudge_message(nudge: Nudge) -> tuple[str, list[Block]]:
    """The private nudge: clause, plain words, masked excerpt, guidance and the two feedback buttons."""
    where = f" in {channel_ref(nudge.channel_id)}" if nudge.channel_id else ""
    blocks: list[Block] = [
        section(f"Hi, a quick private note about your message{where}. Only you can see this."),
        section(f"It may go against *clause {escape(nudge.clause_id)} ({escape(nudge.clause_heading)})* of the "
                f"Students' Union Social Media Policy: {escape(nudge.plain_words)}"),
        section(f"*Why:* {escape(nudge.category)}, here: \u201c{escape(nudge.excerpt)}\u201d"),
        section(f"*What to do now:* {escape(nudge.what_to_do)}"),
    ]
    if nudge.extra_clauses:
        blocks.append(context(also_touches(tuple(map(escape, nudge.extra_clauses)))))
    lines = [escape(nudge.lookup_hint), escape(nudge.mistake_hint)]
    if nudge.permalink:
        lines.append(f"<{nudge.permalink}|Your message>")
    blocks.append(context(*lines))
    value = str(nudge.incident_id)
    blocks.append({"type": "actions", "block_id": "nudgebot_nudge", "elements": [
        button(NUDGE_BUTTONS["fixed"], NUDGE_FIXED, value, "primary"),
        button(NUDGE_BUTTONS["mistake"], NUDGE_MISTAKE, value)]})
    text = f"A private note about your message: it may go against clause {nudge.clause_id} of the SU policy."
    return text, blocks


def welfare_message(note: WelfareNote) -> tuple[str, list[Block]]:
    """A kind, private pointer to support."""
    return note.text, [section(escape(note.text))]


def alert_message(alert: CommitteeAlert) -> tuple[str, list[Block]]:
    """A committee alert for the alert channel, with Confirm / Dismiss / Escalate when it concerns incidents."""
    title = alert_title(alert.kind)
    facts = []
    if alert.incident_ids:
        facts.append("*Incidents:* " + ", ".join(f"#{i}" for i in alert.incident_ids))
    if alert.severity:
        facts.append(f"*Severity:* {alert.severity.value}")
    if alert.channel_id:
        facts.append(f"*Channel:* {channel_ref(alert.channel_id)}")
    if alert.author_id:
        facts.append(f"*Member:* {user_ref(alert.author_id)}")
    if alert.target_id:
        facts.append(f"*Aimed at:* {user_ref(alert.target_id)}")
    if alert.escalation_id is not None:
        facts.append(f"*Escalation:* #{alert.escalation_id}")
    blocks = [header(title), section(escape(alert.summary))]
    if facts:
        blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in facts][:10]})
    if alert.permalink:
        blocks.append(context(f"<{alert.permalink}|Open the message>"))
    if alert.incident_ids:
        value = ",".join(str(i) for i in alert.incident_ids)
        choices = HELD_BUTTONS if alert.kind is AlertKind.HELD_FOR_REVIEW else REVIEW_BUTTONS
        blocks.append({"type": "actions", "block_id": "nudgebot_review", "elements": [
            button(label, REVIEW_PREFIX + action, value, style) for action, label, style in choices]})
    return f"nudgebot: {title}", blocks


def reviewed_alert(original: Sequence[Block], note: str) -> list[Block]:
    """The alert after a committee member acted on it: the same blocks without the buttons, plus who did what."""
    kept = [b for b in original if b.get("type") != "actions"]
    return [*kept, context(note)][:_MAX_BLOCKS]


def clause_blocks(clauses: Iterable[Any], query: str) -> tuple[str, list[Block]]:
    """The answer to `/policy`: each clause with its plain-words summary and guidance."""
    found = list(clauses)
    if not found:
        text = (f"No clause matches \u201c{escape(query)}\u201d. Try a clause number such as 5.5.1, or words "
                "like harassment, personal data or copyright.")
        return text, [section(text)]
    blocks: list[Block] = []
    for clause in found[:5]:
        blocks.append(section(f"*{escape(clause.id)} {escape(clause.heading)}*\n{escape(clause.summary)}\n"
                              f"_What to do:_ {escape(clause.guidance)}"))
        blocks.append(context(escape(_cut(clause.text, 600))))
    return f"Policy clause {found[0].id}: {found[0].heading}", blocks


def clause_index(clauses: Iterable[Any]) -> tuple[str, list[Block]]:
    """`/policy` with no words: every clause id and heading."""
    lines = [f"*{escape(c.id)}* {escape(c.heading)}" for c in clauses]
    blocks = [section("The Students' Union Social Media Policy. Use `/policy 5.5.1` or `/policy harassment`.")]
    for start in range(0, len(lines), 25):
        blocks.append(section("\n".join(lines[start:start + 25])))
    return "Policy clauses", blocks[:_MAX_BLOCKS]


def incident_line(incident: Incident) -> str:
    """One incident in a list."""
    when = incident.created_at.strftime("%d %b %Y %H:%M")
    return (f"*#{incident.id}* · {', '.join(incident.clauses)} · {incident.severity.value} · "
            f"{status_label(incident.status)} · {user_ref(incident.author_id)} in {channel_ref(incident.channel_id)} · "
            f"{when} UTC · nudge {incident.delivery_status.value}")


def incident_list(incidents: Sequence[Incident], description: str) -> tuple[str, list[Block]]:
    """`/incidents list`."""
    if not incidents:
        return "No incidents match.", [section(f"No incidents match {escape(description)}.")]
    blocks = [section(f"*Incidents* ({escape(description)}, newest first)")]
    lines = [incident_line(i) for i in incidents]
    for start in range(0, len(lines), 10):
        blocks.append(section("\n".join(lines[start:start + 10])))
    blocks.append(context("`/incidents show ID` for one incident · `/incidents review ID confirm|dismiss|escalate|"
                          "resolve|reopen [note]`"))
    return plural(len(incidents), "incident"), blocks


def incident_detail(incident: Incident, events: Sequence[IncidentEvent],
                    actions: Sequence[ReviewAction] = ()) -> tuple[str, list[Block]]:
    """`/incidents show ID`: the incident, its audit trail and a button for each review step open to it."""
    facts = [f"*Status:* {status_label(incident.status)} (tier {incident.tier.value})",
             f"*Clauses:* {', '.join(incident.clauses)}",
             f"*Severity:* {incident.severity.value}", f"*Member:* {user_ref(incident.author_id)}",
             f"*Channel:* {channel_ref(incident.channel_id)}", f"*Nudge:* {incident.delivery_status.value}"
             + (f" ({escape(incident.delivery_reason)})" if incident.delivery_reason else ""),
             f"*When:* {incident.created_at.strftime('%d %b %Y %H:%M')} UTC",
             f"*Rules:* {escape(', '.join(incident.rules))}"]
    if incident.targets:
        facts.append("*Aimed at:* " + ", ".join(user_ref(t) for t in incident.targets))
    blocks: list[Block] = [header(f"Incident #{incident.id}"),
                           {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in facts][:10]},
                           section(f"*Excerpt (masked):* \u201c{escape(incident.excerpt)}\u201d")]
    if incident.permalink:
        blocks.append(context(f"<{incident.permalink}|Open the message>"))
    if events:
        trail = [f"{e.created_at.strftime('%d %b %H:%M')} · {_actor(e.actor_id)} · {escape(e.action)}"
                 + (f": {escape(e.note)}" if e.note else "") for e in events]
        blocks.append(section("*Audit trail*\n" + "\n".join(trail[-30:])))
    if actions:
        styles = {ReviewAction.CONFIRM: "primary", ReviewAction.ESCALATE: "danger"}
        blocks.append({"type": "actions", "block_id": "nudgebot_review", "elements": [
            button(a.value.title(), REVIEW_PREFIX + a.value, str(incident.id), styles.get(a)) for a in actions]})
    return f"Incident #{incident.id}", blocks


def _actor(actor_id: str) -> str:
    return "nudgebot" if actor_id == "nudgebot" else user_ref(actor_id)


def stats_blocks(stats: IncidentStats, description: str) -> tuple[str, list[Block]]:
    """`/incidents stats`: totals, status, clauses, rules, nudge delivery and escalations."""
    def counts(values: Mapping[str, int] | Sequence[tuple[str, int]]) -> str:
        items = list(values.items()) if isinstance(values, Mapping) else list(values)
        return ", ".join(f"{escape(str(k))}: {v}" for k, v in items[:15]) or "none"

    per_clause = {clause: sum(weeks.values()) for clause, weeks in stats.by_clause_week.items()}
    rate = stats.delivery_rate
    lines = [
        f"*Incidents* ({escape(description)}): {stats.total} · *open now:* {stats.open_incidents}"
        f" · *held for review now:* {stats.review_queue} (held in the period: {stats.held_for_review})",
        f"*By status:* {counts(stats.by_status)}",
        f"*By clause:* {counts(sorted(per_clause.items(), key=lambda kv: -kv[1]))}",
        f"*Most frequent rules:* {counts(stats.top_rules)}",
        f"*Nudges:* {counts(stats.delivery)}" + (f" · delivered {rate:.0%}" if rate is not None else ""),
        f"*Dismissed by rule:* {counts(stats.dismissed_by_rule)}",
        f"*Escalations:* {counts(stats.escalations)}",
    ]
    return "Incident statistics", [section("\n".join(lines))]


def report_modal(private_metadata: str) -> dict[str, Any]:
    """The "Report to committee" modal: an optional note for the committee."""
    return {
        "type": "modal", "callback_id": REPORT_MODAL, "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Report to committee"},
        "submit": {"type": "plain_text", "text": "Report"}, "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section("The committee will see the message and your note. They will not tell the member who "
                    "reported it."),
            {"type": "input", "block_id": REPORT_NOTE, "optional": True,
             "label": {"type": "plain_text", "text": "Anything the committee should know? (optional)"},
             "element": {"type": "plain_text_input", "action_id": REPORT_NOTE, "multiline": True,
                         "max_length": 300}},
        ],
    }


def report_thanks_view() -> dict[str, Any]:
    """What the modal turns into once the report is sent."""
    return {"type": "modal", "title": {"type": "plain_text", "text": "Report to committee"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [section(REPORT_THANKS)]}


def notice(text: str) -> tuple[str, list[Block]]:
    """A one-paragraph ephemeral answer, escaped: error messages repeat what the member typed, which must not
    ping `<!channel>` or forge a link in the answer."""
    text = escape(text)
    return text, [section(text)]
