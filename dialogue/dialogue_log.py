"""DIR/dialogues.jsonl: one transcript a line, appended the moment a dialogue ends, and read back to resume.

Every line is appended with a single write to a file opened for appending, so processes can
share it; a run holds DIR/lock while it writes, so a resumed run waits for anything still
writing from a killed one.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path

from dialogue.corpus import Dialogue, Scenario
from dialogue.files import write_whole
from dialogue.scoring import SideScore, score_dialogue
from parser.acts import ROLES


def encode_scenarios(scenarios: list[Scenario]) -> list[str]:
    """Each scenario's JSON, encoded once per tournament for transcript_line."""
    return [json.dumps(s.to_dict(), ensure_ascii=False) for s in scenarios]


def transcript_line(dialogue: Dialogue, scenario_json: str) -> bytes:
    """The dialogue's JSON on one line, its scenario already encoded once per tournament."""
    rest = {"uuid": dialogue.uuid, **dialogue.extra, "agents": dialogue.agents,
            "outcome": dialogue.outcome.to_dict() if dialogue.outcome else None,
            "events": [e.to_dict() for e in dialogue.events]}
    return ('{"scenario": ' + scenario_json + ", " + json.dumps(rest, ensure_ascii=False)[1:] + "\n").encode()


def open_for_append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def hold_lock(directory: Path) -> int:
    """Takes DIR/lock for this process (and the workers it forks), waiting while another run holds it."""
    fd = os.open(directory / "lock", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"haggler: waiting for another run writing {directory} to end", file=sys.stderr)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def read_finished(path: Path, expected: dict[str, tuple[str, str, dict]]) -> tuple[set[str], list[SideScore]]:
    """The games already in a dialogues file and their scores; `expected` maps each game's uuid to its
    (buyer, seller, scenario as to_dict gives it).

    Keeps every whole, valid, expected line once; if anything else is there (a line cut off by a
    kill, a duplicate, a game whose players or scenario are not the expected ones: games of runs on
    other scenarios share uuids) the file is rewritten with only the kept lines, and the others are
    added to DIR/dialogues.jsonl.dropped, and said.
    """
    if not path.exists():
        return set(), []
    lines = path.read_bytes().split(b"\n")
    clean = lines[-1] == b""
    done: set[str] = set()
    kept: list[bytes] = []
    dropped: list[bytes] = []
    scores: list[SideScore] = []
    for line in lines:
        if not line:
            continue
        try:
            dialogue = Dialogue.from_dict(json.loads(line))
            line_scores = score_dialogue(dialogue)
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError):
            dropped.append(line)
            continue
        buyer, seller, scenario = expected.get(dialogue.uuid, ("", "", {}))
        players = {(s.role, s.agent) for s in line_scores}
        if dialogue.uuid in done or players != set(zip(ROLES, (buyer, seller))) \
                or dialogue.scenario.to_dict() != scenario:
            dropped.append(line)
            continue
        done.add(dialogue.uuid)
        kept.append(line)
        scores.extend(line_scores)
    if dropped:
        aside = path.with_name(path.name + ".dropped")
        with aside.open("ab") as f:
            f.write(b"".join(line + b"\n" for line in dropped))
        print(f"note: {path}: {len(dropped)} line(s) are no finished game of this run (cut off, repeated, or "
              f"another run's); moved to {aside}", file=sys.stderr)
    if dropped or not clean:
        write_whole(path, b"".join(line + b"\n" for line in kept))
    return done, scores
