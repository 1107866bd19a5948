"""Shared pieces of the arena tests: scenarios made in code, and parties."""
from __future__ import annotations

import random

from dialogue.corpus import KB, Item, Scenario
from dialogue.session import principal_of
from parser.acts import Act
from strategy.negotiator import Negotiator
from strategy.policies import make_policy
from strategy.state import NegotiationState

def scenario(listing: float = 100.0, buyer_target: float = 60.0, seller_target: float | None = None,
             buyer_bottom: float | None = None, seller_bottom: float | None = None) -> Scenario:
    item = Item("A bike", "bike", listing, ["Good bike."])
    return Scenario([KB("buyer", buyer_target, item, buyer_bottom),
                     KB("seller", listing if seller_target is None else seller_target, item, seller_bottom)], "t")


def negotiator(name: str, sc: Scenario, role: str, seed: int = 0, turn_limit: int = 20) -> Negotiator:
    principal = principal_of(sc.kb(role), turn_limit)  # type: ignore[arg-type]
    return Negotiator(name, principal, make_policy(name, principal, random.Random(seed)))


class Unguarded:
    """A party outside haggler's authority: its policy's acts go out as they are."""

    def __init__(self, name: str, principal, policy) -> None:
        self.name = name
        self.state = NegotiationState(principal)
        self.policy = policy

    def send(self) -> tuple[Act, dict]:
        act = self.policy.decide(self.state).act
        self.state.observe_mine(act)
        return act, {"policy": self.name}

    def receive(self, act: Act) -> None:
        self.state.observe_partner(act)


class Scripted:
    """Plays a fixed list of acts, then quits."""

    def __init__(self, acts: list[Act], name: str = "script") -> None:
        self.name = name
        self.acts = list(acts)
        self.received: list[Act] = []

    def send(self) -> tuple[Act, dict]:
        return (self.acts.pop(0) if self.acts else Act("quit")), {"policy": self.name}

    def receive(self, act: Act) -> None:
        self.received.append(act)


