"""Before a long-running bot takes its first message: make the scanner compile what it otherwise compiles on first use.

The scanner compiles each pattern (and its `re` prefilter) the first time a message reaches it, so a one-off
`nudgebot scan` pays only for the few it needs. A bot that has just connected would pay for all of them on its
first few hundred messages instead: seconds of CPU while members' messages queue behind it (most of the bot's
time in the first 5,000 messages of the load benchmark). Scanning every rule's own "match" examples once, before
connecting, reaches every rule the way a real breach does, through the public `scan`, and leaves nothing to
compile later.
"""

from __future__ import annotations

import logging
import time

from bot.detection.scanner import Scanner

log = logging.getLogger(__name__)


def warm_scanner(scanner: Scanner) -> int:
    """Scan every rule's "match" examples once (a synchronous, CPU-bound call: run it in a thread before
    connecting); returns how many were scanned. A rule's example that no longer matches is `nudgebot rules
    check`'s business, not the bot's: nothing is decided here."""
    started = time.process_time()
    scanned = 0
    for rule in scanner.rule_set.rules:
        for text in rule.examples_match:
            scanner.scan(text)
            scanned += 1
    log.info("scanner ready", extra={"examples": scanned, "cpu_seconds": round(time.process_time() - started, 2)})
    return scanned
