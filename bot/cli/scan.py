"""`nudgebot scan`: JSON Lines in, one verdict per line out, in order (the evaluation harness speaks this)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from bot.cli import EXIT_FAILURE
from bot.cli._shared import add_rules_dir_option, audience_of, build_scanner
from bot.detection.scanner import Scanner
from bot.errors import InputError
from bot.models import ScanContext, Verdict


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `scan` to the command line."""
    parser = subparsers.add_parser(
        "scan", help="scan messages (JSON Lines or plain lines) and print one JSON verdict per message",
        description='Reads {"id": ..., "text": ..., "audience": "under18"} per line from FILE or stdin '
                    "(or plain text lines with --text) and writes one JSON line per input, in order.")
    parser.add_argument("file", nargs="?", default="-", help="input file (default: standard input)")
    parser.add_argument("--text", action="store_true", help="input is plain text, one message per line")
    parser.add_argument("--audience", choices=["general", "under18"], default=None,
                        help="audience for messages that do not say (default: general)")
    add_rules_dir_option(parser)
    parser.set_defaults(func=run)


def verdict_json(message_id: Any, verdict: Verdict) -> dict[str, Any]:
    """The output object for one message."""
    return {
        "id": message_id,
        "flag": verdict.flagged,
        "review": verdict.held_for_review,
        "clauses": list(verdict.clauses),
        "matches": [{"rule": m.rule_id, "clause": m.clause, "category": m.category, "start": m.start,
                     "end": m.end, "severity": m.severity.value, "confidence": m.confidence, "tier": m.tier.value,
                     **({"ownership": m.ownership} if m.ownership else {})}
                    for m in verdict.matches],
        "shadow": [{"rule": m.rule_id, "start": m.start, "end": m.end} for m in verdict.shadow],
        "welfare": [{"rule": m.rule_id, "start": m.start, "end": m.end} for m in verdict.welfare],
    }


def _messages(stream: TextIO, plain: bool) -> Iterator[tuple[int, Any, str | None, str | None]]:
    """(line number, id, text, audience) per non-empty line; text None means the line was malformed."""
    for number, line in enumerate(stream, start=1):
        if plain:
            yield number, number, line.rstrip("\r\n"), None
            continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, None, f"line {number}: not JSON ({exc.msg})"
            continue
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            yield number, data.get("id") if isinstance(data, dict) else None, None, \
                f"line {number}: expected an object with a string 'text'"
            continue
        audience = data.get("audience")
        yield number, data.get("id", number), data["text"], audience if isinstance(audience, str) else None


def run(args: argparse.Namespace) -> int:
    """Scan every input message and print its verdict."""
    scanner = build_scanner(args)
    if args.file == "-":
        return _scan_stream(scanner, sys.stdin, args)
    try:
        with open(args.file, encoding="utf-8", errors="replace") as stream:
            return _scan_stream(scanner, stream, args)
    except OSError as exc:
        raise InputError(f"cannot read {args.file}: {exc.strerror}") from None


def _scan_stream(scanner: Scanner, stream: TextIO, args: argparse.Namespace) -> int:
    out = sys.stdout
    problems: list[str] = []
    for _number, message_id, text, extra in _messages(stream, args.text):
        if text is None:
            problems.append(extra or "malformed line")
            out.write(json.dumps({"id": message_id, "error": extra}) + "\n")
            continue
        context = ScanContext(audience=audience_of(extra or args.audience))
        out.write(json.dumps(verdict_json(message_id, scanner.scan(text, context))) + "\n")
    out.flush()
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        print(f"nudgebot: {problems[0]}{more}; those lines got an error object", file=sys.stderr)
        return EXIT_FAILURE
    return 0
