"""Scanner cost on one core, one message at a time, in-process: messages/s (wall clock and CPU time) and
p50/p99/max latency on (a) the mostly-benign chat corpus, (b) the texts of society-chat-dev.csv and (c) the
texts of hatecheck-dev.csv; each again with a generated committee pack of N terms plus 200 patterns (ratio to
the figure without it); the cold start of `nudgebot scan` for one message with an empty and a warm cache; and
better_profanity on the same corpora as a ratio. Peak RSS last.

    python benchmarks/bench_scan.py                      # everything
    python benchmarks/bench_scan.py --sets a,c --packs 1000 --no-start --no-baseline --chat 5000   # quick

It pins itself to the first core it may use (choose one with `taskset -c N`). On a busy shared machine the
wall clock also counts time other processes held the core: compare the CPU figures, back to back.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chat_corpus import generate

from bot.detection.scanner import Scanner
from bot.models import ScanContext

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
SETS = {"a": "mostly-benign chat corpus", "b": "society-chat-dev.csv texts", "c": "hatecheck-dev.csv texts"}


def corpus(name: str, chat_messages: int) -> list[str]:
    """The texts of one set (a, b or c)."""
    if name == "a":
        return [m.text for m in generate(chat_messages)]
    path = EVAL / ("society-chat-dev.csv" if name == "b" else "hatecheck-dev.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def committee_pack(directory: Path, terms: int, patterns: int, seed: int = 12) -> None:
    """Write a generated committee pack: `terms` made-up words and two-word phrases, and `patterns` patterns
    each triggered by a made-up word and needing an ordinary word after it (so they cost what a real committee
    rule costs: an index entry, and a regex run only where its trigger appears)."""
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(6, 10)))

    listed = [word() if i % 4 else f"{word()} {word()}" for i in range(terms)]
    rules: list[dict[str, object]] = [{
        "id": f"committee.terms-{n}", "kind": "terms", "terms": listed[n:n + 500],
        "examples": {"match": [f"you {listed[n].split()[0]}"] if " " not in listed[n] else [listed[n]],
                     "no_match": ["see you at training"]},
    } for n in range(0, terms, 500)]
    for n in range(patterns):
        trigger = word()
        rules.append({
            "id": f"committee.pattern-{n}", "kind": "pattern", "triggers": [trigger],
            "pattern": rf"\b{trigger}\s+(?:people|folk|lot|crowd|ones)\b",
            "examples": {"match": [f"those {trigger} people"], "no_match": [f"{trigger} alone"]},
        })
    pack = {"pack": "committee", "description": "generated for bench_scan",
            "defaults": {"clause": "5.5.3", "category": "Committee words", "severity": "medium"}, "rules": rules}
    (directory / "committee.yaml").write_text(json.dumps(pack), encoding="utf-8")  # JSON is YAML


def measure(scan: Callable[[str], object], texts: list[str], repeats: int) -> dict[str, float]:
    """Messages/s by wall clock and by CPU time (best of `repeats`), and latency percentiles in ms."""
    for text in texts[:3000]:  # warm the caches as a running bot would be
        scan(text)
    best_wall = best_cpu = 0.0
    latencies: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(repeats):
        run: list[float] = []
        wall, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            before = clock()
            scan(text)
            run.append((clock() - before) / 1e6)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if len(texts) / cpu > best_cpu:
            best_cpu, best_wall, latencies = len(texts) / cpu, len(texts) / wall, sorted(run)
    return {"wall": best_wall, "cpu": best_cpu, "p50": _pct(latencies, 0.5), "p99": _pct(latencies, 0.99),
            "max": latencies[-1]}


def _pct(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))]


def _row(label: str, figures: dict[str, float], base: dict[str, float] | None = None) -> str:
    ratio = f"{base['cpu'] / figures['cpu']:5.2f}x" if base else "     -"
    return (f"{label:<34} {figures['wall']:>9,.0f} {figures['cpu']:>9,.0f} {figures['p50']:>7.3f} "
            f"{figures['p99']:>7.3f} {figures['max']:>7.2f}  {ratio}")


def cold_start(repeats: int = 3) -> tuple[tuple[float, float], tuple[float, float]]:
    """`nudgebot scan` of one message, (wall seconds, CPU seconds) each best of `repeats`: with an empty cache (it
    builds and writes it), then warm. The CPU figure (the child's user + system time) is the one to compare on a
    busy machine, where the wall clock also counts time other processes held the cores."""
    command = [str(Path(sys.executable).with_name("nudgebot")), "scan"]
    line = json.dumps({"id": "1", "text": "see you at training"}) + "\n"
    runs: dict[str, list[tuple[float, float]]] = {"empty": [], "warm": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache_dir:
            env = {**os.environ, "NUDGEBOT_CACHE_DIR": cache_dir}
            for into in ("empty", "warm"):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                subprocess.run(command, input=line, capture_output=True, text=True, env=env, check=True)
                wall = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                runs[into].append((wall, cpu))
    return _best(runs["empty"]), _best(runs["warm"])


def _best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return min(w for w, _ in runs), min(c for _, c in runs)


def main() -> None:
    """Run the chosen measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="a,b,c", help="which corpora: a, b, c")
    parser.add_argument("--packs", default="1000,10000", help="committee pack sizes in terms ('' for none)")
    parser.add_argument("--patterns", type=int, default=200, help="patterns in each committee pack")
    parser.add_argument("--chat", type=int, default=20_000, help="messages in the chat corpus (a)")
    parser.add_argument("--repeats", type=int, default=3, help="passes over each corpus (best CPU kept)")
    parser.add_argument("--no-start", action="store_true", help="skip the cold-start measurement")
    parser.add_argument("--no-baseline", action="store_true", help="skip better_profanity")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    sets = [s for s in args.sets.split(",") if s in SETS]
    sizes = [int(n) for n in args.packs.split(",") if n.strip()]
    texts = {name: corpus(name, args.chat) for name in sets}
    context = ScanContext()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench_scan: one core, one message at a time; load {load:.1f} on {os.cpu_count()} cores")
    print(f"{'set (messages)':<34} {'msg/s':>9} {'CPU m/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  "
          "CPU time/msg vs no pack")
    scanner = Scanner.from_directories(use_cache=False)
    base = {name: measure(lambda t: scanner.scan(t, context), texts[name], args.repeats) for name in sets}
    for name in sets:
        print(_row(f"({name}) {SETS[name]} ({len(texts[name]):,})", base[name]))
    for size in sizes:
        with tempfile.TemporaryDirectory() as directory:
            committee_pack(Path(directory), size, args.patterns)
            packed = Scanner.from_directories([Path(directory)], use_cache=False)
        for name in sets:
            figures = measure(lambda t, s=packed: s.scan(t, context), texts[name], args.repeats)
            print(_row(f"({name}) + {size:,} terms, {args.patterns} patterns", figures, base[name]))
    if not args.no_baseline:
        try:
            from better_profanity import profanity
        except ImportError:
            print("better_profanity not installed (pip install -e '.[dev]')")
        else:
            profanity.load_censor_words()
            for name in sets:
                sample = random.Random(7).sample(texts[name], min(300, len(texts[name])))
                theirs = measure(profanity.contains_profanity, sample, 1)
                print(_row(f"({name}) better_profanity (300 sampled)", theirs)
                      + f"  nudgebot {base[name]['cpu'] / theirs['cpu']:,.0f}x faster")
    if not args.no_start:
        (empty, empty_cpu), (warm, warm_cpu) = cold_start()
        print(f"nudgebot scan, one message: {empty:.2f} s with an empty cache, {warm:.2f} s warm (best of 3; "
              f"CPU {empty_cpu:.2f} s and {warm_cpu:.2f} s)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
