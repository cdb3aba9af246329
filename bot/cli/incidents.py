"""`nudgebot incidents list|show|review|export|stats|purge`: the operator's view of the committee's review queue.

The person at this machine's shell runs the bot and holds its database, so the CLI acts as the operator: a
committee principal across every community, narrowed with --platform/--community. People get rich tables;
scripts get --json.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.cli import print_help_for_usage
from bot.cli.dates import add_range_options, check_range
from bot.detection.clauses import load_policy
from bot.errors import InputError
from bot.escalation import EscalationTracker
from bot.models import (
    DeliveryStatus,
    Incident,
    IncidentQuery,
    IncidentStats,
    IncidentStatus,
    Platform,
    Principal,
    ReviewAction,
)
from bot.review import CommitteeReview, event_to_dict, incident_to_dict, operator_principal
from bot.settings import load_settings
from bot.store import Store, StoreError, write_private
from bot.store.target import DB_HELP, DatabaseTarget, database_target, is_postgresql
from bot.texts import plural, status_label


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `incidents` to the command line."""
    parser = subparsers.add_parser("incidents", help="review, export and purge recorded incidents (operator)")
    actions = parser.add_subparsers(dest="incidents_action", metavar="ACTION")

    listing = actions.add_parser("list", help="incidents, newest first, filtered")
    _common(listing)
    _filters(listing)
    listing.add_argument("--limit", type=_page_size, default=25, help="rows per page (1-1000, default 25)")
    listing.add_argument("--offset", type=_offset, default=0, help="rows to skip (paging)")
    listing.set_defaults(func=lambda args: _run(args, run_list, read_only=True))

    show = actions.add_parser("show", help="one incident with its audit trail")
    _common(show, scope=False)
    show.add_argument("incident_id", type=int, metavar="ID")
    show.set_defaults(func=lambda args: _run(args, run_show, read_only=True))

    review = actions.add_parser("review", help="confirm, dismiss, escalate, resolve or reopen an incident")
    _common(review, scope=False)
    review.add_argument("incident_id", type=int, metavar="ID")
    review.add_argument("action", choices=[a.value for a in ReviewAction], nargs="?", default=None)
    shortcut = review.add_mutually_exclusive_group()
    shortcut.add_argument("--confirm", dest="shortcut", action="store_const", const="confirm",
                          help="confirm (held for review: the bot then sends the nudge from its outbox)")
    shortcut.add_argument("--dismiss", dest="shortcut", action="store_const", const="dismiss",
                          help="dismiss (held for review: nobody is nudged)")
    review.add_argument("--note", default="", help="why (kept in the audit trail)")
    review.add_argument("--as", dest="actor", default=None,
                        help="who is acting, for the audit trail (default: operator:<login name>)")
    review.set_defaults(func=lambda args: _run(args, run_review))

    export = actions.add_parser("export", help="export incidents (CSV/JSON), or serve a subject access or "
                                               "erasure request")
    _common(export, json_flag=False)
    _filters(export, author=False)
    export.add_argument("--format", choices=["csv", "json"], default="csv", help="export format (default csv)")
    export.add_argument("--output", "-o", type=Path, default=None, help="write here instead of standard output")
    request = export.add_mutually_exclusive_group()
    request.add_argument("--author", dest="subject", metavar="ID", default=None,
                         help="UK GDPR subject access: everything held about this author id, as JSON")
    request.add_argument("--erase-author", dest="erase", metavar="ID", default=None,
                         help="UK GDPR erasure: anonymise this author id (needs --yes)")
    export.add_argument("--yes", action="store_true", help="confirm --erase-author")
    export.set_defaults(func=lambda args: _run(args, run_export, read_only=args.erase is None))

    stats = actions.add_parser("stats", help="per clause per week, rules, delivery rate, false positives")
    _common(stats)
    add_range_options(stats)
    stats.set_defaults(func=lambda args: _run(args, run_stats, read_only=True))

    purge = actions.add_parser("purge", help="remove content older than each community's retention period")
    _common(purge, scope=False)
    purge.set_defaults(func=lambda args: _run(args, run_purge))

    parser.set_defaults(func=lambda args: print_help_for_usage(parser))


def _common(parser: argparse.ArgumentParser, *, json_flag: bool = True, scope: bool = True) -> None:
    parser.add_argument("--db", type=database_target, help=DB_HELP)
    if scope:
        parser.add_argument("--platform", choices=[p.value for p in Platform], default=None,
                            help="only this platform (default: all)")
        parser.add_argument("--community", default=None, metavar="ID",
                            help="only this guild/workspace id (default: all)")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")


def _filters(parser: argparse.ArgumentParser, *, author: bool = True) -> None:
    parser.add_argument("--status", choices=[s.value for s in IncidentStatus], default=None)
    parser.add_argument("--clause", default=None, help="primary clause, e.g. 5.5.1")
    if author:  # `export --author` is the subject access request instead
        parser.add_argument("--author", dest="author_id", default=None, metavar="ID", help="author id")
    parser.add_argument("--channel", dest="channel_id", default=None, metavar="ID", help="channel id")
    add_range_options(parser)


def _page_size(value: str) -> int:
    """`--limit`: 1-1000 rows; anything else is a usage error (exit 2), like any bad option value."""
    if not value.strip().isdigit() or not 1 <= int(value) <= 1000:
        raise argparse.ArgumentTypeError(f"{value!r}: give a number of rows from 1 to 1000")
    return int(value)


def _offset(value: str) -> int:
    if not value.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{value!r}: give a number of rows to skip, 0 or more")
    return int(value)


def _run(args: argparse.Namespace, handler: Callable[[argparse.Namespace, Store], Awaitable[int]], *,
         read_only: bool = False) -> int:
    check_range(getattr(args, "since", None), getattr(args, "until", None))  # a usage error comes first
    path: DatabaseTarget = args.db or load_settings().db_path
    if not is_postgresql(path) and not Path(path).exists():
        raise StoreError(f"no database at {path}: check --db or NUDGEBOT_DB (the bot creates it on first run)")

    async def main() -> int:
        store = await Store.open(path, migrate=False, read_only=read_only)
        try:
            return await handler(args, store)
        finally:
            await store.close()

    return asyncio.run(main())


def _operator(args: argparse.Namespace) -> Principal:
    return operator_principal(getattr(args, "actor", None) or f"operator:{_login()}")


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (containers): still an operator
        return "unknown"


def _query(args: argparse.Namespace, *, limit: int = 25, offset: int = 0) -> IncidentQuery:
    return IncidentQuery(
        platform=Platform(args.platform) if args.platform else None, community_id=args.community,
        status=IncidentStatus(args.status) if getattr(args, "status", None) else None,
        clause=getattr(args, "clause", None), author_id=getattr(args, "author_id", None),
        channel_id=getattr(args, "channel_id", None), since=getattr(args, "since", None),
        until=getattr(args, "until", None), limit=limit, offset=offset)


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160  # piped into a file or pager: do not squeeze the table to 80 columns
    return console


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _short(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


async def run_list(args: argparse.Namespace, store: Store) -> int:
    """Print one page of incidents."""
    review = CommitteeReview(store)
    query = _query(args, limit=args.limit, offset=args.offset)
    incidents = await review.list(_operator(args), query)
    total = await review.count(_operator(args), query)
    if args.json:
        _print_json({"total": total, "offset": args.offset, "incidents": [incident_to_dict(i) for i in incidents]})
        return 0
    if not incidents:
        _console().print("no incidents match" + (f" (offset {args.offset} is past the last of {total})"
                                                 if total else ""))
        return 0
    _console().print(_incident_table(incidents, f"incidents {args.offset + 1}-{args.offset + len(incidents)} "
                                                f"of {total}"))
    return 0


def _incident_table(incidents: list[Incident], title: str) -> Table:
    """The incident list; at 80 columns the id (what `show` and `review` take) and the excerpt still show."""
    table = Table(title=title)
    id_width = max(2, *(len(str(i.id)) for i in incidents))
    table.add_column("id", no_wrap=True, min_width=id_width, justify="right")
    for name in ("when (UTC), where", "author", "clauses", "status"):
        table.add_column(name, overflow="fold")
    table.add_column("excerpt", overflow="fold")
    for i in incidents:
        # Text(...) and never a markup string: names and excerpts come from chat and may hold "[...]".
        # Fewer, taller cells: at 80 columns nine side by side left no room for the id or the excerpt.
        table.add_row(str(i.id), Text(f"{_short(i.created_at)}\n{i.platform.value}/{i.community_id}/{i.channel_id}"),
                      Text(i.author_name or i.author_id), ", ".join(i.clauses),
                      f"{status_label(i.status)}\n{i.severity.value}, {i.tier.value} tier\n"
                      f"nudge {i.delivery_status.value}",
                      Text(i.excerpt or "(content removed)"))
    return table


async def run_show(args: argparse.Namespace, store: Store) -> int:
    """Print one incident and its audit trail."""
    detail = await CommitteeReview(store, load_policy()).show(_operator(args), args.incident_id)
    if args.json:
        _print_json(detail.to_dict())
        return 0
    i = detail.incident
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    state = f"#{i.id} ({status_label(i.status)}, {i.severity.value}, tier {i.tier.value})"
    for label, value in (("incident", state),
                         ("when", f"{i.created_at.isoformat()}"),
                         ("where", f"{i.platform.value} {i.community_id} channel {i.channel_id}"),
                         ("message", f"{i.message_id} revision {i.revision} {i.permalink}"),
                         ("author", f"{i.author_name} ({i.author_id})"), ("targets", ", ".join(i.targets) or "-"),
                         ("clauses", ", ".join(f"{c.id} {c.heading}" for c in detail.clauses) or ", ".join(i.clauses)),
                         ("rules", ", ".join(i.rules)), ("excerpt", i.excerpt or "(content removed)"),
                         ("content", i.content if i.content is not None else "(not kept)"),
                         ("nudge", f"{i.delivery_status.value} {i.delivery_reason}".strip()),
                         ("next", ", ".join(a.value for a in detail.actions) or "-")):
        facts.add_row(label, Text(value))
    trail = Table("when (UTC)", "who", "action", "note", title="audit trail")
    for event in detail.events:
        trail.add_row(_short(event.created_at), Text(event.actor_id), Text(event.action), Text(event.note))
    console = _console()
    console.print(facts)
    console.print(trail)
    return 0


async def run_review(args: argparse.Namespace, store: Store) -> int:
    """Move an incident along the committee workflow."""
    action = args.action or args.shortcut
    if action is None or (args.action and args.shortcut and args.action != args.shortcut):
        raise InputError("say what to do: an action (confirm, dismiss, ...) or --confirm / --dismiss, not both")
    outcome = await CommitteeReview(store).decide(_operator(args), args.incident_id, ReviewAction(action), args.note)
    incident = outcome.incident
    queued = (outcome.from_review and incident.status is IncidentStatus.CONFIRMED
              and incident.delivery_status is DeliveryStatus.PENDING)
    escalations: list[int] = []
    if outcome.from_review and incident.status is IncidentStatus.CONFIRMED:
        # It counts toward 4.3 from now on; the escalation is recorded here, for the committee's list.
        tracker = EscalationTracker.from_settings(store, load_settings())
        escalations = [a.escalation_id for a in await tracker.observe(incident) if a.escalation_id is not None]
    if args.json:
        _print_json({**incident_to_dict(incident), "nudge_queued": queued, "escalations_opened": escalations})
    else:
        _console().print(f"incident #{incident.id} is now {status_label(incident.status)}")
        if queued:
            _console().print("the nudge is queued: the running bot sends it from its outbox (within minutes), "
                             "or as soon as it next starts")
        for escalation_id in escalations:
            _console().print(f"escalation #{escalation_id} opened (4.3): see it with the bot's committee alerts")
    return 0


async def run_export(args: argparse.Namespace, store: Store) -> int:
    """Export incidents, or serve a subject access (--author) or erasure (--erase-author) request."""
    if args.subject is not None:
        return await _subject_access(args, store)
    if args.erase is not None:
        return await _erase(args, store)
    data = await CommitteeReview(store).export(_operator(args), _query(args), args.format)
    _write(args.output, data)
    return 0


def _write(output: Path | None, data: bytes) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        write_private(output, data)  # incidents are personal data: readable by the operator alone (0600)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from None


async def _communities(args: argparse.Namespace, store: Store, author_id: str) -> list[tuple[Platform, str]]:
    found = list(dict.fromkeys([*await store.author_communities(author_id), *await store.named_in(author_id)]))
    return [(p, c) for p, c in found
            if (args.platform is None or p.value == args.platform) and (args.community is None or c == args.community)]


async def _subject_access(args: argparse.Namespace, store: Store) -> int:
    author_id = args.subject
    incidents: list[dict[str, Any]] = []
    names: list[dict[str, str]] = []
    for platform, community_id in await _communities(args, store, author_id):
        saved = (await store.names(platform, community_id, "member")).get(author_id)
        if saved:  # the display name kept so reports can name them
            names.append({"platform": platform.value, "community_id": community_id, "name": saved})
        for incident in await store.author_incidents(platform, community_id, author_id):
            entry = incident_to_dict(incident)
            entry["events"] = [event_to_dict(e) for e in await store.events(incident.id)]
            incidents.append(entry)
    document = {"request": "subject access (UK GDPR article 15)", "author_id": author_id,
                "generated_at": datetime.now(UTC).isoformat(), "count": len(incidents), "incidents": incidents,
                "names": names}
    _write(args.output, (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return 0


async def _erase(args: argparse.Namespace, store: Store) -> int:
    author_id = args.erase
    where = await _communities(args, store, author_id)
    held = 0
    for platform, community_id in where:
        held += len(await store.author_incidents(platform, community_id, author_id))
    if not args.yes:
        communities = plural(len(where), "community", "communities")
        print(f"nudgebot: {plural(held, 'incident')} by {author_id} in {communities} would be anonymised; "
              "run again with --yes to erase", file=sys.stderr)
        return 1
    actor = f"operator:{_login()}"
    erased = 0
    for platform, community_id in where:
        erased += await store.erase_author(platform, community_id, author_id, datetime.now(UTC), actor_id=actor)
    print(json.dumps({"request": "erasure (UK GDPR article 17)", "author_id": author_id, "anonymised": erased,
                      "communities": [f"{p.value}/{c}" for p, c in where]}))
    return 0


async def run_stats(args: argparse.Namespace, store: Store) -> int:
    """Print the committee's statistics."""
    stats = await CommitteeReview(store).stats(
        _operator(args), args.since, args.until, platform=Platform(args.platform) if args.platform else None,
        community_id=args.community)
    if args.json:
        _print_json(stats.to_dict())
        return 0
    _print_stats(stats)
    return 0


def _print_stats(stats: IncidentStats) -> None:
    console = _console()
    rate = f"{stats.delivery_rate:.0%}" if stats.delivery_rate is not None else "-"
    console.print(f"{plural(stats.total, 'incident')}; {stats.open_incidents} open now; {stats.review_queue} held for "
                  f"review now ({stats.held_for_review} held in the period); nudges delivered: {rate}; "
                  f"escalations: {sum(stats.escalations.values())}")
    weeks = stats.weeks
    per_week = Table("clause", *weeks, "total", title="incidents per clause per ISO week")
    for clause, counts in stats.by_clause_week.items():
        per_week.add_row(clause, *(str(counts.get(w, 0)) for w in weeks), str(sum(counts.values())))
    console.print(per_week)
    rules = Table(title="rules")
    rules.add_column("rule", no_wrap=True, min_width=max((len(rule) for rule, _ in stats.top_rules), default=4))
    for name in ("incidents", "dismissed", "dismissed as mistake"):
        rules.add_column(name, overflow="fold")
    for rule, count in stats.top_rules:
        rules.add_row(Text(rule), str(count), str(stats.dismissed_by_rule.get(rule, 0)),
                      str(stats.mistakes_by_rule.get(rule, 0)))
    console.print(rules)
    delivery = Table("nudge", "incidents", title="nudge delivery")
    for status, count in sorted(stats.delivery.items()):
        delivery.add_row(status, str(count))
    console.print(delivery)


async def run_purge(args: argparse.Namespace, store: Store) -> int:
    """Remove content past each community's retention period; metadata stays."""
    purged = await store.purge_content(datetime.now(UTC))
    if args.json:
        _print_json({"purged": purged})
    else:
        _console().print(f"removed the content of {plural(purged, 'incident')} past their community's retention "
                         "period")
    return 0
