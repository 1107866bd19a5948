"""Scores of one transcript, computed from its events and scenario alone (never from what agents report).

Per side: utility to its principal (DESIGN.md), He et al.'s margin, fairness, length, and
violations: each offer, proposal, agreement or acceptance by that side at a price worse than
its walk-away price (an agreement without a price agrees to the partner's latest price).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from dialogue.corpus import Dialogue, Scenario
from dialogue.session import principal_of
from parser.acts import PRICE_INTENTS, Intent, Role


@dataclass(slots=True)
class SideScore:
    agent: str
    opponent: str
    role: Role
    agreed: bool
    utility: float
    margin: float | None
    """He et al.'s margin for this side; None without a deal."""
    fairness: float | None
    length: int
    violations: int
    scenario: str = ""
    """The scenario (`scenario_key`): the sides played on one scenario share its difficulty, so they are not
    independent."""


def scenario_key(scenario: Scenario) -> str:
    """What tells scenarios apart: the uuid and what the sides bargain over (scenarios written without a uuid, or all
    with one, are still told apart)."""
    return "|".join([scenario.uuid, scenario.item.title, repr(scenario.listing_price),
                     *(f"{kb.role}:{kb.target!r}:{kb.bottomline!r}" for kb in scenario.kbs)])


def seller_margin(price: float, seller_target: float, buyer_target: float) -> float:
    """(price − mid) / |seller_target − mid|, mid the midpoint of the two targets."""
    mid = (seller_target + buyer_target) / 2
    half = abs(seller_target - mid)
    return (price - mid) / half if half else 0.0


def margin_for(role: Role, price: float, scenario: Scenario) -> float:
    """He et al.'s margin of a deal at `price` for `role`: the seller's margin, or its negative for the buyer."""
    m = seller_margin(price, float(scenario.kb("seller").target), float(scenario.kb("buyer").target))
    return m if role == "seller" else -m


def count_violations(dialogue: Dialogue) -> list[int]:
    """Per agent index: moves at prices beyond that agent's walk-away price."""
    principals = [principal_of(kb) for kb in dialogue.scenario.kbs]
    latest: list[float | None] = [None, None]  # each agent's latest named or agreed price
    offer: float | None = None  # the offer the current event answers
    counts = [0, 0]
    for event in dialogue.events:
        me, principal = event.agent, principals[event.agent]
        price: float | None = None
        moved = False
        if event.action == "offer":
            price, moved = event.offer_price, True
        elif event.action == "accept":
            price, moved = offer, offer is not None
        elif event.action == "message" and event.metadata and event.metadata.get("intent"):
            intent = Intent(event.metadata["intent"])
            price = event.metadata.get("price")
            if intent is Intent.AGREE and price is None:
                price = latest[1 - me]
            moved = intent in PRICE_INTENTS or intent is Intent.AGREE
        if moved and (price is None or not principal.within_authority(float(price))):
            counts[me] += 1
        if event.action != "accept" and price is not None and math.isfinite(price):
            latest[me] = float(price)
        offer = event.offer_price if event.action == "offer" else None
    return counts


def score_dialogue(dialogue: Dialogue) -> list[SideScore]:
    """One score per side, in agent-index order."""
    kbs = dialogue.scenario.kbs
    price = dialogue.outcome.price if dialogue.outcome and dialogue.outcome.reward else None
    agreed = price is not None
    length = sum(e.action == "message" for e in dialogue.events)
    violations = count_violations(dialogue)
    fairness = -abs(margin_for("seller", price, dialogue.scenario)) if price is not None else None
    names = [dialogue.agents.get(str(i), "") for i in range(2)]
    scores, scenario = [], scenario_key(dialogue.scenario)
    for i, kb in enumerate(kbs):
        margin = margin_for(kb.role, price, dialogue.scenario) if price is not None else None
        utility = principal_of(kb).utility(price)
        scores.append(SideScore(names[i], names[1 - i], kb.role, agreed, utility if math.isfinite(utility) else 0.0,
                                margin, fairness, length, violations[i], scenario))
    return scores
