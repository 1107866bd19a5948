"""A sanity floor: a random legal act each turn, prices anywhere from 0.3 to 1.5 × the listing."""
from __future__ import annotations

import random

from parser.acts import CHAT_INTENTS, Act, Intent
from strategy.guard import Decision
from strategy.policies.base import price_act, round_price
from strategy.principal import Principal
from strategy.state import NegotiationState

QUIT_PROBABILITY = 0.02
MOVES = (*CHAT_INTENTS, Intent.OFFER)


class RandomPolicy:
    def __init__(self, principal: Principal, rng: random.Random) -> None:
        self.principal = principal
        self.rng = rng

    def decide(self, state: NegotiationState) -> Decision:
        rng = self.rng
        if state.partner_offer is not None:
            return Decision(Act(rng.choice((Intent.ACCEPT, Intent.REJECT))), "coin flip on the offer")
        if rng.random() < QUIT_PROBABILITY:
            return Decision(Act(Intent.QUIT), "random quit")
        intent = rng.choice(MOVES)
        price = round_price(self.principal.listing_price * rng.uniform(0.3, 1.5))
        if intent in (Intent.PROPOSE, Intent.COUNTER):
            return Decision(price_act(state, price), "random price")
        if intent is Intent.INSIST:
            return Decision(price_act(state, state.my_price if state.my_price is not None else price), "random insist")
        if intent is Intent.OFFER:
            return Decision(Act(Intent.OFFER, price), "random offer")
        if intent is Intent.AGREE:
            return Decision(Act(Intent.AGREE, state.partner_price), "random agree")
        return Decision(Act(intent), "random talk")
