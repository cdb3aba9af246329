"""The examples in docs/rules.md are real: written into a pack folder, `nudgebot rules check` passes them."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli_inprocess import InProcessCli
from tests.conftest import REPO_ROOT


def test_the_guides_examples_pass_rules_check(tmp_path: Path, cli: InProcessCli) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8"), re.S)
    packs = [b for b in blocks if b.startswith("pack:")]
    extra_rules = [b for b in blocks if b.lstrip().startswith("- id:")]
    assert len(packs) >= 2 and len(extra_rules) >= 2
    (tmp_path / "first.yaml").write_text(packs[0] + "".join(extra_rules), encoding="utf-8")
    for number, pack in enumerate(packs[1:], start=2):
        (tmp_path / f"pack{number}.yaml").write_text(pack.replace("pack: our-society", f"pack: our-society-{number}"),
                                                    encoding="utf-8")
    result = cli("rules", "check", tmp_path)  # in-process: `rules check` has its subprocess smoke test elsewhere
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All examples pass" in result.stdout
