"""What the export readers share: the items they yield, the problems they report and the zip-or-folder tree."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

from bot.errors import InputError
from bot.models import MessageEvent

# A zip member that fails its CRC, a truncated deflate stream or an unreadable folder file.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError)


class ExportFormatError(InputError):
    """The export as a whole cannot be read (not a zip, no channels.json, no workspace id): nothing was scanned."""


class ExportFileError(Exception):
    """One file of the export cannot be read (further): the audit reports it and goes on with the next file."""

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        self.reason = reason
        super().__init__(f"{file}: {reason}")


@dataclass(frozen=True, slots=True)
class ExportProblem:
    """Something wrong in one file: `whole_file` False means one message was skipped and the rest was read."""

    file: str
    reason: str
    whole_file: bool = True

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Ignored:
    """A message that is not a member's post (bot, system notice, no text) or is older than `--since`."""

    reason: str


BEFORE_SINCE = "before --since"

ExportItem = MessageEvent | ExportProblem | Ignored


@dataclass(slots=True)
class ExportUnit:
    """One file of an export, read lazily: `read()` yields its items and raises ExportFileError when it cannot."""

    name: str
    size: int
    read: Callable[[], Iterator[ExportItem]]
    # How many bytes of the file have been consumed so far, for the progress bar on large single files.
    position: Callable[[], int] = lambda: 0
    # How many export files the unit reads (a merged unit reads several; its broken ones arrive as problems).
    files: int = 1


class ExportReader(Protocol):
    """A chat export in one format, split into units that are read one at a time."""

    kind: str
    problems: list[ExportProblem]  # found while opening and listing; reported before the units are read
    excluded: set[str]  # direct-message conversations left out, as the live bots leave them out

    def units(self) -> list[ExportUnit]:
        """The files to read, in the order they are read."""
        ...

    def close(self) -> None:
        """Release what the reader holds open."""
        ...


class ExportTree:
    """The files of an export, from a folder or a zip, addressed by POSIX paths relative to the export's root.

    A zip made by hand often wraps everything in one top-level folder; `root_marker` (a file every export of the
    format has) finds the real root inside it.
    """

    def __init__(self, path: Path, root_marker: str) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._sizes: dict[str, int] = {}
        self._members: dict[str, str] = {}
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file():
                    name = file.relative_to(path).as_posix()
                    self._sizes[name] = file.stat().st_size
                    self._members[name] = name
        else:
            try:
                self._zip = zipfile.ZipFile(path)
                infos = self._zip.infolist()
            except (zipfile.BadZipFile, OSError) as exc:
                raise ExportFormatError(f"{path}: not a readable zip file ({exc})") from None
            markers = sorted((i.filename for i in infos if PurePosixPath(i.filename).name == root_marker),
                             key=lambda n: n.count("/"))
            prefix = markers[0][: -len(root_marker)] if markers else ""
            for info in infos:
                if info.is_dir() or not info.filename.startswith(prefix):
                    continue
                name = info.filename[len(prefix):]
                self._sizes[name] = info.file_size
                self._members[name] = info.filename

    def names(self) -> list[str]:
        """Every file, sorted."""
        return sorted(self._sizes)

    def __contains__(self, name: str) -> bool:
        return name in self._sizes

    def size(self, name: str) -> int:
        """The file's uncompressed size in bytes."""
        return self._sizes[name]

    def open(self, name: str) -> IO[bytes]:
        """Open one file for binary reading."""
        if self._zip is not None:
            return self._zip.open(self._members[name])
        return (self.path / self._members[name]).open("rb")

    def read_bytes(self, name: str) -> bytes:
        """The whole file; a damaged zip member or unreadable file raises ExportFileError naming it."""
        try:
            with self.open(name) as stream:
                return stream.read()
        except READ_ERRORS as exc:
            raise ExportFileError(name, f"cannot be read ({exc})") from None

    def close(self) -> None:
        """Release the zip file, if any."""
        if self._zip is not None:
            self._zip.close()
