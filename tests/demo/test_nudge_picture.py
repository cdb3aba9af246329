"""docs/nudge.svg is the real nudge: drawn from Slack's Block Kit rendering, with the buttons both platforms show."""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path
from types import ModuleType

from bot.texts import NUDGE_BUTTONS
from tests.conftest import REPO_ROOT

SVG = REPO_ROOT / "docs" / "nudge.svg"


def _drawer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("draw_nudge", REPO_ROOT / "docs" / "draw_nudge.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _words(svg: Path) -> str:
    """The text a reader sees in a rich SVG, with its runs joined."""
    runs = re.findall(r"<text[^>]*>([^<]*)</text>", svg.read_text(encoding="utf-8"))
    return html.unescape("".join(runs)).replace("\xa0", " ")


def test_the_pictured_buttons_are_the_real_ones() -> None:
    shown = re.findall(r"\[ ([^\]]+?) \]", _words(SVG))
    assert shown == list(NUDGE_BUTTONS.values())
    assert shown == _drawer().button_labels(_drawer().real_nudge_blocks())  # what Slack is sent
    assert "Edit my message" not in _words(SVG) and "This was a mistake" not in _words(SVG)


def test_the_picture_is_up_to_date_with_the_bot(tmp_path: Path) -> None:
    fresh = _drawer().draw(tmp_path / "nudge.svg")
    assert _words(fresh) == _words(SVG), "docs/nudge.svg is stale: run .venv/bin/python docs/draw_nudge.py"
    prose = " ".join(re.sub(r"[\u2500-\u257f]", " ", _words(SVG)).split())
    assert f"Choose \u201c{NUDGE_BUTTONS['mistake']}\u201d" in prose  # the hint names the button as labelled
