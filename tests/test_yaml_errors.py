"""A broken YAML file (a rule pack, the policy, a demo script) or .env file is named in one line that says
where, once.

Issue 16 point 13 saw "at at line 1": PyYAML's own text says where twice over ('in "<unicode string>", line 1,
column 5' under the problem), and python-dotenv's warning says "could not parse statement starting at line 1";
a message that wraps either in "... at {it}" doubles the word. These check every YAML reader gives one
"at line N" (a control character too, which PyYAML reports with an offset and no line) and no PyYAML
multi-line text ("<unicode string>", a caret line) instead of the file's own name, and that a bad .env line is
named "FILE:N" once with no python-dotenv warning beside it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.demo.script import load_script
from bot.detection.clauses import load_policy
from bot.detection.rules import load_rule_set
from bot.errors import NudgebotError
from bot.settings import read_env_file

BROKEN: dict[str, tuple[str, int | None]] = {
    "a key on the line of a value": ("pack: p\nrules: x: y\n", 2),
    "an unclosed list": ("pack: p\nrules:\n  - [a, b\n", None),  # found at the end: libyaml and PyYAML differ
    "an unknown alias": ("pack: p\nrules: *nothing\n", 2),
    "a tab for indentation": ("pack: p\nrules:\n\t- id: x\n", 3),
    "a NUL character": ("pack: p\nrules:\n  - id: a\x00b\n", 3),  # PyYAML gives an offset, not a line
    "a control character after accents": ("pack: p\n# café, naïve\nrules: \x07\n", 3),  # libyaml: bytes
}


def _rules(path: Path) -> object:
    return load_rule_set([path.parent], validator_names=[])


@pytest.mark.parametrize("reader", [_rules, load_policy, load_script], ids=["rule pack", "policy", "demo script"])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_yaml_file_is_one_line_naming_the_file_and_the_line_once(
        tmp_path: Path, reader: Callable[[Path], object], case: str) -> None:
    text, line = BROKEN[case]
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NudgebotError) as raised:
        reader(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message and "<unicode string>" not in message
    assert message.count(" at ") == 1 and "at at" not in message
    assert re.search(rf"not valid YAML at line {line or '[0-9]+'}: \S", message), message


BROKEN_ENV: dict[str, tuple[str, int]] = {
    "a line that is not KEY=value": ("NUDGEBOT_LOG_LEVEL=INFO\nwelfare text here\n", 2),
    "text after a closed quote": ('NUDGEBOT_DB="x.db" and more\n', 1),
    "an unclosed quote": ("# settings\nNUDGEBOT_WELFARE_TEXT='talk to us\nNUDGEBOT_DB=x.db\n", 2),
}


@pytest.mark.parametrize("case", sorted(BROKEN_ENV))
def test_a_bad_env_line_is_named_once_by_file_and_line(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                       case: str) -> None:
    text, line = BROKEN_ENV[case]
    path = tmp_path / "bot.env"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.DEBUG), pytest.raises(NudgebotError) as raised:
        read_env_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: ") and "\n" not in message
    said = message.removeprefix(f"{path}:{line}: ")
    assert " at " not in said and not re.search(r"line \d|:\d", said), message
    assert not [r for r in caplog.records if r.name.startswith("dotenv")]  # no second account of the same line
