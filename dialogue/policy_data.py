"""The act policies' data: (state, next move) examples from dialogues, and scenarios to play.

Each dialogue's acts are read as haggler's parser reads the text (an act-level transcript's
stand-in text, "counter(price=120)", is its act), then replayed into each side's
NegotiationState; every act a side makes is one example: the state it saw, the move it made.
Sources: `craigslist` (dev.json and the dialogues of luis-acts.json in neither dev nor test),
CraigslistBargain JSON files, and haggler's own transcripts (.jsonl).
"""
from __future__ import annotations

import json
import random

from dialogue.annotate import dialogue_acts
from dialogue.corpus import DEFAULT_DATA, CorpusError, Dialogue, Scenario, is_dialogue_file
from dialogue.held_out import Seen, craigslist_training_dialogues, training_dialogues
from dialogue.session import principal_of
from parser.acts import other_role
from strategy.learned.encoding import encode, label, legal
from strategy.learned.policy import Trace
from strategy.principal import DEFAULT_TURN_LIMIT
from strategy.state import NegotiationState


class TrainError(ValueError):
    """A training run that cannot start (an unknown reward or opponent, a missing checkpoint) or go on."""


def examples_of(dialogues: list[Dialogue], turn_limit: int = DEFAULT_TURN_LIMIT) -> Trace:
    out = Trace()
    for d in dialogues:
        states = {kb.role: NegotiationState(principal_of(kb, turn_limit)) for kb in d.scenario.kbs}
        for event, act in zip(d.events, dialogue_acts(d)):
            if act is None:
                continue
            role = d.role_of(event.agent)
            me = states[role]
            made = label(me, act)
            if made is not None:
                out.features.append(encode(me))
                out.legal.append(legal(me))
                out.moves.append(made[0])
                out.choices.append(made[1])
            me.observe_mine(act)
            states[other_role(role)].observe_partner(act)
    return out


def load_training_dialogues(sources: list[str]) -> list[Dialogue]:
    """Dialogues from `craigslist` or dialogue files (.json, .jsonl); never test.json."""
    out: list[Dialogue] = []
    seen = Seen()
    for source in sources:
        if source != DEFAULT_DATA and not is_dialogue_file(source):
            raise CorpusError(f"{source}: expected `craigslist` or a dialogue file (.json, .jsonl)")
        out += seen.new(craigslist_training_dialogues() if source == DEFAULT_DATA else training_dialogues(source))
    if not out:
        raise CorpusError(f"{' '.join(sources)}: no dialogues")
    seen.note()
    return out


def split_dialogues(dialogues: list[Dialogue], held_out: float, seed: int) -> tuple[list[Dialogue], list[Dialogue]]:
    """A shuffled (train, validation) split by dialogue."""
    shuffled = dialogues[:]
    random.Random(seed).shuffle(shuffled)
    n = max(1, round(held_out * len(shuffled))) if len(shuffled) > 1 else 0
    return shuffled[n:], shuffled[:n]


def training_scenarios(sources: list[str]) -> list[Scenario]:
    """The scenarios of the training dialogues (RL plays them), each once."""
    seen: set[str] = set()
    out = []
    for d in load_training_dialogues(sources):
        key = d.scenario.uuid or json.dumps(d.scenario.to_dict(), sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(d.scenario)
    return out
