"""A registry of named things (rule kinds, validators) that refuses a second entry under a name already taken."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, TypeVar


class Named(Protocol):
    """Anything registered by its `name`."""

    @property
    def name(self) -> str:
        """The name rule packs use for it."""
        ...


T = TypeVar("T", bound=Named)


class Registry(Mapping[str, T]):
    """Entries by name, in registration order; registering a name twice is an error, never a silent override."""

    def __init__(self, what: str, entries: Iterable[T] = ()) -> None:
        self._what = what
        self._entries: dict[str, T] = {}
        for entry in entries:
            self.register(entry)

    def register(self, entry: T) -> T:
        """Add `entry` under its name; raises ValueError if the name is taken."""
        if entry.name in self._entries:
            raise ValueError(f"a {self._what} named {entry.name!r} is already registered")
        self._entries[entry.name] = entry
        return entry

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
