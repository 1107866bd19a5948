"""The coarse dialogue acts of ACTS.md: an intent and, for price-bearing intents, a price."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from typing import Literal

Role = Literal["buyer", "seller"]
ROLES: tuple[Role, Role] = ("buyer", "seller")


def other_role(role: Role) -> Role:
    return "seller" if role == "buyer" else "buyer"


class Intent(str, Enum):
    GREET = "greet"
    INQUIRE = "inquire"
    INFORM = "inform"
    PROPOSE = "propose"
    COUNTER = "counter"
    COUNTER_NOPRICE = "counter-noprice"
    INSIST = "insist"
    AGREE = "agree"
    DISAGREE = "disagree"
    UNKNOWN = "unknown"
    # Formal events: acts already, never produced by parsing text.
    OFFER = "offer"
    ACCEPT = "accept"
    REJECT = "reject"
    QUIT = "quit"

    def __str__(self) -> str:
        return self.value


class UnknownIntent(ValueError):
    """An act whose intent is none of Intent's; `valid` lists the ones its reader takes."""

    def __init__(self, name: str, valid: tuple[Intent, ...] = tuple(Intent)) -> None:
        super().__init__(f"unknown intent {name!r}; valid: {', '.join(i.value for i in valid)}")
        self.name = name


CHAT_INTENTS = tuple(i for i in Intent if i not in (Intent.OFFER, Intent.ACCEPT, Intent.REJECT, Intent.QUIT))
FORMAL_INTENTS = (Intent.OFFER, Intent.ACCEPT, Intent.REJECT, Intent.QUIT)
PROPOSALS = frozenset({Intent.PROPOSE, Intent.COUNTER, Intent.INSIST})
"""Price proposals in words: which of the three a proposal is depends on the dialogue, not the words (ACTS.md)."""
PRICE_INTENTS = PROPOSALS | {Intent.OFFER}
"""Intents that always carry a price (agree may or may not)."""
PRICE_ALLOWED = PRICE_INTENTS | {Intent.AGREE}
"""The intents an act's price may go with: those that need one, and agree (its price is optional)."""

# ACTS.md's table, last column: the LUIS label names later CraigslistBargain work used.
LUIS_TO_INTENT: dict[str, Intent] = {
    "greet": Intent.GREET,
    "inquire": Intent.INQUIRE,
    "inform": Intent.INFORM, "affirm": Intent.INFORM, "confirm": Intent.INFORM, "deny": Intent.INFORM,
    "propose": Intent.PROPOSE,
    "counter": Intent.COUNTER,
    "counter-noprice": Intent.COUNTER_NOPRICE,
    "agree": Intent.AGREE, "agree-noprice": Intent.AGREE,
    "disagree": Intent.DISAGREE,
    "unknown": Intent.UNKNOWN, "none": Intent.UNKNOWN,
}


@dataclass(frozen=True)
class Act:
    intent: Intent
    price: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.intent, Intent):
            object.__setattr__(self, "intent", Intent(self.intent))
        if self.price is not None:
            object.__setattr__(self, "price", float(self.price))
        if self.intent in PRICE_INTENTS and self.price is None:
            raise ValueError(f"{self.intent} needs a price")

    @property
    def is_formal(self) -> bool:
        return self.intent in FORMAL_INTENTS

    def __str__(self) -> str:
        return f"{self.intent}(price={format_price(self.price)})" if self.price is not None else f"{self.intent}()"

    @classmethod
    def from_string(cls, text: str) -> Act:
        """Reads 'counter 120', 'counter(price=120)', 'counter(120)', 'agree' or 'quit', in lower case, as transcripts
        write acts (a person's "Agree" is words)."""
        m = re.fullmatch(r"\s*([a-z-]+)\s*(?:\(\s*(?:price\s*=\s*)?([0-9.]*)\s*\)|\s+\$?([0-9][0-9.,]*))?\s*", text)
        if not m and re.search(r"[\s(=$]-\s*\$?\d", text):
            raise ValueError(f"a price must be at least $0.01: {text.strip()!r}")
        if not m:
            raise ValueError(f"not an act: {text!r} (expected e.g. 'counter 120' or 'agree')")
        name, p1, p2 = m.groups()
        try:
            intent = Intent(name)
        except ValueError:
            raise UnknownIntent(name) from None
        raw = (p1 or p2 or "").replace(",", "")
        if not raw:
            return cls(intent)
        if intent not in PRICE_ALLOWED:
            raise ValueError(f"{intent} takes no price (a price goes with "
                             f"{', '.join(sorted(map(str, PRICE_ALLOWED)))})")
        try:
            price = round(float(raw), 2)  # dollars and cents
        except ValueError:
            raise ValueError(f"not a price: {raw!r}") from None
        if price <= 0:
            raise ValueError(f"a price must be at least $0.01, not {raw}")
        return cls(intent, price)

    def to_metadata(self) -> dict:
        return {"intent": self.intent.value, "price": self.price}

    @classmethod
    def from_metadata(cls, metadata: dict) -> Act:
        """The act `to_metadata` wrote (an intent name and a price, or None)."""
        return cls(Intent(metadata["intent"]), metadata.get("price"))


def format_price(price: float | None) -> str:
    if price is None:
        return "None"
    price = round(float(price), 2)
    return str(int(price)) if price.is_integer() else f"{price:.2f}"


def in_cents(price: float, up: bool) -> float:
    """The price in whole cents, rounded up or down; a float's noise is no cent (0.7 x $650 is $455, not the
    $454.99999999999994 the multiplication gives)."""
    cents = price * 100
    return (math.ceil(cents - 1e-6) if up else math.floor(cents + 1e-6)) / 100


def write_price(price: float) -> str:
    """A price as people write it: $120, $1,200, $37.50 (in cents: $454.99999999999994 is $455)."""
    price = round(float(price), 2)
    if price.is_integer():
        return f"${int(price):,}"
    return f"${price:,.2f}"
