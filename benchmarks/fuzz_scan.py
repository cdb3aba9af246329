"""Throws hostile text at the normaliser and scanner and prints what happened: exceptions, spans, worst time.

    python benchmarks/fuzz_scan.py [--messages 1000000] [--seed 7]

Generated messages: random Unicode from every plane, combining-mark floods, zero-width and direction marks,
mixed scripts, every character of the confusables table, leet and spaced-out words, long repeats, and a few
1 MB messages. The run counts exceptions (there should be none), spans outside the text (none), and prints the
throughput, latency percentiles and the worst case.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from confusable_homoglyphs import confusables
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bot.models import Audience, ScanContext
from bot.normalize import normalize
from bot.scanner import Scanner

CONFUSABLES = [c for c in confusables.confusables_data if len(c) == 1]
MARKS = [chr(c) for c in range(0x300, 0x370)] + [chr(c) for c in (0x489, 0x20DD, 0x20E3)]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066", "\u00ad", "\u180e"]
WORDS = ["hate", "kill", "women", "people", "you", "are", "vermin", "not", "fuck", "07700 900123", "LE1 7RH",
         "4111 1111 1111 1111", "@example.com", "\"", "'", "!", "idiot", "muslims", "gay", "die"]


def _random_codepoint(rng: random.Random) -> str:
    while True:
        code = rng.choice((rng.randint(0, 0x7F), rng.randint(0x80, 0x2FFF), rng.randint(0x3000, 0xFFFF),
                           rng.randint(0x10000, 0x10FFFF)))
        if not 0xD800 <= code <= 0xDFFF:
            return chr(code)


def _generators(rng: random.Random) -> list[Callable[[], str]]:
    def random_unicode() -> str:
        return "".join(_random_codepoint(rng) for _ in range(rng.randint(0, 200)))

    def mark_flood() -> str:
        word = rng.choice(WORDS)
        return "".join(ch + "".join(rng.choice(MARKS) for _ in range(rng.randint(0, 60))) for ch in word)

    def invisible_split() -> str:
        return " ".join(rng.choice(INVISIBLE).join(rng.choice(WORDS)) for _ in range(rng.randint(1, 12)))

    def confusable_mix() -> str:
        return "".join(rng.choice(CONFUSABLES) if rng.random() < 0.5 else rng.choice("abcdefghijklmnopqrstuvwxyz ")
                       for _ in range(rng.randint(1, 300)))

    def spaced_and_leet() -> str:
        table = str.maketrans("aeiost", "43105$")
        return " ".join(rng.choice([w, " ".join(w), ".".join(w), w.translate(table), w * rng.randint(1, 5)])
                        for w in rng.choices(WORDS, k=rng.randint(1, 15)))

    def long_repeat() -> str:
        return rng.choice(["a", "aa", "a ", "1", "\u0301", "\u200b", "f u ", "@", "'", "\""]) * rng.randint(1, 20_000)

    return [random_unicode, mark_flood, invisible_split, confusable_mix, spaced_and_leet, long_repeat]


def messages(count: int, seed: int) -> Iterator[str]:
    """`count` hostile messages; every 200,000th is a 1 MB message."""
    rng = random.Random(seed)
    makers = _generators(rng)
    every_confusable = "".join(CONFUSABLES)
    for index in range(count):
        if index % 200_000 == 199_999:
            yield (every_confusable * (1_000_000 // len(every_confusable) + 1))[:1_000_000]
        elif index == 0:
            yield every_confusable
        else:
            yield rng.choice(makers)()


def main() -> None:
    """Run the fuzzing benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    scanner = Scanner.from_directories()
    rng = random.Random(args.seed)
    audiences = [ScanContext(), ScanContext(audience=Audience.UNDER18)]
    error_samples: list[str] = []
    error_count = 0
    bad_spans = 0
    latencies: list[float] = []
    worst = (0.0, 0)
    total_chars = 0
    started = time.perf_counter()
    with Progress(transient=True) as progress:
        task = progress.add_task("fuzzing", total=args.messages)
        for index, text in enumerate(messages(args.messages, args.seed)):
            total_chars += len(text)
            before = time.perf_counter()
            try:
                normalize(text)
                verdict = scanner.scan(text, rng.choice(audiences))
            except Exception:
                error_count += 1
                if len(error_samples) < 5:
                    error_samples.append(traceback.format_exc(limit=3))
                continue
            spent = time.perf_counter() - before
            latencies.append(spent)
            if spent > worst[0]:
                worst = (spent, len(text))
            for match in (*verdict.matches, *verdict.welfare):
                if not 0 <= match.start < match.end <= len(text):
                    bad_spans += 1
            if index % 10_000 == 0:
                progress.update(task, completed=index)
    elapsed = time.perf_counter() - started
    latencies.sort()
    table = Table("measure", "value", title=f"fuzz_scan: {args.messages:,} hostile messages (seed {args.seed})")
    table.add_row("exceptions", str(error_count))
    table.add_row("spans outside the text", str(bad_spans))
    table.add_row("messages/s", f"{args.messages / elapsed:,.0f} ({total_chars / 1e6:,.1f} M characters)")
    table.add_row("p50 / p99 / p99.99", " / ".join(f"{latencies[int(q * (len(latencies) - 1))] * 1e3:.3f} ms"
                                                    for q in (0.5, 0.99, 0.9999)))
    table.add_row("worst case", f"{worst[0] * 1e3:.1f} ms on a {worst[1]:,}-character message")
    table.add_row("peak RSS", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    Console().print(table)
    for sample in error_samples:
        print(sample, file=sys.stderr)
    sys.exit(1 if error_count or bad_spans else 0)


if __name__ == "__main__":
    main()
