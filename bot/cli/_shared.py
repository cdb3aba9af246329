"""Helpers the detection commands share: building the scanner from the command line and the environment."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bot.detection.scanner import Scanner, ScannerSettings, load_default_scanner
from bot.models import Audience

RULES_DIR_VARIABLE = "NUDGEBOT_RULES_DIR"
STUDENT_NUMBER_VARIABLE = "NUDGEBOT_STUDENT_NUMBER_PATTERN"


def add_rules_dir_option(parser: argparse.ArgumentParser) -> None:
    """`--rules-dir DIR` (repeatable): a committee's own packs, on top of the built-in ones."""
    parser.add_argument("--rules-dir", action="append", type=Path, default=None, metavar="DIR",
                        help=f"extra rule-pack directory (default: ${RULES_DIR_VARIABLE} if set)")


def extra_rule_dirs(args: argparse.Namespace) -> list[Path]:
    """The committee's pack directories: from --rules-dir, else from the environment."""
    if getattr(args, "rules_dir", None):
        return list(args.rules_dir)
    configured = os.environ.get(RULES_DIR_VARIABLE, "").strip()
    return [Path(p) for p in configured.split(os.pathsep) if p] if configured else []


def build_scanner(args: argparse.Namespace) -> Scanner:
    """Load the built-in packs plus the committee's, as the bot would."""
    options = {}
    pattern = os.environ.get(STUDENT_NUMBER_VARIABLE, "").strip()
    if pattern:
        options["student_number"] = {"pattern": pattern}
    extra = extra_rule_dirs(args)
    if not extra and not options:
        return load_default_scanner()  # the built-in packs alone: compiled once per process, however often asked
    return Scanner.from_directories(extra, ScannerSettings(validator_options=options))


def audience_of(value: str | None) -> Audience:
    """Parse an audience name ("general" or "under18"); anything else is general."""
    return Audience.UNDER18 if (value or "").strip().lower() in ("under18", "under-18", "u18") else Audience.GENERAL
