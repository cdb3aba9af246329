"""Chat-export audit: reads a Slack or DiscordChatExporter export and records incidents without sending anything."""

from __future__ import annotations

from bot.audit.common import ExportFileError, ExportFormatError, ExportProblem, ExportReader, ExportUnit, Ignored
from bot.audit.run import AuditSummary, open_export, run_audit

__all__ = ["AuditSummary", "ExportFileError", "ExportFormatError", "ExportProblem", "ExportReader", "ExportUnit",
           "Ignored", "open_export", "run_audit"]
