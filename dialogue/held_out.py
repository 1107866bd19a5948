"""test.json is for evaluation only: the dialogues that may be trained on, and the refusal of any file that holds
test.json's (by uuid, or by its messages' texts)."""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

from dialogue.corpus import CRAIGSLIST, CorpusError, Dialogue, load_dialogues


def craigslist_training_dialogues() -> list[Dialogue]:
    """dev.json, and luis-acts.json's dialogues that are in neither dev.json nor test.json (never trained on)."""
    dev = load_dialogues(CRAIGSLIST / "dev.json")
    held_out = {d.uuid for d in dev + load_dialogues(CRAIGSLIST / "test.json")}
    return dev + [d for d in load_dialogues(CRAIGSLIST / "silver-acts" / "luis-acts.json") if d.uuid not in held_out]


class Seen:
    """The dialogues of a run's training sources, each once: a dialogue in two sources (a file given twice under
    two names, dev.json besides `craigslist`) would be trained on twice, and be its own validation. One dialogue is
    one uuid and one course of events (two tournaments' games share uuids: s0-r0-rule-tft)."""

    def __init__(self) -> None:
        self.keys: set[tuple[str, str]] = set()
        self.repeated = 0

    def new(self, dialogues: list[Dialogue]) -> list[Dialogue]:
        """The dialogues not seen before."""
        fresh = []
        for d in dialogues:
            key = (d.uuid, json.dumps([[e.action, e.agent, e.data] for e in d.events]))
            if key in self.keys:
                self.repeated += 1
                continue
            self.keys.add(key)
            fresh.append(d)
        return fresh

    def note(self) -> None:
        if self.repeated:
            print(f"note: {self.repeated} dialogue{'s' * (self.repeated != 1)} of --data repeat others, and were "
                  "trained on once", file=sys.stderr)


def training_dialogues(source: str | Path) -> list[Dialogue]:
    """A dialogue file's dialogues, where they may be trained on: test.json's are held out for evaluation, whatever
    the file is called (a copy, a labelled subset, a file that mixes them in)."""
    if Path(source).name == "test.json":
        raise CorpusError(f"{source}: test.json is held out for evaluation; never train on it")
    return refuse_held_out(load_dialogues(source), source)


def refuse_held_out(dialogues: list[Dialogue], source: str | Path) -> list[Dialogue]:
    """The dialogues, unless any is test.json's (by uuid, or by its messages' texts): a CorpusError naming the
    source."""
    uuids, texts = held_out_dialogues()
    held_out = sum(d.uuid in uuids or message_texts(d) in texts for d in dialogues)
    if held_out:
        raise CorpusError(f"{source}: {held_out} of its {len(dialogues)} dialogues are test.json's, held out for "
                          "evaluation; never train on them")
    return dialogues


@functools.cache
def held_out_dialogues() -> tuple[frozenset[str], frozenset[tuple[str, ...]]]:
    """test.json's dialogues, where the data is here: their uuids, and their messages' texts (a copy may have lost
    its uuid: Hugging Face's craigslist_bargains rows carry none)."""
    test = CRAIGSLIST / "test.json"
    dialogues = load_dialogues(test) if test.is_file() else []
    return frozenset(d.uuid for d in dialogues), frozenset(message_texts(d) for d in dialogues) - {()}


def message_texts(dialogue: Dialogue) -> tuple[str, ...]:
    """A dialogue's messages, where they are 40 characters or more in all (a dialogue of "Hi" alone is many
    dialogues'); else ()."""
    texts = tuple(e.text.strip() for e in dialogue.events if e.is_message)
    return texts if sum(map(len, texts)) >= 40 else ()
