"""Trains the intent model of the parser (parser/intent_model.py) on hand-labelled dialogues.

Examples are the messages that name no price, seen as the parser sees them when it reads the
dialogue in order with the rules alone; labels are the hand labels in `metadata.intent`.
`cross_validate` holds out one file at a time and scores the whole parser on it.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from dialogue.corpus import ACTS_NOT_WORDS, CorpusError, Dialogue, load_dialogues, speaks_in_acts
from dialogue.files import write_whole
from dialogue.held_out import training_dialogues
from dialogue.parser_eval import gold_label_in, score
from parser.acts import Act, Intent
from parser.intent_model import CLASSES, IntentModel, MessageView, features
from parser.rules import ActReader


@dataclass(frozen=True)
class ParserTrainConfig:
    min_count: int = 2  # features seen fewer times are dropped
    l2: float = 1.0
    steps: int = 400
    lr: float = 0.025


def read_labelled(path: str | Path, model: IntentModel | None = None,
                  load: Callable[[str | Path], list[Dialogue]] = load_dialogues
                  ) -> Iterator[tuple[Act, MessageView | None, tuple[str, float | None]]]:
    """Reads each dialogue in order as the parser does (rules, plus `model` if given) and yields, for each
    hand-labelled message, the parser's act, what the intent model saw of it, and the hand label. `load` reads the
    file (`training_dialogues` where it is to be learnt from)."""
    for i, d in enumerate(load(path)):
        reader = ActReader(d.scenario.listing_price, learned=False, model=model)
        for event in d.events:
            role = d.role_of(event.agent)
            if not event.is_message:
                if event.act is not None:
                    reader.observe(role, event.act)
                continue
            act, view = reader.read_with_view(role, event.text)
            gold = gold_label_in(path, i, event.metadata)
            if gold is not None:
                yield act, view, gold


def labelled_views(path: str | Path) -> list[tuple[MessageView, Intent]]:
    """(what the model sees, the hand label) for each labelled message without a price, read by the rules: the
    examples to learn from, so never test.json's dialogues."""
    return [(view, Intent(gold[0])) for _, view, gold in read_labelled(path, load=words_to_learn)
            if view is not None and Intent(gold[0]) in CLASSES]


def words_to_learn(path: str | Path) -> list[Dialogue]:
    """The dialogues of a file to learn from: never test.json's, nor an act-level tournament's acts written out
    (their labels are the agents' own acts, not a person's reading of words)."""
    dialogues = training_dialogues(path)
    if speaks_in_acts(dialogues):
        raise CorpusError(f"{path}: {ACTS_NOT_WORDS}")
    return dialogues


def labelled_examples(paths: list[Path]) -> dict[Path, list[tuple[MessageView, Intent]]]:
    """labelled_views of each file, or a CorpusError where there is nothing to learn from (or a file holds test.json's
    dialogues, such as gold-test.json)."""
    views = {p: labelled_views(p) for p in paths}
    empty = [str(p) for p, v in views.items() if not v]
    if empty:
        raise CorpusError(f"{' '.join(empty)}: no hand-labelled messages without a price to learn from "
                          f"(labels go in each message's metadata: intent)")
    return views


def fit(examples: list[tuple[MessageView, Intent]], config: ParserTrainConfig = ParserTrainConfig()) -> IntentModel:
    """Softmax regression by full-batch Adam on binary features."""
    rows = [features(view) for view, _ in examples]
    counts = Counter(f for row in rows for f in row)
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= config.min_count))}
    x = np.zeros((len(rows), len(vocab)), dtype=np.float32)
    for i, row in enumerate(rows):
        x[i, [vocab[f] for f in row if f in vocab]] = 1.0
    y = np.eye(len(CLASSES), dtype=np.float32)[[CLASSES.index(label) for _, label in examples]]
    w = np.zeros((len(vocab), len(CLASSES)), dtype=np.float32)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for step in range(1, config.steps + 1):
        z = x @ w
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        grad = (x.T @ (p - y) + config.l2 * w) / len(rows)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w -= config.lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    keep = np.abs(w).max(1) >= 1e-3
    weights = {f: [round(float(a), 4) for a in w[i]] for f, i in vocab.items() if keep[i]}
    return IntentModel(CLASSES, weights)


def parser_report(path: str | Path, model: IntentModel | None) -> dict:
    """The whole parser (rules, plus `model` for unpriced messages) scored on one labelled file."""
    return score([(gold, (act.intent.value, act.price)) for act, _, gold in read_labelled(path, model)])


def cross_validate(paths: list[Path], config: ParserTrainConfig = ParserTrainConfig()) -> list[dict]:
    """Leave one file out: train on the others, score rules alone and rules + model on it."""
    if len(set(paths)) < 2:
        raise CorpusError("--cv leaves one file out and trains on the others: give two files or more")
    views = labelled_examples(paths)
    out = []
    for held in paths:
        model = fit([e for p in paths if p != held for e in views[p]], config)
        rules, learned = parser_report(held, None), parser_report(held, model)
        out.append({"file": held.name, "messages": rules["messages"], "rules": rules["intent_accuracy"],
                    "rules+model": learned["intent_accuracy"]})
    return out


def train_parser(paths: list[Path], out: Path, config: ParserTrainConfig = ParserTrainConfig(),
                 command: str = "", cv: list[dict] | None = None) -> dict:
    """Fits the intent model on the files' labelled messages and writes it to `out` with its card: the data, the
    training accuracy of the model on the messages it reads, and `cv` (cross_validate's rows) where it was run."""
    start = time.perf_counter()
    examples = [e for views in labelled_examples(paths).values() for e in views]
    model = fit(examples, config)
    if not model.weights:
        raise CorpusError(f"{' '.join(map(str, paths))}: too few hand-labelled messages to learn from (no word or "
                          f"context in {config.min_count} of them)")
    train_accuracy = sum(model.predict(view) == gold for view, gold in examples) / len(examples)
    card = {"data": [p.name for p in paths], "examples": len(examples), "features": len(model.weights),
            "train_accuracy": round(train_accuracy, 4), **({"cv": cv} if cv else {}),
            "config": vars(config), "command": command, "seconds": round(time.perf_counter() - start, 1)}
    out.parent.mkdir(parents=True, exist_ok=True)
    write_whole(out, model.to_json(card))
    return card
