"""A learned intent classifier for messages that name no price.

The rules (rules.py) settle every message that names a price: the intent there follows from the
dialogue (propose, counter, insist, agree). For the rest (greet, inquire, inform, counter-noprice,
disagree, agree, unknown, insist) the words decide, and a linear model over the words, the rules'
own decision and the dialogue's state generalises better than more rules. It is trained on the
hand-labelled dev.json messages (`haggler train parser`) and shipped as a small JSON file of weights;
prediction is plain Python.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from parser.acts import Intent

MODEL_PATH = Path(__file__).resolve().parent / "intent_model.json"
CLASSES = (Intent.GREET, Intent.INQUIRE, Intent.INFORM, Intent.COUNTER_NOPRICE, Intent.DISAGREE,
           Intent.AGREE, Intent.UNKNOWN, Intent.INSIST)
MAX_TOKENS = 40
_TOKEN = re.compile(r"[a-z']+|[?!$]")


@dataclass(frozen=True)
class MessageView:
    """What the classifier sees of a message and of the dialogue before it."""
    low: str  # the message, lower-cased
    role: str
    rule_intent: Intent  # what the rules decided
    n_messages: int
    partner_last: Intent | None
    own_last: Intent | None
    partner_open: bool  # a proposal of the partner's awaits an answer
    settled: bool  # a deal has been agreed
    any_price: bool


def tokenize(view: MessageView) -> list[str]:
    return _TOKEN.findall(view.low)[:MAX_TOKENS]


def context_key(view: MessageView, tokens: list[str]) -> tuple:
    """All that the context features depend on."""
    return (view.rule_intent, view.role, min(view.n_messages, 6), view.partner_last, view.own_last,
            min(len(tokens) // 4, 6), view.partner_open, view.settled, view.any_price)


def context_features(key: tuple) -> list[str]:
    """The features (with '=' in their names) of a context_key."""
    rule, role, idx, partner_last, own_last, length, partner_open, settled, any_price = key
    out = ["=bias", f"rule={rule.value}", f"role={role}", f"idx={idx}",
           f"plast={partner_last.value if partner_last else None}", f"mlast={own_last.value if own_last else None}",
           f"len={length}"]
    if partner_open:
        out.append("=partner_open")
    if settled:
        out.append("=settled")
    if any_price:
        out.append("=any_price")
    return out


def word_features(tokens: list[str]) -> set[str]:
    """The first word, the words and the word pairs of the message."""
    out = set(tokens)
    out.update(map(" ".join, zip(tokens, tokens[1:])))
    if tokens:
        out.add("first=" + tokens[0])
    return out


def features(view: MessageView) -> list[str]:
    """Context features, then the words and word pairs of the message."""
    tokens = tokenize(view)
    return context_features(context_key(view, tokens)) + list(word_features(tokens))


class IntentModel:
    """Multinomial logistic regression: a weight vector (one weight a class) per feature."""

    def __init__(self, classes: tuple[Intent, ...], weights: dict[str, list[float]]) -> None:
        self.classes = classes
        self.weights = {f: tuple(w) for f, w in weights.items()}
        self._context_scores: dict[tuple, tuple[float, ...] | None] = {}  # a few hundred contexts recur

    def predict(self, view: MessageView) -> Intent:
        get = self.weights.get
        tokens = tokenize(view)
        key = context_key(view, tokens)
        if key not in self._context_scores:
            self._context_scores[key] = _sum([w for f in context_features(key) if (w := get(f)) is not None])
        rows = [w for f in word_features(tokens) if (w := get(f)) is not None]
        if not rows:  # not one word it knows ("qwerty"): the context alone would guess, so the rules decide
            return view.rule_intent
        if self._context_scores[key] is not None:
            rows.append(self._context_scores[key])
        scores = _sum(rows)
        assert scores is not None  # rows is not empty
        return self.classes[scores.index(max(scores))]

    def to_json(self, card: dict | None = None) -> str:
        """The model as its file holds it (`load`), with a card (data, metrics, the command)."""
        return json.dumps({"classes": [c.value for c in self.classes], "card": card or {}, "weights": self.weights},
                          separators=(",", ":")) + "\n"

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> IntentModel:
        """The model in a file `save` wrote; one of NOT_A_MODEL for any other file."""
        raw = json.loads(Path(path).read_text())
        if not isinstance(raw["classes"], list):
            raise ValueError(f"classes must be a list of intents, not {type(raw['classes']).__name__}")
        classes = tuple(Intent(c) for c in raw["classes"])
        if not classes:
            raise ValueError("no classes")
        if unknown := [c.value for c in classes if c not in CLASSES]:
            raise ValueError(f"classes {', '.join(unknown)} are none an intent model gives (it reads messages without a "
                             f"price: {', '.join(c.value for c in CLASSES)})")
        if not raw["weights"]:  # it would know no word: every message left to the rules, without a word said
            raise ValueError("no weights")
        for feature, w in raw["weights"].items():
            if not (isinstance(w, list) and len(w) == len(classes)
                    and all(type(x) in (int, float) and math.isfinite(x) for x in w)):
                raise ValueError(f"the weights of {feature!r} are not {len(classes)} numbers, one a class")
        return cls(classes, raw["weights"])


NOT_A_MODEL = (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError)
"""What IntentModel.load raises for a file that holds no model (unreadable, not JSON, JSON nested too deeply to read,
or JSON of another shape)."""


def _sum(rows: list[tuple[float, ...]]) -> tuple[float, ...] | None:
    return tuple(map(sum, zip(*rows))) if rows else None


_shipped: IntentModel | None = None


class BrokenModel(ValueError):
    """The shipped model's file holds no model."""


def shipped_model() -> IntentModel | None:
    """The model shipped beside this file, loaded once; None where it is missing. Raises BrokenModel where its file
    holds none."""
    global _shipped
    if _shipped is None and MODEL_PATH.is_file():
        try:
            _shipped = IntentModel.load(MODEL_PATH)
        except NOT_A_MODEL as e:
            raise BrokenModel(f"{MODEL_PATH}: not a parser model ({type(e).__name__}: {e}); restore it "
                              "(git checkout, or a reinstall) or rebuild it (haggler train parser)") from None
    return _shipped
