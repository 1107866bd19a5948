"""haggler's benchmarks: `python scripts/bench.py [NAME ...] [--json]` prints the figures.

Each benchmark is a function returning a dict of figures; BENCHMARKS maps its name to it.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEV = ROOT.parent / "shared" / "data" / "craigslist" / "dev.json"


def bench_parser() -> dict:
    """Messages parsed per second, one process, over every message of dev.json."""
    from dialogue.annotate import dialogue_acts
    from dialogue.corpus import load_dialogues

    dialogues = load_dialogues(DEV)
    n_messages = sum(e.is_message for d in dialogues for e in d.events)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for d in dialogues:
            dialogue_acts(d)
        best = min(best, time.perf_counter() - start)
    return {"parser_msgs_per_s": round(n_messages / best), "parser_messages": n_messages}


def bench_selfplay() -> dict:
    """Dialogues per second of rule vs rule at the act level, one process, on the builtin scenarios:
    the tournament's own path (session, transcript, JSON line, scores), without the file write."""
    from dialogue.scenarios import load_scenarios
    from dialogue.tournament import Game, init_worker, play_games

    scenarios = load_scenarios("builtin")
    games = [Game(i % len(scenarios), i // len(scenarios), "rule", "rule") for i in range(4000)]
    init_worker(scenarios, 0, 20)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        play_games(games)
        best = min(best, time.perf_counter() - start)
    return {"selfplay_dialogues_per_s": round(len(games) / best)}


BENCHMARKS = {
    "parser": bench_parser,
    "selfplay": bench_selfplay,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}")
    ap.add_argument("--json", action="store_true", help="print one JSON object (the default prints one line a figure)")
    args = ap.parse_args()
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        ap.error(f"unknown benchmark {', '.join(unknown)}; valid: {', '.join(BENCHMARKS)}")
    figures: dict = {}
    for name in args.names or BENCHMARKS:
        figures.update(BENCHMARKS[name]())
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        for k, v in figures.items():
            print(f"{k:32s} {v}")


if __name__ == "__main__":
    main()
