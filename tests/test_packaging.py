"""The package's version string is the one pyproject.toml declares (the scanner cache keys on it)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import bot


def test_the_package_version_is_the_one_pyproject_declares() -> None:
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text("utf-8"))
    assert bot.__version__ == pyproject["project"]["version"]
