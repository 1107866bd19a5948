"""Round-robin tournaments at the act level: `haggler tournament`.

Every pair of agents (each with itself too) meets on the same scenarios in both roles (see
dialogue/games.py). Transcripts go to DIR/dialogues.jsonl as each dialogue ends; `resume`
keeps the whole lines of an interrupted run and plays only the games not there yet. Scores
are computed from the transcripts, and summed up in DIR/results.json, DIR/utility.png and a
printed leaderboard.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from dialogue.agents import AgentError, parse_spec, resolved, split_spec
from dialogue.corpus import CorpusError, Scenario
from dialogue.dialogue_log import encode_scenarios, hold_lock, open_for_append, read_finished
from dialogue.files import write_whole
from dialogue.games import Game, schedule
from dialogue.manipulation import STYLES
from dialogue.results import leaderboard, plot_utility, summarize
from dialogue.scenarios import load_scenarios
from dialogue.scoring import SideScore
from dialogue.workers import World, chunks, play_in_processes, play_into
from strategy.policies import POLICIES, UnknownPolicy, check_policy_names, checkpoint_dir
from strategy.principal import DEFAULT_TURN_LIMIT


class TournamentError(ValueError):
    """A tournament that cannot start: unknown agents, unreadable scenarios, a mismatched resume."""


@dataclass
class TournamentConfig:
    agents: list[str]
    scenarios: str
    n: int
    out: Path
    repeats: int = 1
    workers: int = 1
    seed: int = 0
    resume: bool = False
    turn_limit: int = DEFAULT_TURN_LIMIT
    progress: bool = True
    """Show a progress bar (on a terminal only)."""

    def identity(self, scenarios: list[Scenario]) -> dict:
        """What a resumed run must share with the run it continues (all but `source`, kept for the reader): the
        scenarios played are told by their content (their ids included), not by the path their file was given by
        or how many were asked for."""
        digest = hashlib.sha256("\n".join(encode_scenarios(scenarios)).encode()).hexdigest()[:16]
        identity = {"agents": self.agents, "source": self.scenarios, "scenarios": f"{len(scenarios)}, sha256 {digest}",
                    "repeats": self.repeats, "seed": self.seed, "turn_limit": self.turn_limit, "mode": "acts"}
        weights = {a: weights_digest(d) for a in self.agents if (d := checkpoint_dir(split_spec(a)[0])) is not None}
        return {**identity, "checkpoints": weights} if weights else identity  # a run resumes with the same weights


@dataclass
class Tournament:
    config: TournamentConfig
    scenarios: list[Scenario]
    games: list[Game]


def check_agent_list(agents: list[str]) -> None:
    if not agents:
        raise TournamentError("no agents given")
    first: dict[tuple[str, str], str] = {}  # each agent's first spelling
    for agent in agents:
        if (other := first.get(key := resolved(*split_spec(agent)))) is not None:
            raise TournamentError(f"an agent is listed twice: {agent!r}" if other == agent else
                                  f"an agent is listed twice: {other!r} and {agent!r} name the same one")
        first[key] = agent


def weights_digest(directory: str) -> str:
    """The checkpoint's weights, told by their content."""
    return "sha256 " + hashlib.sha256((Path(directory) / "weights.pt").read_bytes()).hexdigest()[:16]


def speaks(agent: str) -> bool:
    """Whether an agent spec names words (an adversary's, or a policy's with a generator): a text-mode agent."""
    policy, _ = split_spec(agent)
    return policy in STYLES or (policy != agent and (policy in POLICIES or checkpoint_dir(policy) is not None))


MOST_GAMES = 10_000_000
"""The most games one run plays (the schedule is held whole: 100 million games ran out of memory unsaid)."""


def planned(config: TournamentConfig) -> Tournament:
    """The config's scenarios and every game on them (`schedule`)."""
    scenarios = first_scenarios(config.scenarios, config.n, config.seed)
    if (games := len(scenarios) * config.repeats * len(config.agents) ** 2) > MOST_GAMES:
        raise TournamentError(f"{games:,} games (scenarios {len(scenarios)} x repeats {config.repeats} x agents "
                              f"{len(config.agents)} squared): more than one run plays ({MOST_GAMES:,}); "
                              "fewer --repeats or --n")
    return Tournament(config, scenarios, schedule(config.agents, len(scenarios), config.repeats))


def load_tournament(config: TournamentConfig) -> Tournament:
    check_agent_list(config.agents)
    if text_agents := [a for a in config.agents if speaks(a)]:
        for agent in text_agents:  # a typo in the generator is said as one
            try:
                parse_spec(agent)
            except AgentError as e:
                raise TournamentError(str(e)) from None
        raise TournamentError(f"{', '.join(text_agents)}: agents that speak (adversaries, or an agent with a "
                              "generator); they play in text: add --mode text")
    try:
        check_policy_names(config.agents)
    except UnknownPolicy as e:
        raise TournamentError(str(e)) from None
    if config.n < 1 or config.repeats < 1 or config.workers < 1 or config.turn_limit < 1:
        raise TournamentError("--n, --repeats, --workers and the turn limit must be at least 1")
    return planned(config)


def first_scenarios(source: str, n: int, seed: int) -> list[Scenario]:
    """The first n scenarios of a source (see dialogue/scenarios.py), or a TournamentError that says why not."""
    try:
        scenarios = load_scenarios(source, seed)
    except CorpusError as e:
        raise TournamentError(str(e)) from None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        raise TournamentError(f"{source}: cannot read scenarios ({type(e).__name__}: {e})") from None
    if not scenarios:
        raise TournamentError(f"{source}: no scenarios in it")
    if n > len(scenarios):
        held = f"{len(scenarios)} scenario" + ("s" if len(scenarios) > 1 else "")
        print(f"haggler: --n {n}: {source} holds {held}; playing {'all ' * (len(scenarios) > 1)}{held}",
              file=sys.stderr)
    chosen = scenarios[:n]
    distinct = len(set(encode_scenarios(chosen)))
    if distinct < len(chosen):  # a dialogue file holds its scenario once a dialogue
        print(f"note: {source}: of {len(chosen)} scenarios, {distinct} are distinct; the others repeat them",
              file=sys.stderr)
    return chosen


RUN_FILES = ("run.json", "dialogues.jsonl", "dialogues.jsonl.dropped", "lock", "results.json", "utility.png")
"""What a tournament writes in its DIR: --out may name a directory holding these (an earlier run, which --resume goes
on with), not one holding other files."""


def check_resume(config: TournamentConfig, scenarios: list[Scenario]) -> None:
    """A TournamentError unless DIR holds no run, or (with --resume) this run; reads, writes nothing."""
    run_file, dialogues = config.out / "run.json", config.out / "dialogues.jsonl"
    if config.resume and run_file.exists():
        try:
            previous = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as e:
            raise TournamentError(f"{run_file}: cannot read the settings of the run there ({e})") from None
        if not isinstance(previous, dict):
            raise TournamentError(f"{run_file}: not the settings of a run (a JSON object)")
        previous = {"mode": "acts", **previous}  # written before runs named their mode: at the act level
        identity = config.identity(scenarios)
        if "source" not in previous:  # written by an earlier haggler: the source as spelled, and --n
            identity = {**{k: v for k, v in identity.items() if k not in ("source", "scenarios")},
                        "scenarios": config.scenarios, "n": config.n}
        changed = [k for k in {**identity, **previous} if k != "source" and previous.get(k) != identity.get(k)]
        if changed:
            def setting(run: dict, k: str) -> str:
                return repr(run[k]) if k in run else "not set"
            differences = "; ".join(f"{k}: {setting(previous, k)} there, {setting(identity, k)} now" for k in changed)
            raise TournamentError(f"{config.out}: --resume with different settings than the run there "
                                  f"({differences})")
    elif dialogues.exists() and dialogues.stat().st_size:
        if config.resume:
            raise TournamentError(f"{run_file}: missing, cannot tell what run {dialogues} belongs to")
        raise TournamentError(f"{dialogues} exists; pass --resume to continue it, or choose another --out")


def check_output_dir(config: TournamentConfig, scenarios: list[Scenario]) -> Path:
    check_resume(config, scenarios)
    if config.resume and not (config.out / "run.json").exists():
        print(f"note: {config.out}: no run there to resume; this one starts there", file=sys.stderr)
    # whole or not at all: --resume reads it
    write_whole(config.out / "run.json", json.dumps(config.identity(scenarios), indent=1) + "\n")
    return config.out / "dialogues.jsonl"


@dataclass
class Run:
    """A tournament's DIR, locked and open for appending: what is there already, and what is left to play."""
    path: Path  # DIR/dialogues.jsonl
    fd: int
    scores: list[SideScore]  # of the dialogues already there; the run adds its own
    todo: list[Game]
    bar: tqdm


@contextmanager
def open_run(config: TournamentConfig, tournament: Tournament) -> Iterator[Run]:
    """Locks DIR (one run at a time), checks it holds this run or none, and opens its log for appending."""
    config.out.mkdir(parents=True, exist_ok=True)
    lock = hold_lock(config.out)
    games = tournament.games
    try:
        path = check_output_dir(config, tournament.scenarios)
        scenarios = [s.to_dict() for s in tournament.scenarios]
        done, scores = read_finished(path, {g.uuid: (g.buyer, g.seller, scenarios[g.scenario]) for g in games})
        fd = open_for_append(path)
        try:
            with tqdm(total=len(games), initial=len(done), unit="dialogue",
                      disable=None if config.progress else True) as bar:
                yield Run(path, fd, scores, [g for g in games if g.uuid not in done], bar)
        finally:
            os.close(fd)
    finally:
        os.close(lock)


def run_tournament(config: TournamentConfig) -> tuple[dict, str]:
    """Plays the games not yet in DIR/dialogues.jsonl, then writes results.json and utility.png.

    Returns the results and the leaderboard text.
    """
    tournament = load_tournament(config)
    world = World(tournament.scenarios, config.seed, config.turn_limit)
    with open_run(config, tournament) as run:
        batches = (play_into(chunk, world, run.fd) for chunk in chunks(run.todo)) if config.workers == 1 else \
            play_in_processes(run.todo, world, run.fd, config.workers)
        for batch in batches:
            run.scores.extend(batch)
            run.bar.update(len(batch) // 2)
    results = summarize(config.agents, run.scores)
    save_results(config, results, run.scores)
    return results, leaderboard(config.agents, run.scores)


def save_results(config: TournamentConfig, results: dict, scores: list[SideScore]) -> None:
    """DIR/results.json and the DIR/utility.png heatmap."""
    (config.out / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    plot_utility(config.agents, scores, config.out / "utility.png")
