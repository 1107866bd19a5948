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


def features(view: MessageView) -> list[str]:
    """Context features (with '=' in their names), then the words and word pairs of the message."""
    tokens = _TOKEN.findall(view.low)[:MAX_TOKENS]
    out = ["=bias", f"rule={view.rule_intent.value}", f"role={view.role}", f"idx={min(view.n_messages, 6)}",
           f"plast={view.partner_last.value if view.partner_last else None}",
           f"mlast={view.own_last.value if view.own_last else None}", f"len={min(len(tokens) // 4, 6)}"]
    if view.partner_open:
        out.append("=partner_open")
    if view.settled:
        out.append("=settled")
    if view.any_price:
        out.append("=any_price")
    if tokens:
        out.append("first=" + tokens[0])
    out.extend(set(tokens))
    out.extend({a + " " + b for a, b in zip(tokens, tokens[1:])})
    return out


class IntentModel:
    """Multinomial logistic regression: a weight vector (one weight a class) per feature."""

    def __init__(self, classes: tuple[Intent, ...], weights: dict[str, list[float]]) -> None:
        self.classes = classes
        self.weights = {f: tuple(w) for f, w in weights.items()}

    def predict(self, view: MessageView) -> Intent:
        get = self.weights.get
        rows = [w for f in features(view) if (w := get(f)) is not None]
        scores = list(map(sum, zip(*rows)))
        return self.classes[max(range(len(scores)), key=scores.__getitem__)] if scores else view.rule_intent

    def save(self, path: str | Path, card: dict | None = None) -> None:
        Path(path).write_text(json.dumps({"classes": [c.value for c in self.classes], "card": card or {},
                                          "weights": self.weights}, separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> IntentModel:
        raw = json.loads(Path(path).read_text())
        return cls(tuple(Intent(c) for c in raw["classes"]), raw["weights"])


_shipped: IntentModel | None = None


def shipped_model() -> IntentModel | None:
    """The model shipped beside this file, loaded once; None where it is missing."""
    global _shipped
    if _shipped is None and MODEL_PATH.is_file():
        _shipped = IntentModel.load(MODEL_PATH)
    return _shipped
