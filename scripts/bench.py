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
from dialogue.corpus import CRAIGSLIST  # noqa: E402 (the repository is on the path from here)
from strategy.principal import DEFAULT_TURN_LIMIT  # noqa: E402

DEV = CRAIGSLIST / "dev.json"


def bench_parser() -> dict:
    """Messages parsed per second, one process, over every message of dev.json (the best of 5 passes)."""
    from dialogue.annotate import dialogue_acts
    from dialogue.corpus import load_dialogues

    dialogues = load_dialogues(DEV)
    n_messages = sum(e.is_message for d in dialogues for e in d.events)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for d in dialogues:
            dialogue_acts(d)
        best = min(best, time.perf_counter() - start)
    return {"parser_msgs_per_s": round(n_messages / best), "parser_messages": n_messages}


def bench_selfplay() -> dict:
    """Dialogues per second of rule vs rule at the act level, one process, on the builtin scenarios:
    the tournament's own path (session, scores, the transcript's JSON line, written to /dev/null)."""
    import os

    from dialogue.games import Game
    from dialogue.scenarios import load_scenarios
    from dialogue.workers import World, play_into

    scenarios = load_scenarios("builtin")
    games = [Game(i % len(scenarios), i // len(scenarios), "rule", "rule") for i in range(4000)]
    world = World(scenarios, seed=0, turn_limit=DEFAULT_TURN_LIMIT)
    fd = os.open(os.devnull, os.O_WRONLY)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        play_into(games, world, fd)
        best = min(best, time.perf_counter() - start)
    os.close(fd)
    return {"selfplay_dialogues_per_s": round(len(games) / best)}


def bench_workers() -> dict:
    """Wall-clock speedup of a whole `haggler tournament` (scenarios loaded, games played in processes,
    transcripts written, results summed and plotted) with 2 workers over 1: the seven hand-written policies
    round robin on the builtin scenarios, 25 repeats (49,000 dialogues)."""
    import tempfile

    from dialogue.tournament import TournamentConfig, run_tournament

    agents = ["rule", "boulware", "conceder", "linear", "tft", "hardliner", "random"]
    seconds = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            config = TournamentConfig(agents, "builtin", 40, Path(out), repeats=25, workers=workers, progress=False)
            start = time.perf_counter()
            run_tournament(config)
            seconds[workers] = time.perf_counter() - start
    return {"tournament_dialogues": 49 * 40 * 25, "tournament_s_workers1": round(seconds[1], 2),
            "tournament_s_workers2": round(seconds[2], 2),
            "tournament_workers2_speedup": round(seconds[1] / seconds[2], 2)}


def _render_requests(n: int, seed: int = 0) -> list:
    """n requests: a seeded sample of dev.json's messages in their dialogues (as eval-generator draws them), each
    with its own seed, so that it is the same work (the same tries, up to bf16's rounding) alone or in a batch."""
    from dialogue.generator_eval import sample_requests

    return [request for request, _ in sample_requests(DEV, n, seed)]


RENDER_GROUPS = 16
"""Groups of 8 acts in the batching figure: a batch waits for its slowest act, so one group's speedup varies
from below 1 to about 6 with the samples drawn, and 8 groups moved the figure by 0.3 from one seed to the next."""


class ModelPasses:
    """Counts a model's forward passes and the seconds they take."""

    def __init__(self, model) -> None:
        self.passes, self.seconds, self._start = 0, 0.0, 0.0
        self.hooks = [model.register_forward_pre_hook(self._begin), model.register_forward_hook(self._end)]

    def _begin(self, module, args) -> None:
        self._start = time.perf_counter()

    def _end(self, module, args, output) -> None:
        self.passes += 1
        self.seconds += time.perf_counter() - self._start

    def take(self) -> tuple[int, float]:
        """The passes and seconds since the last take."""
        taken = self.passes, self.seconds
        self.passes, self.seconds = 0, 0.0
        return taken

    def remove(self) -> None:
        for hook in self.hooks:
            hook.remove()


def bench_render() -> dict:
    """The default generator (shipped adapter, warm): the median ms to render one act alone, the mean ms to render
    8 acts in one batched call, and the speedup of that over rendering them one at a time (RENDER_GROUPS groups,
    both ways). The speedup splits into the model passes (forward calls: each a decoding step of every row, or a
    batch's prompts) one at a time over batched, and the mean cost of a batched pass over one of a single act.
    Also the batching of the model alone, as the issue measured it for the base model: 20 new tokens for each
    of 8 prompts, greedy, in one generate call vs one call each (`render_batch8_speedup_fixed20`)."""
    import statistics

    from dialogue.generator import make_generator

    generator = make_generator("lm")
    requests = _render_requests(24 + 8 * RENDER_GROUPS)
    generator.render(requests[:2])  # warm-up
    alone = []
    for r in requests[:24]:
        start = time.perf_counter()
        generator.render([r])
        alone.append(time.perf_counter() - start)
    passes = ModelPasses(generator.model)
    one_by_one = batched = 0.0
    alone_passes = batched_passes = 0
    alone_pass_seconds = batched_pass_seconds = 0.0
    for k in range(RENDER_GROUPS):
        group = requests[24 + 8 * k:32 + 8 * k]
        start = time.perf_counter()
        for r in group:
            generator.render([r])
        one_by_one += time.perf_counter() - start
        n, seconds = passes.take()
        alone_passes, alone_pass_seconds = alone_passes + n, alone_pass_seconds + seconds
        start = time.perf_counter()
        generator.render(group)
        batched += time.perf_counter() - start
        n, seconds = passes.take()
        batched_passes, batched_pass_seconds = batched_passes + n, batched_pass_seconds + seconds
    passes.remove()
    return {"render_latency_ms_p50": round(1000 * statistics.median(alone)),
            "render_batch8_ms": round(1000 * batched / RENDER_GROUPS),
            "render_batch8_speedup": round(one_by_one / batched, 2),
            "render_batch8_passes_ratio": round(alone_passes / batched_passes, 2),
            "render_batch8_pass_cost_ratio": round((batched_pass_seconds / batched_passes)
                                                   / (alone_pass_seconds / alone_passes), 2),
            "render_batch8_speedup_fixed20": _fixed_length_speedup(generator, requests[24:32])}


def _fixed_length_speedup(generator, requests: list) -> float:
    """8 prompts x 20 greedy new tokens: one generate call for all over one call each (the best of 3 each way)."""
    import torch

    from dialogue.generator_data import render_prompt
    from dialogue.lm import threads_for_lm

    prompts = [render_prompt(r.context, r.role, r.act) for r in requests]

    def generate(texts: list[str]) -> None:
        batch = generator.tokenizer(texts, return_tensors="pt", padding=True, padding_side="left",
                                    add_special_tokens=False)
        generator.model.generate(**batch, do_sample=False, min_new_tokens=20, max_new_tokens=20,
                                 pad_token_id=generator.tokenizer.pad_token_id)

    seconds = {}
    with torch.inference_mode(), threads_for_lm():
        for name, calls in (("alone", [[p] for p in prompts]), ("batched", [prompts])):
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                for texts in calls:
                    generate(texts)
                runs.append(time.perf_counter() - start)
            seconds[name] = min(runs)
    return round(seconds["alone"] / seconds["batched"], 2)


def bench_finetune() -> dict:
    """Training tokens (prompt and target, no padding) per second of `haggler train generator` (bf16 where fast):
    12 steps of batch 8, warm-up included."""
    import tempfile

    from dialogue.lm import fast_bf16
    from dialogue.train_generator import TrainConfig, train_generator

    with tempfile.TemporaryDirectory() as out:
        summary = train_generator(TrainConfig(Path(out), max_steps=12, max_examples=96, eval_examples=0,
                                              bf16=fast_bf16(), command="bench"))
    return {"finetune_tokens_per_s": summary["tokens_per_s"]}


LM_TURNS = 8
"""The LM text benchmark's turn limit: a CPU renders a few acts a second at best."""
LM_DIALOGUES = 16
"""The LM text benchmark's dialogues (8 at a time when batched): with 8, played all batched and then all one at a
time, the batching figure ranged from 2.9 to 3.7 over five runs on one day."""


def _text_games(agents: list[str], n: int, repeats: int) -> tuple[list, list, dict]:
    from dialogue.agents import parse_specs
    from dialogue.games import schedule
    from dialogue.scenarios import load_scenarios

    scenarios = load_scenarios("builtin")[:n]
    specs = {s.name: s for s in parse_specs(agents)}
    return schedule(list(specs), len(scenarios), repeats), scenarios, specs


def bench_text() -> dict:
    """Text-mode tournament dialogues per second, one process, the tournament's own path (render, parse,
    decide, score, the transcript's JSON line): with the template generator (rule and boulware, 40 builtin
    scenarios x 2, best of 3), and with the default LM (rule vs rule, dialogues of at most LM_TURNS turns):
    LM_DIALOGUES dialogues played 8 at once, their renders batched, against the same played one at a time, 8
    dialogues each way in turn (so a drift in the machine's speed moves both ways alike)."""
    from dialogue.agents import Generators
    from dialogue.generator import make_generator
    from dialogue.lm import DEFAULT_ADAPTER, is_adapter
    from dialogue.text_tournament import played_lines

    def play(games, scenarios, specs, generators, batch: int, turn_limit: int = DEFAULT_TURN_LIMIT) -> None:
        for _ in played_lines(games, scenarios, specs, generators, batch, seed=0, turn_limit=turn_limit):
            pass  # the tournament's own path, without its files

    games, scenarios, specs = _text_games(["rule+template", "boulware+template"], 40, 2)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        play(games, scenarios, specs, Generators(), batch=32)
        best = min(best, time.perf_counter() - start)
    figures: dict = {"text_dialogues_per_s_template": round(len(games) / best, 1)}

    generators = Generators()
    shipped = is_adapter(DEFAULT_ADAPTER)
    generators.loaded["lm"] = make_generator("lm", adapter="default" if shipped else None)
    games, scenarios, specs = _text_games(["rule+lm"], LM_DIALOGUES, 1)
    play(games[:1], scenarios, specs, generators, batch=1, turn_limit=1)  # warm-up
    seconds = {"batched": 0.0, "unbatched": 0.0}
    for k in range(0, len(games), 8):
        for name, batch in (("batched", 8), ("unbatched", 1)):
            start = time.perf_counter()
            play(games[k:k + 8], scenarios, specs, generators, batch=batch, turn_limit=LM_TURNS)
            seconds[name] += time.perf_counter() - start
    for name, total in seconds.items():
        figures[f"text_dialogues_per_s_lm_{name}"] = round(len(games) / total, 3)
    figures["text_lm_batch_speedup"] = round(figures["text_dialogues_per_s_lm_batched"]
                                             / figures["text_dialogues_per_s_lm_unbatched"], 2)
    figures["text_lm_adapter"] = "shipped" if shipped else "none (base model: the adapter is not in data/ yet)"
    return figures


def bench_rl() -> dict:
    """Episodes per second of `haggler train rl` play (the shipped sl against a frozen copy, act level, batches
    of 200, one thread), over 2,000 episodes; play time only, the policy updates and validation left out."""
    import tempfile

    from dialogue.train_rl import RLConfig, train_rl

    with tempfile.TemporaryDirectory() as out:
        result = train_rl(RLConfig(ROOT / "data" / "policies" / "sl", Path(out), episodes=2000, val_games=1,
                                   progress=False, command="bench"))
    return {"rl_episodes_per_s": round(result["episodes_per_s"])}


BENCHMARKS = {
    "parser": bench_parser,
    "selfplay": bench_selfplay,
    "workers": bench_workers,
    "render": bench_render,
    "finetune": bench_finetune,
    "text": bench_text,
    "rl": bench_rl,
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
