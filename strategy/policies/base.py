"""What a policy is, and the shape most hand-written policies share."""
from __future__ import annotations

import random
from typing import Callable, Protocol

from parser.acts import Act, Intent
from strategy.guard import Decision
from strategy.principal import Principal
from strategy.state import NegotiationState


class Policy(Protocol):
    """Chooses the next act from one side's view of the talk. One instance per dialogue."""

    def decide(self, state: NegotiationState) -> Decision: ...


PolicyFactory = Callable[[Principal, random.Random], Policy]
"""How the registry builds a policy: from the principal it serves and its own random stream."""

CLOSING_TURNS = 2
"""With this few turns left, a policy makes a formal offer rather than talk on."""


def round_price(price: float) -> float:
    """Whole dollars, or cents under $50 (a $3 item still needs room to move)."""
    return float(round(price)) if abs(price) >= 50 else round(price, 2)


def price_act(state: NegotiationState, price: float) -> Act:
    """propose the first price of the dialogue, insist on my own last one, counter otherwise."""
    if not state.any_price_named:
        return Act(Intent.PROPOSE, price)
    return Act(Intent.INSIST if price == state.my_price else Intent.COUNTER, price)


def partner_agreed_to_me(state: NegotiationState) -> bool:
    act = state.partner_act
    return act is not None and act.intent is Intent.AGREE and state.my_price is not None


def answer_partner(state: NegotiationState, acceptable: Callable[[float], bool], why: str) -> Decision | None:
    """What every price policy does alike: answer a formal offer, make the partner's agreement to my price
    formal, take the partner's price where `acceptable` (`why` says what that means). None: no such move."""
    if state.partner_offer is not None:
        if acceptable(state.partner_offer):
            return Decision(Act(Intent.ACCEPT), f"offer {why}")
        return Decision(Act(Intent.REJECT), f"offer not {why}")
    if partner_agreed_to_me(state):
        return Decision(Act(Intent.OFFER, state.my_price), "partner agreed: formal offer")
    partner = state.partner_price
    rejected = state.partner_act is not None and state.partner_act.intent is Intent.REJECT
    if partner is not None and not rejected and acceptable(partner):
        if state.turns_left <= CLOSING_TURNS:
            return Decision(Act(Intent.OFFER, partner), f"partner's price {why}, time short: offer it")
        return Decision(Act(Intent.AGREE, partner), f"partner's price {why}")
    return None


class ConcessionPolicy:
    """A policy that names a price each turn and takes any partner price at least as good.

    Subclasses say what price to name now (`next_price`), and may say which prices they take.
    """

    def __init__(self, principal: Principal, rng: random.Random) -> None:
        self.principal = principal
        self.rng = rng

    def next_price(self, state: NegotiationState) -> float:
        raise NotImplementedError

    def accepts(self, price: float, mine: float) -> bool:
        return self.principal.at_least_as_good(price, mine)

    def decide(self, state: NegotiationState) -> Decision:
        mine = round_price(self.next_price(state))
        answer = answer_partner(state, lambda price: self.accepts(price, mine), "as good as my next price")
        if answer is not None:
            return answer
        if state.turns_left <= CLOSING_TURNS:
            return Decision(Act(Intent.OFFER, mine), "time short: formal offer")
        return Decision(price_act(state, mine), "my price now")
