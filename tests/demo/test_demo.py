"""`nudgebot demo` end to end: the real CLI (in a subprocess once, then in-process), then the SQLite file it wrote,
read back directly."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo import DemoScriptError, load_script
from bot.demo.script import bundled_script_path
from bot.detection.scanner import load_default_scanner
from bot.models import Audience, DeliveryStatus, NewIncident, Platform, ScanContext, Severity
from bot.store import Store
from tests.cli_inprocess import InProcessCli

SPACED_LETTERS = re.compile(r"\b\w(?: \w){2,}\b")


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))}
    env["NUDGEBOT_DB"] = str(tmp / "from-env.db")
    env["COLUMNS"] = "1000"  # wide enough that no chat line or nudge wraps (a wrap could split a word)
    return env


def _demo(tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "demo", "--db", str(tmp / "demo.db"),
                           "--report", str(tmp / "report.html"), *extra],
                          cwd=tmp, env=_env(tmp), capture_output=True, text=True, encoding="utf-8", timeout=240)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One real run of the demo in its own process, shared by the checks below (the subprocess smoke test for
    `demo`)."""
    tmp = tmp_path_factory.mktemp("demo")
    result = _demo(tmp)
    assert result.returncode == 0, result.stderr
    return tmp, result


def _incidents(db: Path) -> list[dict]:
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT * FROM incidents ORDER BY id").fetchall()
    return [{**dict(r), "clauses": json.loads(r["clauses"]), "rules": json.loads(r["rules"])} for r in rows]


def _scripted_messages() -> list[tuple[str, str, str, Audience]]:
    """(member key, channel key, text, audience) for every message and edit in the bundled week."""
    script = load_script()
    channel_of = {}
    out = []
    for step in script.steps:
        if step.kind == "say":
            channel_of[step.id] = step.channel
            channel, by = step.channel, step.by
        elif step.kind == "edit":
            channel, by = channel_of[step.target], ""
        else:
            continue
        audience = Audience.UNDER18 if script.channels[channel].under18 else Audience.GENERAL
        out.append((by, channel, step.text, audience))
    return out


def test_demo_writes_an_incident_for_every_5_5_clause(demo_run):
    tmp, _ = demo_run
    clauses = {c for incident in _incidents(tmp / "demo.db") for c in incident["clauses"]}
    for clause in ("5.5.1", "5.5.2", "5.5.3", "5.5.4", "5.5.5"):
        assert clause in clauses, f"no incident for clause {clause}"


def test_the_cyberbullying_run_escalates(demo_run):
    tmp, result = demo_run
    with sqlite3.connect(tmp / "demo.db") as connection:
        escalations = connection.execute(
            "SELECT e.author_id, e.target_id, COUNT(l.incident_id) FROM escalations e "
            "JOIN escalation_incidents l ON l.escalation_id = e.id GROUP BY e.id").fetchall()
    assert escalations, "no escalation was opened"
    author, target, linked = escalations[0]
    assert (author, target) == ("u-marcus", "u-sam")
    assert linked >= 3
    assert "Repeated hostility" in result.stdout
    # One nudge per clause per window: a later breach inside it is recorded without a second nudge.
    deliveries = [i["delivery_status"] for i in _incidents(tmp / "demo.db") if i["author_id"] == "u-marcus"]
    assert "suppressed" in deliveries and deliveries.count("delivered") >= 3


def test_the_phone_number_is_corrected_by_the_poster(demo_run):
    tmp, result = demo_run
    corrected = [i for i in _incidents(tmp / "demo.db") if i["status"] == "corrected"]
    assert [i["author_id"] for i in corrected] == ["u-owen"]
    assert corrected[0]["rules"] == ["pii.phone"]
    assert "corrected by the poster (5.6.6)" in result.stdout


def test_swearing_in_the_under_18_channel_is_a_5_2_incident(demo_run):
    tmp, _ = demo_run
    script = load_script()
    under18 = {key for key, channel in script.channels.items() if channel.under18}
    incidents = [i for i in _incidents(tmp / "demo.db") if "5.2" in i["clauses"]]
    assert incidents and all(i["channel_id"] in under18 for i in incidents)
    assert "u18.swearing" in incidents[0]["rules"]
    # The same kind of words elsewhere are not a 5.2 matter: no 5.2 incident outside the under-18 channel.
    assert not [i for i in _incidents(tmp / "demo.db") if "5.2" in i["clauses"] and i["channel_id"] not in under18]


def test_the_welfare_message_gets_a_kind_note_and_no_incident(demo_run):
    tmp, result = demo_run
    scanner = load_default_scanner()
    welfare_authors = {by for by, _, text, audience in _scripted_messages() if by
                       and scanner.scan(text, ScanContext(audience=audience)).welfare}
    assert welfare_authors, "the script has no welfare message"
    authors = {i["author_id"] for i in _incidents(tmp / "demo.db")}
    assert not {f"u-{key}" for key in welfare_authors} & authors
    assert "welfare note: no incident recorded" in result.stdout
    assert "Samaritans" in result.stdout


def test_the_spaced_out_evasion_is_caught(demo_run):
    tmp, _ = demo_run
    scanner = load_default_scanner()
    evasions = []
    for by, _, text, audience in _scripted_messages():
        for match in scanner.scan(text, ScanContext(audience=audience)).matches:
            if SPACED_LETTERS.search(text[match.start:match.end]):
                evasions.append((by, match.rule_id))
    assert evasions, "the script has no spaced-out evasion attempt"
    recorded = {(i["author_id"], rule) for i in _incidents(tmp / "demo.db") for rule in i["rules"]}
    for by, rule in evasions:
        assert (f"u-{by}", rule) in recorded


def test_a_refused_nudge_and_a_dismissed_mistake_are_recorded(demo_run):
    tmp, _ = demo_run
    incidents = _incidents(tmp / "demo.db")
    assert [i["author_id"] for i in incidents if i["delivery_status"] == "refused"] == ["u-kieran"]
    with sqlite3.connect(tmp / "demo.db") as connection:
        mistakes = connection.execute("SELECT incident_id FROM feedback WHERE kind = 'mistake'").fetchall()
    dismissed = {i["id"] for i in incidents if i["status"] == "dismissed"}
    assert mistakes and {m[0] for m in mistakes} <= dismissed


def test_the_output_never_shows_offending_words_in_full(demo_run):
    _, result = demo_run
    # Also with every run of spaces and box-drawing characters squeezed out, so a wrapped line cannot hide a word.
    squeezed = re.sub(r"[\s\u2500-\u257f]+", " ", result.stdout)
    scanner = load_default_scanner()
    checked = 0
    for _, _, text, audience in _scripted_messages():
        for match in scanner.scan(text, ScanContext(audience=audience)).matches:
            words = text[match.start:match.end]
            assert words not in result.stdout, f"{match.rule_id} words shown in full"
            assert " ".join(words.split()) not in squeezed, f"{match.rule_id} words shown in full"
            checked += 1
    assert checked >= 10
    # ...while the ordinary chat is shown as written.
    assert "Kinder Scout from Edale" in result.stdout


def test_the_demo_ends_with_the_incident_table_and_the_report(demo_run):
    tmp, result = demo_run
    assert "The committee's incident list" in result.stdout
    report = tmp / "report.html"
    assert str(report.resolve()) in result.stdout.replace("\n", "")
    page = report.read_text(encoding="utf-8")
    assert page.count("<svg") >= 3 and "Leicester Uni Hillwalking Society" in page
    assert not (tmp / "from-env.db").exists()  # --db wins over NUDGEBOT_DB


def test_a_rerun_starts_the_week_afresh(demo_run, cli: InProcessCli):
    tmp, _ = demo_run
    first = _incidents(tmp / "demo.db")
    # Same database: the earlier demo's file is replaced, nothing doubles.
    again = cli("demo", "--db", tmp / "demo.db", "--report", tmp / "report.html", env=_env(tmp), cwd=tmp)
    assert again.returncode == 0, again.stderr
    second = _incidents(tmp / "demo.db")
    assert [(i["author_id"], i["rules"], i["status"]) for i in second] == \
        [(i["author_id"], i["rules"], i["status"]) for i in first]


async def test_the_demo_refuses_a_database_with_real_incidents(tmp_path, cli: InProcessCli):
    db = tmp_path / "nudgebot.db"
    store = await Store.open(db)
    try:
        await store.record_incident(NewIncident(
            platform=Platform.DISCORD, community_id="g1", channel_id="c1", message_id="m1", author_id="u1",
            clauses=("5.5.3",), rules=("insult.person",), severity=Severity.MEDIUM, excerpt="y*u a*e…",
            created_at=datetime.now(UTC), delivery_status=DeliveryStatus.DELIVERED))
    finally:
        await store.close()
    # In a thread: the command runs its own event loop, and this test's loop is idle meanwhile.
    result = await asyncio.to_thread(cli, "demo", "--report", tmp_path / "r.html", cwd=tmp_path)
    assert result.returncode == 1
    assert "real community" in result.stderr and "--db" in result.stderr
    assert [i["platform"] for i in _incidents(db)] == ["discord"]
    assert not (tmp_path / "r.html").exists()


def test_a_malformed_script_names_the_step(tmp_path):
    text = bundled_script_path().read_text(encoding="utf-8")
    broken = tmp_path / "week.yaml"
    broken.write_text(text.replace("by: kieran", "by: nobody", 1), encoding="utf-8")
    with pytest.raises(DemoScriptError, match=r"step \d+: 'by' must name a member"):
        load_script(broken)
    broken.write_text(text.replace('edit: owen-number', 'edit: no-such-message', 1), encoding="utf-8")
    with pytest.raises(DemoScriptError, match="not the id of an earlier message"):
        load_script(broken)


def test_a_review_tier_message_is_held_until_the_committee_confirms_it(demo_run):
    tmp, result = demo_run
    held = [i for i in _incidents(tmp / "demo.db") if i["tier"] == "review"]
    # The demo pack's review-tier rule, and two the engine lowers to review on weaker evidence: Rhys's slur is
    # found only by joining spaced-out letters, and a phone number whose owner the message does not say.
    assert [(i["author_id"], i["rules"]) for i in held] == [
        ("u-rhys", ["slur.disability"]), ("u-dan", ["demo.slang-insult"]), ("u-priya", ["pii.phone"])]
    held = [i for i in held if i["rules"] == ["demo.slang-insult"]]
    incident_id = held[0]["id"]
    line = next(line for line in result.stdout.splitlines() if f"held for review #{incident_id}" in line)
    assert "Dan" in line and "melt" not in line  # shown held, and masked
    assert "Held for review: nobody has been nudged" in result.stdout  # the committee's alert
    # Dan's nudge comes only after Priya's confirmation on Wednesday evening, and then once.
    before, after = result.stdout.split(f"/incidents review {incident_id} confirm", 1)
    assert "Private message from nudgebot to Dan" in after
    assert before.count("Private message from nudgebot to Dan") == 1  # Friday's film-night nudge only
    assert (held[0]["status"], held[0]["delivery_status"]) == ("confirmed", "delivered")
    with sqlite3.connect(tmp / "demo.db") as connection:
        shadow = connection.execute("SELECT rule_id, sample FROM shadow_matches").fetchall()
    assert [rule for rule, _ in shadow] == ["demo.slang-muggy"] and "muggy" not in shadow[0][1]
    assert "3 held for review" in result.stdout
