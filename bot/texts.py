"""The words people read that both platforms (and the demo) show: button labels, thanks, refusals, plurals.

One place, so a nudge never names a button that is labelled otherwise on the screen beside it.
"""

from __future__ import annotations

from bot.models import AlertKind, IncidentStatus

# The two answers a poster can give to a nudge, by the kind the core records (`member_feedback`).
FIXED_LABEL = "I've fixed it"
MISTAKE_LABEL = "I think this is a mistake"
NUDGE_BUTTONS: dict[str, str] = {"fixed": FIXED_LABEL, "mistake": MISTAKE_LABEL}

MISTAKE_HINT = (f"Think we got this wrong? Choose \u201c{MISTAKE_LABEL}\u201d and the committee will take a look; "
                "it also helps nudgebot learn.")

FEEDBACK_THANKS: dict[str, str] = {
    "fixed": "Thank you for sorting it. If you edited or deleted the message, there is nothing more to do.",
    "mistake": "Thank you: the committee will take a look. Nothing further happens unless they decide it needs to; "
               "your answer helps nudgebot make fewer mistakes.",
}
FEEDBACK_GONE = "Sorry, I could not find that note any more."
FEEDBACK_NOT_YOURS = "Only the person who posted the message can answer this note."

# The committee's buttons on an alert (Discord also offers "delete"; Slack leaves deleting to the client).
REVIEW_LABELS: dict[str, str] = {"confirm": "Confirm", "dismiss": "Dismiss", "delete": "Delete message",
                                 "escalate": "Escalate"}
# A held-for-review incident's alert: confirming it is what sends the poster their nudge.
HELD_CONFIRM_LABEL = "Confirm & nudge"
REVIEW_DONE: dict[str, str] = {"confirm": "Confirmed", "dismiss": "Dismissed", "delete": "Message deleted",
                               "escalate": "Escalated", "resolve": "Resolved", "reopen": "Reopened"}

REPORT_THANKS = "Thank you: the committee has been told about this message."
REPORT_FAILED = "Sorry, the report could not be made; please tell a committee member."
# Each platform reaches the committee its own way, so each refusal names its own route.
SLACK_COMMITTEE_ONLY = ("Sorry, `/incidents` is only for the committee. If you are worried about a message, use the "
                        "\u201cReport to committee\u201d shortcut on it, or `/policy` to read the policy.")
SLACK_SETUP_COMMITTEE_ONLY = ("Sorry, `/nudgebot-setup` is only for the committee (its user group or channel, "
                              "which the machine's operator names with `nudgebot community set` first).")
DISCORD_COMMITTEE_ONLY = ("Sorry, that is only for the committee. If you want to raise something with them, use "
                          "\u201cReport to committee\u201d on the message (Apps menu), or message a committee member.")

ALERT_TITLES: dict[AlertKind, str] = {
    AlertKind.ESCALATION: "Repeated hostility (possible cyberbullying, 4.3)",
    AlertKind.HIGH_SEVERITY: "Serious incident",
    AlertKind.NUDGE_REFUSED: "A private nudge could not be delivered",
    AlertKind.MEMBER_REPORT: "A member reported a message",
    AlertKind.WELFARE: "A member may need support",
    AlertKind.STORE_DEGRADED: "nudgebot cannot write to its database",
    AlertKind.HELD_FOR_REVIEW: "Held for review: nobody has been nudged",
}
HELD_LABEL = "held for review"
# The welfare alert's account of the private note, and what it says instead when the note could not be sent.
WELFARE_POINTER_SENT = "nudgebot sent them a private pointer to the Advice Service and Samaritans"


def welfare_pointer_not_sent(reason: str) -> str:
    """The welfare alert's words when the platform refused the pointer (`reason`: the code, or remembered)."""
    return (f"nudgebot could not send them its private pointer to the Advice Service and Samaritans ({reason}): "
            "their direct messages may be closed, so a committee member may want to reach out to them")


def alert_title(kind: AlertKind) -> str:
    """A short heading for an alert of this kind, for embeds, Block Kit headers and the demo."""
    return ALERT_TITLES.get(kind, "nudgebot alert")


def status_label(status: IncidentStatus) -> str:
    """An incident status in the committee's words: "held for review" for REVIEW, else the status itself."""
    return HELD_LABEL if status is IncidentStatus.REVIEW else status.value


def also_touches(clauses: tuple[str, ...]) -> str:
    """The nudge's line on the other clauses a message touches: "It may also touch clause 5.5.3."."""
    return f"It may also touch clause{'s' if len(clauses) > 1 else ''} {', '.join(clauses)}."


def noun(count: int, singular: str, plural_form: str | None = None) -> str:
    """The noun in the number `count` asks for: "welfare note" for 1, "welfare notes" otherwise."""
    return singular if count == 1 else (plural_form or f"{singular}s")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun in the right number: "1 welfare note", "2 escalations", "3 communities"."""
    return f"{count} {noun(count, singular, plural_form)}"
