"""The words sent to people: masked excerpts never show the offending words, and the nudge says what to do."""

from __future__ import annotations

import re
from dataclasses import fields, replace

import pytest

from bot.detection.clauses import PolicyBook
from bot.detection.scanner import Scanner
from bot.models import AlertKind, CommitteeAlert, Nudge, Platform, Severity
from bot.nudges import build_nudge, mask_span, masked_excerpt, primary_match, render_alert_text

# One message per kind of rule: term lists, patterns, and each validator family.
MESSAGES = [
    pytest.param("go back to your country you paki", id="slur-terms"),
    pytest.param("what a faggot", id="slur-terms-2"),
    pytest.param("honestly you're a complete idiot", id="insult-pattern"),
    pytest.param("nobody likes you", id="bullying-pattern"),
    pytest.param("send nudes pls", id="explicit"),
    pytest.param("text her on +44 7700 900123 she won't mind", id="phone"),
    pytest.param("his student number is 229876543 lol", id="student-number"),
    pytest.param("my card is 4111 1111 1111 1111", id="payment-card"),
    pytest.param("jane.doe@example.com is her email", id="email"),
    pytest.param("she lives at 12 Victoria Road, LE1 7RH", id="address"),
]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _nudge_for(text: str, scanner: Scanner, policy: PolicyBook) -> tuple[Nudge, str, list[str]]:
    verdict = scanner.scan(text)
    assert verdict.matches, f"the scanner should flag {text!r}"
    focus = primary_match(verdict.matches)
    excerpt = masked_excerpt(text, verdict.matches, focus)
    assert focus is not None
    nudge = build_nudge(incident_id=7, platform=Platform.DISCORD, community_id="g1", channel_id="c1",
                        message_id="m1", recipient_id="u1", clauses=verdict.clauses, category=focus.category,
                        excerpt=excerpt, policy=policy)
    return nudge, excerpt, [text[m.start:m.end] for m in verdict.matches]


@pytest.mark.parametrize("text", MESSAGES)
def test_the_nudge_never_shows_the_offending_words_in_full(text: str, scanner: Scanner, policy: PolicyBook) -> None:
    nudge, excerpt, spans = _nudge_for(text, scanner, policy)
    everything = "\n".join([nudge.to_text(), *(str(getattr(nudge, f.name)) for f in fields(nudge))])
    # The nudge's own wording ("edit your message") is not the poster's: a common word that a phrase match holds
    # ("go back to your country") may stand in that wording, never in the excerpt, which carries the message.
    template = replace(nudge, excerpt="\u2026")
    own_words = "\n".join([template.to_text(), *(str(getattr(template, f.name)) for f in fields(template))])
    for span in spans:
        digits = _digits(span)
        if len(digits) * 2 >= len(re.sub(r"\W", "", span)):
            # A number: neither the whole of it nor more than its first and last three digits show.
            assert digits not in _digits(everything.replace(str(nudge.incident_id), ""))
            assert len(_digits(excerpt)) <= 6
        for word in re.findall(r"[A-Za-z0-9']{3,}", span):
            shown = rf"(?<![\w*•]){re.escape(word)}(?![\w*•])"
            assert not re.search(shown, excerpt, re.IGNORECASE), word
            if not re.search(shown, own_words, re.IGNORECASE):
                assert not re.search(shown, everything, re.IGNORECASE), word
    assert excerpt in nudge.to_text()


def test_masking_keeps_first_and_last_letter_and_three_digits_each_side() -> None:
    assert mask_span("retard") == "r****d"
    assert mask_span("07700 900123") == "077\u2022\u2022 \u2022\u2022\u2022123"
    assert mask_span("229876543") == "229\u2022\u2022\u2022543"
    assert mask_span("you're") == "y****e"
    # Short words keep less, so even a two-letter word is never whole.
    assert mask_span("an") == "a*" and mask_span("x") == "*" and mask_span("fag") == "f*g"
    # A short number shows a third at each end at most.
    assert mask_span("123456") == "12\u2022\u202256"


def test_a_long_message_is_trimmed_to_a_window_around_the_match(scanner: Scanner) -> None:
    text = ("We spent the whole evening planning the society's spring trip, the minibus, the budget and the rota, "
            "and then somebody said you are a retard in front of everyone, which nobody expected at all, and the "
            "meeting carried on for another hour about the quiz night and the kit order for next term.")
    verdict = scanner.scan(text)
    excerpt = masked_excerpt(text, verdict.matches, primary_match(verdict.matches))
    assert excerpt.startswith("\u2026") and excerpt.endswith("\u2026")
    assert "r****d" in excerpt and "retard" not in excerpt
    assert len(excerpt) < 140 < len(text)
    assert "minibus" not in excerpt and "kit order" not in excerpt


def test_every_match_in_the_window_is_masked_not_only_the_first(scanner: Scanner) -> None:
    text = "you are a retard and a faggot"
    verdict = scanner.scan(text)
    assert len(verdict.matches) >= 2
    excerpt = masked_excerpt(text, verdict.matches, primary_match(verdict.matches))
    assert "retard" not in excerpt and "faggot" not in excerpt


def test_the_nudge_says_which_clause_why_what_to_do_and_how_to_appeal(scanner: Scanner, policy: PolicyBook) -> None:
    nudge, excerpt, _ = _nudge_for("what a faggot", scanner, policy)
    clause = policy.get("5.5.1")
    assert clause is not None
    assert nudge.clause_id == "5.5.1" and nudge.clause_heading == clause.heading
    assert nudge.plain_words == clause.summary
    assert clause.guidance in nudge.what_to_do and "5.6.6" in nudge.what_to_do
    assert "/policy clause 5.5.1" in nudge.lookup_hint  # Discord's command group
    assert "mistake" in nudge.mistake_hint.lower()
    text = nudge.to_text()
    assert f"\u201c{excerpt}\u201d" in text and nudge.category in text
    # Kind and short: a private note, not a charge sheet.
    assert len(text) < 1000
    for accusing in ("violat", "offender", "punish", "banned", "warning"):
        assert accusing not in text.lower()


def test_a_second_clause_is_mentioned_but_the_nudge_is_about_the_first(policy: PolicyBook) -> None:
    nudge = build_nudge(incident_id=1, platform=Platform.SLACK, community_id="T1", channel_id="C1", message_id="1",
                        recipient_id="U1", clauses=("5.5.5", "5.5.3"), category="Personal details",
                        excerpt="077\u2022\u2022 \u2022\u2022\u2022123", policy=policy)
    assert nudge.clause_id == "5.5.5" and nudge.extra_clauses == ("5.5.3",)
    assert "5.5.3" in nudge.to_text()
    assert "/policy 5.5.5" in nudge.lookup_hint  # Slack's command takes the clause directly


def test_alert_text_carries_ids_and_summary() -> None:
    alert = CommitteeAlert(kind=AlertKind.ESCALATION, platform=Platform.DISCORD, community_id="g1",
                           summary="name-u1 has posted 3 hostile messages toward the same member in 7 days.",
                           incident_ids=(4, 5, 6), escalation_id=2, severity=Severity.HIGH, author_id="u1",
                           target_id="u2")
    text = render_alert_text(alert)
    assert "4.3" in text and "#4, #5, #6" in text and "escalation #2" in text and alert.summary in text
    assert "severity high" in text and "target u2" in text
