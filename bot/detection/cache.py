"""A cache of the built scanner, so `nudgebot scan` starts in a fraction of a second.

Building the scanner (compiling every pattern, probing committee patterns, loading pyspellchecker's word list)
takes seconds; unpickling it takes milliseconds. The cache file is keyed by a hash of every pack file's bytes,
the package version, the bot/detection source, the validator names and the scanner settings: a cache whose key
does not match, or that fails to load, is ignored and rebuilt, never trusted. Patterns are stored as their
source and compiled on first use, so a message compiles only the few patterns it reaches.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import pickle
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import regex

import bot
from bot.detection.lazyre import LazyPattern, re_compile, regex_compile
from bot.detection.rules import pack_files

log = logging.getLogger(__name__)

CACHE_VARIABLE = "NUDGEBOT_CACHE_DIR"
_FORMAT = b"nudgebot-scanner-cache-2\n"
_DETECTION_DIR = Path(__file__).resolve().parent
_MODELS_DIR = _DETECTION_DIR.parent / "models"


def cache_dir() -> Path:
    """$NUDGEBOT_CACHE_DIR, else $XDG_CACHE_HOME/nudgebot, else ~/.cache/nudgebot."""
    configured = os.environ.get(CACHE_VARIABLE, "").strip()
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return Path(xdg) / "nudgebot" if xdg else Path.home() / ".cache" / "nudgebot"


def cache_key(directories: Sequence[Path], validator_names: Iterable[str], settings: object) -> str:
    """A hash of everything the built scanner depends on."""
    digest = hashlib.sha256()
    # The package's own version string, not importlib.metadata's: looking that up costs a scan's start tens of
    # milliseconds, and tests/test_packaging.py keeps the two equal.
    digest.update(bot.__version__.encode())
    for path in sorted(_DETECTION_DIR.rglob("*.py")):
        digest.update(path.relative_to(_DETECTION_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    for path in sorted(_MODELS_DIR.rglob("*.py")):  # the enums and match types the scanner holds
        digest.update(b"models/" + path.relative_to(_MODELS_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    for directory in directories:
        digest.update(b"\1" + str(directory.resolve()).encode())
        for path in pack_files(directory):
            digest.update(b"\2" + path.name.encode() + b"\0" + path.read_bytes())
    digest.update(("\3" + ",".join(sorted(validator_names))).encode())
    digest.update(("\4" + repr(settings)).encode())
    return digest.hexdigest()


def load(key: str) -> Any | None:
    """The cached object for `key`, or None (no cache, another key, or a file that does not load)."""
    path = cache_dir() / "scanner.pickle"
    try:
        status = path.stat()
        # Unpickling runs code: only a file this user wrote and nobody else may change is read.
        if status.st_uid != os.getuid() or status.st_mode & 0o022:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    header = _FORMAT + key.encode() + b"\n"
    if not data.startswith(header):
        return None
    try:
        return pickle.loads(data[len(header):])
    except Exception:  # a corrupt or truncated cache is only a rebuild
        log.info("scanner cache did not load; rebuilding", exc_info=True)
        return None


def store(key: str, value: object) -> None:
    """Write the cache atomically (a temporary file, then os.replace); an unwritable directory means no cache."""
    directory = cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        buffer = io.BytesIO()
        buffer.write(_FORMAT + key.encode() + b"\n")
        _LazyPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".scanner-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(buffer.getvalue())
            os.replace(temporary, directory / "scanner.pickle")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        log.info("scanner cache not written", exc_info=True)


class _LazyPickler(pickle.Pickler):
    """Stores every compiled pattern as a LazyPattern."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, regex.Pattern):
            return (LazyPattern, (regex_compile, obj.pattern, obj.flags))
        if isinstance(obj, re.Pattern):
            return (LazyPattern, (re_compile, obj.pattern, obj.flags))
        return NotImplemented
