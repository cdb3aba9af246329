"""Finds the bundled rule packs and migrations, whether nudgebot runs from a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    installed = _PACKAGE_DIR / "_data" / name  # a wheel: copied there by pyproject's force-include
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name  # a checkout or editable install: the top-level folder


def rules_dir() -> Path:
    """The directory holding `policy.yaml` and the built-in rule packs."""
    return _locate("rules")


def migrations_dir() -> Path:
    """The directory holding the numbered SQL migrations."""
    return _locate("migrations")
