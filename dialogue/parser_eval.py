"""Scores the parser against labelled dialogues: intent accuracy, per-intent P/R, price exact-match."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from dialogue.annotate import dialogue_acts
from dialogue.corpus import ACTS_NOT_WORDS, CorpusError, Dialogue, load_dialogues, speaks_in_acts
from parser.acts import CHAT_INTENTS, LUIS_TO_INTENT, PRICE_ALLOWED, Intent
from parser.intent_model import IntentModel


def gold_label(metadata: dict | None, label_map: str = "acts") -> tuple[str, float | None] | None:
    """The (intent, price) a message's metadata holds, LUIS names mapped if asked; None if unlabelled."""
    if not metadata or not metadata.get("intent") or metadata["intent"] == "None":
        return None
    name = str(metadata["intent"])
    intent = LUIS_TO_INTENT.get(name) if label_map == "luis" else None
    if intent is None:
        try:
            intent = Intent(name)
        except ValueError:
            names = [i.value for i in CHAT_INTENTS] + (list(LUIS_TO_INTENT) if label_map == "luis" else [])
            raise CorpusError(f"unknown intent label {name!r}; valid: {', '.join(dict.fromkeys(names))}") from None
    if intent not in CHAT_INTENTS:
        raise CorpusError(f"{name!r} labels a message, but it is a formal event, not a message's act")
    price = metadata.get("price")
    return intent.value, (float(price) if price is not None and intent in PRICE_ALLOWED else None)


def gold_label_in(path: str | Path, i: int, metadata: dict | None, label_map: str = "acts",
                  option: str = "") -> tuple[str, float | None] | None:
    """gold_label, its error naming the file and the dialogue (and `option`, the command's option that reads LUIS's
    names, where the labels were read as haggler's)."""
    try:
        return gold_label(metadata, label_map)
    except CorpusError as e:
        hint = f" (or LUIS's names, read with {option} luis)" if option and label_map != "luis" else ""
        raise CorpusError(f"{path}: dialogue {i}: {e}{hint}") from None


def price_matches(gold: float | None, pred: float | None) -> bool:
    return gold is not None and pred is not None and abs(gold - pred) < 0.01


def score(pairs: list[tuple[tuple[str, float | None], tuple[str, float | None]]]) -> dict:
    """pairs: (gold, predicted) (intent, price) per message."""
    n = len(pairs)
    correct = sum(g[0] == p[0] for g, p in pairs)
    priced = [(g, p) for g, p in pairs if g[1] is not None]
    labels = sorted({g[0] for g, _ in pairs} | {p[0] for _, p in pairs})
    tp, gold_n, pred_n = Counter(), Counter(g[0] for g, _ in pairs), Counter(p[0] for _, p in pairs)
    for g, p in pairs:
        tp[g[0]] += g[0] == p[0]
    per_intent = {
        lab: {"precision": _share(tp[lab], pred_n[lab]), "recall": _share(tp[lab], gold_n[lab]), "support": gold_n[lab]}
        for lab in labels
    }
    return {
        "messages": n,
        "intent_accuracy": _share(correct, n),
        "priced_messages": len(priced),
        "price_exact_match": _share(sum(price_matches(g[1], p[1]) for g, p in priced), len(priced)),
        "per_intent": per_intent,
    }


def _share(k: int, n: int) -> float | None:
    """k of n to four places; None (no figure) of none."""
    return round(k / n, 4) if n else None


def labelled_pairs(path: str | Path, label_map: str = "acts", model: IntentModel | None = None) -> list[tuple]:
    dialogues = load_dialogues(path)
    if speaks_in_acts(dialogues):  # each message's act is the act it writes out: a parser would score 1
        raise CorpusError(f"{path}: {ACTS_NOT_WORDS}")
    pairs = []
    for i, d in enumerate(dialogues):
        for event, act in zip(d.events, dialogue_acts(d, model)):
            gold = gold_label_in(path, i, event.metadata, label_map, "--map") if event.is_message else None
            if gold is not None and act is not None:
                pairs.append((gold, (act.intent.value, act.price)))
    if not pairs:
        raise CorpusError(f"{path}: no message carries a label in metadata.intent")
    return pairs


def by_uuid(path: str | Path) -> dict[str, tuple[int, Dialogue]]:
    """The file's dialogues (with their places) by uuid, each with one of its own: labels are matched by it."""
    found: dict[str, tuple[int, Dialogue]] = {}
    for i, d in enumerate(load_dialogues(path)):
        if not d.uuid:
            raise CorpusError(f"{path}: dialogue {i} has no uuid: labels are matched by uuid")
        if d.uuid in found:
            raise CorpusError(f"{path}: dialogues {found[d.uuid][0]} and {i} have one uuid, {d.uuid}: labels are "
                              "matched by uuid")
        found[d.uuid] = (i, d)
    return found


def label_pairs_against(path: str | Path, other: str | Path, label_map: str = "acts",
                        other_map: str = "luis") -> list[tuple]:
    """(gold, other's label) for each message of `path` also labelled in `other` (matched by dialogue uuid)."""
    others = by_uuid(other)
    pairs, labelled = [], False
    for i, d in by_uuid(path).values():
        labelled = labelled or any(gold_label_in(path, i, e.metadata, label_map, "--map") is not None
                                   for e in d.events if e.is_message)
        if d.uuid not in others:
            continue
        j, match = others[d.uuid]
        theirs = [e for e in match.events if e.is_message]
        ours = [e for e in d.events if e.is_message]
        for mine, their in zip(ours, theirs):
            gold = gold_label_in(path, i, mine.metadata, label_map, "--map")
            label = gold_label_in(other, j, their.metadata, other_map, "--against-map")
            if gold is not None and label is not None and mine.text == their.text:
                pairs.append((gold, label))
    if not labelled:
        raise CorpusError(f"{path}: no message carries a label in metadata.intent")
    if not pairs:
        raise CorpusError(f"{other}: no labelled message of {path} found in it (dialogues are matched by uuid)")
    return pairs


def evaluate_parser(path: str | Path, label_map: str = "acts", against: str | Path | None = None,
                    against_map: str = "luis", model: IntentModel | None = None) -> dict:
    """Scores haggler's parser (with the shipped intent model, or `model`), or with `against` another file's labels,
    on the labels in `path`."""
    if against is not None:
        return score(label_pairs_against(path, against, label_map, against_map))
    return score(labelled_pairs(path, label_map, model))


def format_report(report: dict) -> str:
    """The report as a table, its figures as --json gives them (four places: rounding them again would misstate
    some, 0.8485 of 0.84848 as 0.849); '-' where there is nothing to score."""
    def f(x: float | None, width: int = 6) -> str:
        return f"{x:{width}.4f}" if x is not None else f"{'-':>{width}}"

    lines = [f"messages           {report['messages']}",
             f"intent accuracy    {f(report['intent_accuracy'])}",
             f"price exact-match  {f(report['price_exact_match'])}  (on {report['priced_messages']} messages with a "
             "gold price)",
             "", f"{'intent':16s} {'precision':>9s} {'recall':>7s} {'support':>8s}"]
    for lab, s in report["per_intent"].items():
        lines.append(f"{lab:16s} {f(s['precision'], 9)} {f(s['recall'], 7)} {s['support']:8d}")
    return "\n".join(lines)
