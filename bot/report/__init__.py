"""The committee's HTML report: figures gathered from the incident store, drawn as one self-contained page."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bot.errors import InputError
from bot.report.data import EscalationRow, ReportData, RuleFigures
from bot.report.gather import gather_report
from bot.report.page import render_report

__all__ = ["EscalationRow", "ReportData", "RuleFigures", "gather_report", "render_report", "write_report"]


def write_report(data: ReportData, path: Path) -> Path:
    """Render the report and write it atomically (a half-written report never replaces a good one)."""
    page = render_report(data)
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp makes the file readable by its owner only: the report is for the committee.
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(page)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise InputError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    return path.resolve()
