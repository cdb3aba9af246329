"""Patterns compiled on first use: a module's big patterns, and every pattern restored from the scanner cache.

Compiling is most of what importing a module full of large patterns costs (the standard `re` compiles in
Python), and a `nudgebot scan` of one benign message reaches only a few of them. A LazyPattern stands in for the
compiled pattern: its first method call compiles it, and later calls go straight to the compiled pattern's
methods (kept on the instance), so a pattern in a hot loop costs what the compiled one does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import regex


class LazyPattern:
    """A pattern given by its source and flags, compiled by `compile_` when it is first used."""

    def __init__(self, compile_: Callable[[str, int], Any], source: str, flags: int) -> None:
        self._compile = compile_
        self._source = source
        self._flags = flags
        self._compiled: Any = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the instance does not have yet ("search", "finditer"...): compile once, then
        # keep the compiled pattern's attribute here so the next look-up is an ordinary one.
        if name.startswith("__") or name in ("_compile", "_source", "_flags", "_compiled"):
            raise AttributeError(name)
        compiled = self.compiled()
        value = getattr(compiled, name)
        self.__dict__[name] = value
        return value

    def compiled(self) -> Any:
        """The compiled pattern (compiling it now if it is not yet)."""
        if self._compiled is None:
            self._compiled = self._compile(self._source, self._flags)
        return self._compiled

    @property
    def pattern(self) -> str:
        """The pattern's source, without compiling it."""
        return self._source

    @property
    def flags(self) -> int:
        """The pattern's flags, without compiling it."""
        return self._flags

    def __repr__(self) -> str:
        return f"LazyPattern({self._source!r}, {self._flags})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (LazyPattern, (self._compile, self._source, self._flags))


def regex_compile(source: str, flags: int) -> Any:
    """`regex.compile`, by a name pickle can store."""
    return regex.compile(source, flags)


def re_compile(source: str, flags: int) -> Any:
    """`re.compile`, by a name pickle can store."""
    return re.compile(source, flags)


def lazy(source: str, flags: int = 0) -> re.Pattern[str]:
    """A standard-library pattern compiled on its first use (typed as the pattern it stands for)."""
    return cast("re.Pattern[str]", LazyPattern(re_compile, source, flags))
