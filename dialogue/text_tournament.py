"""Text tournaments: `haggler tournament --mode text`.

The same round robin as act mode (dialogue/games.py's schedule, seeds and role order, the same
DIR/dialogues.jsonl, --resume, results.json, leaderboard and heatmap), but agents meet only
through words: each renders its acts with its generator and reads the other's text with its own
parser (dialogue/text_session.py). Up to `batch` dialogues are played at once, and every round
their pending acts go to each generator in one batched call. results.json adds `parse_agreement`
(dialogue/text_results.py); with `rule` and adversarial partners in the list it also holds the
manipulation table.
"""
from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterator

from dialogue.agents import AgentError, AgentSpec, Generators, make_agent, parse_specs
from dialogue.corpus import Dialogue, Scenario
from dialogue.dialogue_log import encode_scenarios, transcript_line
from dialogue.games import Game, first_speaker, game_key
from dialogue.generator import Generator
from dialogue.results import leaderboard, summarize
from dialogue.scoring import SideScore, score_dialogue
from dialogue.text_results import add_text_results, format_text_results
from dialogue.text_session import TextSession
from dialogue.tournament import (Tournament, TournamentConfig, TournamentError, check_agent_list, check_resume,
                                 open_run, planned, save_results)

DEFAULT_BATCH = 32


@dataclass
class TextTournamentConfig(TournamentConfig):
    generator: str = "lm"
    """The generator of agents named without one."""
    batch: int = DEFAULT_BATCH
    """Dialogues played at once, their renders batched together (1: one dialogue at a time)."""

    def identity(self, scenarios: list[Scenario]) -> dict:
        return {**super().identity(scenarios), "mode": "text", "generator": self.generator}


def load_text_tournament(config: TextTournamentConfig) -> tuple[Tournament, dict[str, AgentSpec]]:
    check_agent_list(config.agents)
    try:
        specs = parse_specs(config.agents, config.generator)
    except AgentError as e:
        raise TournamentError(str(e)) from None
    same = [(a.name, b.name) for i, a in enumerate(specs) for b in specs[i + 1:]
            if a.identity == b.identity]
    if same:
        raise TournamentError(f"{same[0][0]} and {same[0][1]} are one agent (the generator of an agent named "
                              f"without one is --generator's, {config.generator}): list it once")
    if config.workers != 1:
        raise TournamentError("text mode plays in one process, its renders batched across dialogues: "
                              "drop --workers (see --batch)")
    if config.n < 1 or config.repeats < 1 or config.batch < 1 or config.turn_limit < 1:
        raise TournamentError("--n, --repeats, --batch and the turn limit must be at least 1")
    return planned(config), {s.name: s for s in specs}


def start_game(game: Game, scenario: Scenario, specs: dict[str, AgentSpec], generators: Generators,
               seed: int, turn_limit: int) -> TextSession:
    """A game's text session, seeded as act-level games are (dialogue/games.py), so both modes play alike."""
    key = game_key(game, seed)
    sides = {role: make_agent(specs[name], role, scenario, generators, key, turn_limit)
             for role, name in (("buyer", game.buyer), ("seller", game.seller))}
    return TextSession(scenario, sides, first_speaker(key), turn_limit, game.uuid)  # type: ignore[arg-type]


def play_games(games: list[Game], start: Callable[[Game], TextSession], batch: int) -> Iterator[Dialogue]:
    """Plays up to `batch` games at once; each round, every generator renders all pending acts in one call.
    Yields each dialogue as it ends."""
    todo, live = deque(games), []
    while todo or live:
        while todo and len(live) < batch:
            live.append(start(todo.popleft()))
        pending: dict[int, tuple[Generator, list]] = {}
        still = []
        for session in live:
            request = session.advance()
            if request is None:
                yield session.dialogue()
                continue
            still.append(session)
            generator = session.sides[session.talk.to_move].generator  # type: ignore[attr-defined]
            pending.setdefault(id(generator), (generator, []))[1].append((session, request))
        for generator, items in pending.values():
            for (session, _), rendering in zip(items, generator.render([r for _, r in items])):
                session.deliver(rendering)
        live = still


def run_text_tournament(config: TextTournamentConfig, generators: Generators | None = None) -> tuple[dict, str]:
    """Plays the games not yet in DIR/dialogues.jsonl, then writes results.json and utility.png.

    Returns the results and the printed tables.
    """
    tournament, specs = load_text_tournament(config)
    check_resume(config, tournament.scenarios)  # before any model loads; again under the run's lock
    generators = generators or Generators(config.seed)
    for generator in sorted({s.generator for s in specs.values()}):
        generators.get(generator)  # a missing adapter fails here, before the run directory is written
    with open_run(config, tournament) as run:
        for line, scores in played_lines(run.todo, tournament.scenarios, specs, generators, config.batch,
                                         config.seed, config.turn_limit):
            os.write(run.fd, line)
            run.scores.extend(scores)
            run.bar.update(1)
    results = summarize(config.agents, run.scores)
    add_text_results(results, run.path, specs)
    save_results(config, results, run.scores)
    return results, leaderboard(config.agents, run.scores) + "\n\n" + format_text_results(results)


def played_lines(games: list[Game], scenarios: list[Scenario], specs: dict[str, AgentSpec], generators: Generators,
                 batch: int, seed: int, turn_limit: int) -> Iterator[tuple[bytes, list[SideScore]]]:
    """Plays the games (`play_games`) and yields each dialogue's transcript line and scores as it ends."""
    scenario_json = encode_scenarios(scenarios)
    scenario_of = {g.uuid: g.scenario for g in games}

    def start(game: Game) -> TextSession:
        return start_game(game, scenarios[game.scenario], specs, generators, seed, turn_limit)

    for dialogue in play_games(games, start, batch):
        yield transcript_line(dialogue, scenario_json[scenario_of[dialogue.uuid]]), score_dialogue(dialogue)
