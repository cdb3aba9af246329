"""Writes `.env.example` and the README's settings table from the one table of settings (`bot.settings.Settings`);
`python -m bot.settings_docs` rewrites both after a setting changes, and a test checks they match."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings, Variable, variables

ENV_HEADER = (
    "# nudgebot configuration. Copy to .env and fill in what you use; real environment variables override this file.",
    "# Never commit .env: it holds tokens. Every variable below is optional unless its platform needs it.",
    "# A wrong value stops nudgebot at start with one line naming the variable and how to fix it.",
)
SECTION_WIDTH = 111
TABLE_START = "<!-- settings table: written by `python -m bot.settings_docs` from bot/settings.py -->"
TABLE_END = "<!-- end of the settings table -->"
SECRET_NOTE = "; a secret: never shown in logs, errors or reprs"


def _defaults() -> dict[str, Any]:
    return {name: getattr(Settings(), name) for name, _ in variables()}


def _as_env(value: Any) -> str:
    """A default as `.env` would spell it."""
    if value is None or value == ():
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def env_example() -> str:
    """The text of `.env.example`: each variable's comment lines and its default, grouped in sections."""
    lines = list(ENV_HEADER)
    section = ""
    defaults = _defaults()
    for name, variable in variables():
        if variable.section != section:
            section = variable.section
            title = f"# --- {section} "
            lines += ["", title + "-" * (SECTION_WIDTH - len(title))]
        lines += [f"# {line}" for line in variable.comment]
        value = variable.example if variable.example is not None else _as_env(defaults[name])
        lines.append(f"{'# ' if variable.commented_out else ''}{variable.name}={value}")
    return "\n".join(lines) + "\n"


def _default_cell(variable: Variable, default: Any) -> str:
    if variable.default_text:
        return variable.default_text
    shown = _as_env(default)
    return f"`{shown}`" if shown else "none"


def docs_table() -> str:
    """The README's table of settings (Markdown), between its two marker lines."""
    defaults = _defaults()
    rows = [TABLE_START, "| Variable | Default | What it does |", "|---|---|---|"]
    for name, variable in variables():
        doc = variable.doc + (SECRET_NOTE if variable.secret else "")
        rows.append(f"| `{variable.name}` | {_default_cell(variable, defaults[name])} | {doc} |")
    rows.append(TABLE_END)
    return "\n".join(rows)


def readme_table(readme: str) -> str:
    """The settings table as the README has it now (from its start marker to its end marker)."""
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        return ""
    return readme[start:end + len(TABLE_END)]


def write(root: Path) -> list[Path]:
    """Rewrite `.env.example` and the README's table under `root`; returns the files changed."""
    changed = []
    example = root / ".env.example"
    if not example.is_file() or example.read_text(encoding="utf-8") != env_example():
        example.write_text(env_example(), encoding="utf-8")
        changed.append(example)
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    current = readme_table(text)
    if not current:
        raise SystemExit(f"{readme}: no settings table markers ({TABLE_START!r} ... {TABLE_END!r})")
    if current != docs_table():
        readme.write_text(text.replace(current, docs_table()), encoding="utf-8")
        changed.append(readme)
    return changed


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()):
        print(f"rewrote {path}")
