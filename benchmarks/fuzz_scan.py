"""Throws hostile text at the normaliser and scanner on every core and prints what happened: exceptions, spans,
throughput, latency percentiles, the worst case per kind of message, and peak memory.

    python benchmarks/fuzz_scan.py [--messages 1000000] [--seed 7] [--workers 2] [--chunk 5000]

Messages are generated in chunks, each from its own seed (`seed:chunk`), so a run is reproducible whatever the
scheduling; worker processes take chunks from a pool. Kinds: random Unicode from every plane (no surrogates),
combining-mark floods, zero-width floods, right-to-left overrides, mixed scripts, a sweep through every
character of the confusables table the normaliser uses, leet and spaced-out words, long repeats (up to 10,000
characters), and a 1 MB message every 200,000. The run counts exceptions (there should be none) and spans
outside the text (none).
Latency is the time of `normalize(text)` plus `scanner.scan(text)` for one message, by wall clock and by the
CPU time of the worker thread (on a shared machine the wall clock also counts time other processes held the core).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import time
import traceback
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confusable_homoglyphs import confusables
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.detection.normalize import normalize
from bot.detection.scanner import Scanner, load_default_scanner
from bot.models import Audience, ScanContext


def _confusable_characters() -> list[str]:
    """Every single character of the confusables table, as keys and as look-alikes, in a stable order."""
    found: dict[str, None] = {}
    for char, glyphs in confusables.confusables_data.items():
        if len(char) == 1:
            found[char] = None
        for glyph in glyphs:
            if len(glyph["c"]) == 1:
                found[glyph["c"]] = None
    return list(found)


CONFUSABLES = _confusable_characters()
MARKS = [chr(c) for c in range(0x300, 0x370)] + [chr(c) for c in (0x489, 0x20DD, 0x20E3, 0x1AB0, 0x1DC0, 0xFE20)]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f", "\u2061", "\ufe0f"]
DIRECTION = ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f",
             "\u200e", "\u061c"]
WORDS = ["hate", "kill", "women", "people", "you", "are", "vermin", "not", "fuck", "07700 900123", "LE1 7RH",
         "4111 1111 1111 1111", "@example.com", "\"", "'", "!", "idiot", "muslims", "gay", "die", "scum",
         "should", "all", "be", "i", "them", "student", "born 01/02/2009"]
# Words in other scripts, to mix with English in one message.
SCRIPTS = ["привет", "ненавижу", "γεια", "μίσος", "مرحبا", "שלום", "你好", "こんにちは", "안녕", "नमस्ते", "สวัสดี",
           "ሰላም", "გამარჯობა", "Здравствуйте", "𝐡𝐚𝐭𝐞", "ｈａｔｅ", "ⓗⓐⓣⓔ", "🅷🅰🆃🅴", "h̶a̶t̶e̶", "𝔨𝔦𝔩𝔩"]
LEET = str.maketrans("aeiostlg", "431057|9")
ONE_MB = 1_000_000
# How often each kind is drawn (out of 100). Long messages are few: each costs about as much as fifty short
# ones (linear in length, see the per-kind worst cases), and the run must reach a million messages.
KINDS = {"random_unicode": 14, "astral": 8, "mark_flood": 10, "zero_width_flood": 12, "rtl_override": 12,
         "mixed_scripts": 10, "confusable_sweep": 16, "spaced_and_leet": 15, "long_repeat": 3}


def _random_codepoint(rng: random.Random, astral: bool = False) -> str:
    while True:
        if astral:
            code = rng.randint(0x10000, 0x10FFFF)
        else:
            code = rng.choice((rng.randint(0, 0x7F), rng.randint(0x80, 0x2FFF), rng.randint(0x3000, 0xFFFF),
                               rng.randint(0x10000, 0x10FFFF)))
        if not 0xD800 <= code <= 0xDFFF:  # surrogates cannot be sent as UTF-8 by any chat platform
            return chr(code)


def _generators(rng: random.Random, sweep_start: int) -> dict[str, Callable[[], str]]:
    """One maker per kind of hostile message, all drawing from `rng`."""
    sweep = [sweep_start]

    def random_unicode() -> str:
        return "".join(_random_codepoint(rng) for _ in range(rng.randint(0, 200)))

    def astral() -> str:
        return "".join(_random_codepoint(rng, astral=True) if rng.random() < 0.7 else rng.choice(WORDS) + " "
                       for _ in range(rng.randint(1, 50)))

    def mark_flood() -> str:
        word = " ".join(rng.choices(WORDS, k=rng.randint(1, 4)))
        most = rng.choice((8, 60, 400))
        return "".join(ch + "".join(rng.choices(MARKS, k=rng.randint(0, most))) for ch in word)

    def zero_width_flood() -> str:
        if rng.random() < 0.3:  # nothing but invisible characters
            return "".join(rng.choices(ZERO_WIDTH, k=rng.randint(1, 5_000)))
        return " ".join(rng.choice(ZERO_WIDTH).join(rng.choice(WORDS)) * rng.randint(1, 3)
                        for _ in range(rng.randint(1, 12)))

    def rtl_override() -> str:
        parts = []
        for word in rng.choices(WORDS, k=rng.randint(1, 10)):
            mark = rng.choice(DIRECTION)
            parts.append(mark + (word[::-1] if rng.random() < 0.5 else word) + rng.choice(["\u202c", "\u2069", ""]))
        return " ".join(parts)

    def mixed_scripts() -> str:
        return " ".join(rng.choice(SCRIPTS) if rng.random() < 0.5 else rng.choice(WORDS)
                        for _ in range(rng.randint(1, 20)))

    def confusable_sweep() -> str:
        # Walks the table in order (each chunk from its own place), spelling words with look-alikes.
        out = []
        for word in rng.choices(WORDS, k=rng.randint(1, 6)):
            letters = []
            for char in word:
                if rng.random() < 0.6:
                    letters.append(CONFUSABLES[sweep[0] % len(CONFUSABLES)])
                    sweep[0] += 1
                else:
                    letters.append(char)
            out.append("".join(letters))
        return " ".join(out)

    def spaced_and_leet() -> str:
        return " ".join(rng.choice([w, " ".join(w), ".".join(w), "-".join(w), w.translate(LEET),
                                    w * rng.randint(1, 5), "".join(c * rng.randint(1, 6) for c in w)])
                        for w in rng.choices(WORDS, k=rng.randint(1, 15)))

    def long_repeat() -> str:
        unit = rng.choice(["a", "aa", "a ", "1", "\u0301", "\u200b", "f u ", "@", "'", "\"", "hate ", "h4te ",
                           "\u0430", ". ", "kill you "])
        return unit * rng.randint(1, 10_000 // len(unit))

    makers = {"random_unicode": random_unicode, "astral": astral, "mark_flood": mark_flood,
              "zero_width_flood": zero_width_flood, "rtl_override": rtl_override, "mixed_scripts": mixed_scripts,
              "confusable_sweep": confusable_sweep, "spaced_and_leet": spaced_and_leet, "long_repeat": long_repeat}
    assert list(makers) == list(KINDS)
    return makers


def _one_megabyte(number: int) -> tuple[str, str]:
    """The `number`th 1 MB message: every confusable repeated, a mark flood, hate words, random Unicode."""
    rng = random.Random(number)
    shapes = [("1MB_confusables", lambda: "".join(CONFUSABLES)),
              ("1MB_mark_flood", lambda: "h" + "".join(rng.choices(MARKS, k=999))),
              ("1MB_words", lambda: " ".join(rng.choices(WORDS, k=200))),
              ("1MB_random_unicode", lambda: "".join(_random_codepoint(rng) for _ in range(5_000)))]
    kind, make = shapes[number % len(shapes)]
    piece = make()
    return kind, (piece * (ONE_MB // len(piece) + 1))[:ONE_MB]


@dataclass
class ChunkResult:
    """What one chunk of messages did."""

    count: int = 0
    characters: int = 0
    errors: int = 0
    bad_spans: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies: array = field(default_factory=lambda: array("d"))
    cpu_latencies: array = field(default_factory=lambda: array("d"))
    worst: dict[str, tuple[float, int]] = field(default_factory=dict)  # kind -> (wall seconds, length)
    worst_cpu: dict[str, tuple[float, int]] = field(default_factory=dict)  # kind -> (CPU seconds, length)
    peak_rss_kib: int = 0
    seconds: float = 0.0  # summed per-message time


_SCANNER: Scanner | None = None
_AUDIENCES = [ScanContext(), ScanContext(audience=Audience.UNDER18)]


def _init_worker() -> None:
    global _SCANNER
    _SCANNER = load_default_scanner()


def run_chunk(task: tuple[int, int, int, int]) -> ChunkResult:
    """Generate and scan one chunk: (chunk number, first global index, message count, seed)."""
    number, first, count, seed = task
    scanner = _SCANNER or load_default_scanner()
    rng = random.Random(f"{seed}:{number}")
    makers = _generators(rng, sweep_start=number * 997)
    names, weights = list(KINDS), list(KINDS.values())
    result = ChunkResult()
    for index in range(first, first + count):
        if index % 200_000 == 199_999:
            kind, text = _one_megabyte(index // 200_000)
        elif index == 0:
            kind, text = "every_confusable", "".join(CONFUSABLES)
        else:
            kind = rng.choices(names, weights)[0]
            text = makers[kind]()
        context = rng.choice(_AUDIENCES)
        result.count += 1
        result.characters += len(text)
        before, cpu_before = time.perf_counter(), time.thread_time()
        try:
            normalize(text)
            verdict = scanner.scan(text, context)
        except Exception:
            result.errors += 1
            if len(result.error_samples) < 3:
                result.error_samples.append(f"{kind}, {len(text):,} characters, seed {seed}:{number}\n"
                                            + traceback.format_exc(limit=4))
            continue
        spent, cpu_spent = time.perf_counter() - before, time.thread_time() - cpu_before
        result.latencies.append(spent)
        result.cpu_latencies.append(cpu_spent)
        result.seconds += spent
        if spent > result.worst.get(kind, (0.0, 0))[0]:
            result.worst[kind] = (spent, len(text))
        if cpu_spent > result.worst_cpu.get(kind, (0.0, 0))[0]:
            result.worst_cpu[kind] = (cpu_spent, len(text))
        for match in (*verdict.matches, *verdict.welfare, *(m for m, _ in verdict.suppressed)):
            if not 0 <= match.start < match.end <= len(text):
                result.bad_spans += 1
    result.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def _percentile(sorted_values: array, fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main() -> None:
    """Run the fuzzing benchmark over a pool of worker processes and print its table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--chunk", type=int, default=5_000, help="messages per task handed to a worker")
    args = parser.parse_args()
    tasks = [(n, first, min(args.chunk, args.messages - first), args.seed)
             for n, first in enumerate(range(0, args.messages, args.chunk))]
    total = ChunkResult()
    worst: dict[str, tuple[float, int]] = {}
    worst_cpu: dict[str, tuple[float, int]] = {}
    latencies = array("d")
    cpu_latencies = array("d")
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    columns = (TextColumn("fuzzing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with multiprocessing.get_context("fork").Pool(args.workers, initializer=_init_worker) as pool, \
            Progress(*columns, transient=True) as progress:
        bar = progress.add_task("fuzzing", total=args.messages)
        for part in pool.imap_unordered(run_chunk, tasks):
            total.count += part.count
            total.characters += part.characters
            total.errors += part.errors
            total.bad_spans += part.bad_spans
            total.error_samples.extend(part.error_samples[: max(0, 5 - len(total.error_samples))])
            total.peak_rss_kib = max(total.peak_rss_kib, part.peak_rss_kib)
            total.seconds += part.seconds
            latencies.extend(part.latencies)
            cpu_latencies.extend(part.cpu_latencies)
            for mine, theirs in ((worst, part.worst), (worst_cpu, part.worst_cpu)):
                for kind, (seconds, length) in theirs.items():
                    if seconds > mine.get(kind, (0.0, 0))[0]:
                        mine[kind] = (seconds, length)
            progress.update(bar, advance=part.count)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    latencies = array("d", sorted(latencies))
    cpu_latencies = array("d", sorted(cpu_latencies))
    title = f"fuzz_scan: {total.count:,} hostile messages, seed {args.seed}, {args.workers} worker(s)"
    table = Table("measure", "value", title=title)
    table.add_row("exceptions", str(total.errors))
    table.add_row("spans outside the text", str(total.bad_spans))
    table.add_row("messages/s (wall clock, all workers)",
                  f"{total.count / elapsed:,.0f} ({total.characters / 1e6:,.1f} M characters in {elapsed:,.0f} s)")
    table.add_row("messages/s per busy core (scan time only)", f"{total.count / max(total.seconds, 1e-9):,.0f}")
    table.add_row("CPU time of the workers", f"{cpu:,.0f} s (generation included)")
    for label, values in (("wall clock", latencies), ("CPU time", cpu_latencies)):
        table.add_row(f"p50 / p99 / p99.99 / max ({label})", " / ".join(
            f"{_percentile(values, q) * 1e3:.3f} ms" for q in (0.5, 0.99, 0.9999)) + f" / {values[-1] * 1e3:.1f} ms")
    for label, table_of in (("wall clock", worst), ("CPU time", worst_cpu)):
        kind, (seconds, length) = max(table_of.items(), key=lambda item: item[1][0])
        table.add_row(f"worst case ({label})", f"{seconds * 1e3:,.1f} ms on a {length:,}-character {kind} message")
    table.add_row("peak RSS (largest worker)", f"{total.peak_rss_kib / 1024:,.0f} MiB")
    table.add_row("1-minute load average at the end", f"{__import__('os').getloadavg()[0]:.2f}")
    console = Console()
    console.print(table)
    per_kind = Table("kind", "worst CPU time", "its length", "worst wall clock", "its length",
                     title="worst case per kind of message")
    for name, (seconds, length) in sorted(worst_cpu.items(), key=lambda item: -item[1][0]):
        wall, wall_length = worst[name]
        per_kind.add_row(name, f"{seconds * 1e3:,.1f} ms", f"{length:,}", f"{wall * 1e3:,.1f} ms", f"{wall_length:,}")
    console.print(per_kind)
    for sample in total.error_samples:
        print(sample, file=sys.stderr)
    sys.exit(1 if total.errors or total.bad_spans else 0)


if __name__ == "__main__":
    main()
