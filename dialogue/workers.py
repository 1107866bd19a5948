"""Playing games, in this process or in several, each transcript appended to the log as it ends."""
from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Iterator

from dialogue.corpus import Scenario
from dialogue.dialogue_log import encode_scenarios, transcript_line
from dialogue.games import Game, play
from dialogue.scoring import SideScore, score_dialogue


class WorkerDied(RuntimeError):
    """A worker process ended before its games did (killed, or a bug: its traceback is printed above)."""


CHUNK = 32
"""Games a worker plays between reports of their scores to the parent."""


@dataclass
class World:
    """What any process playing a tournament's games needs."""
    scenarios: list[Scenario]
    seed: int
    turn_limit: int
    scenario_json: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.scenario_json:
            self.scenario_json = encode_scenarios(self.scenarios)


def play_into(games: list[Game], world: World, fd: int | None) -> list[SideScore]:
    """Plays games, appending each transcript to the file `fd` (if any) the moment it ends."""
    scores = []
    for game in games:
        dialogue = play(game, world.scenarios[game.scenario], world.seed, world.turn_limit)
        if fd is not None:
            os.write(fd, transcript_line(dialogue, world.scenario_json[game.scenario]))
        scores.extend(score_dialogue(dialogue))
    return scores


def chunks(games: list[Game], size: int = CHUNK) -> Iterator[list[Game]]:
    for start in range(0, len(games), size):
        yield games[start:start + size]


def _worker(games: list[Game], world: World, fd: int, conn: Connection, inherited: list[Connection]) -> None:
    for other in inherited:  # only the parent keeps read ends: if it dies, send() fails and this ends
        other.close()
    try:
        for chunk in chunks(games):
            conn.send(play_into(chunk, world, fd))
        conn.send(None)
    except (BrokenPipeError, KeyboardInterrupt):
        os._exit(1)


def play_in_processes(games: list[Game], world: World, fd: int, workers: int) -> Iterator[list[SideScore]]:
    """Plays games in `workers` forked processes, each its own share, and yields scores as they come.

    Workers write transcripts themselves and send back only scores, so this process stays idle.
    """
    context = multiprocessing.get_context("fork")
    readers: list[Connection] = []
    processes = []
    for k in range(workers):
        reader, writer = context.Pipe(duplex=False)
        readers.append(reader)
        process = context.Process(target=_worker, args=(games[k::workers], world, fd, writer, list(readers)),
                                  daemon=True)
        process.start()
        writer.close()
        processes.append(process)
    try:
        while readers:
            for reader in wait(readers):
                try:
                    scores = reader.recv()
                except EOFError:
                    raise WorkerDied("a tournament worker died; the dialogues played so far are kept, and "
                                     "--resume goes on from them") from None
                if scores is None:
                    readers.remove(reader)
                    reader.close()
                else:
                    yield scores
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
