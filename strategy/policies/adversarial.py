"""Partners that try to break an agent: absurd prices, prices a hair past a walk-away, acceptances
of nothing, agreements to anything. For tests of the guard; not in the tournament registry."""
from __future__ import annotations

import random

from parser.acts import Act, Intent
from strategy.guard import Decision
from strategy.principal import Principal
from strategy.state import NegotiationState

LISTING_MULTIPLES = (-1e9, -1.0, 0.0, 1e-9, 0.5, 0.7 - 1e-9, 0.7, 1.0, 1.0 + 1e-9, 2.0, 1e9)
NON_NUMBERS = (float("nan"), float("inf"), float("-inf"))
MOVES = (Intent.OFFER, Intent.ACCEPT, Intent.AGREE, Intent.PROPOSE, Intent.COUNTER, Intent.INSIST,
         Intent.REJECT, Intent.DISAGREE, Intent.INQUIRE, Intent.QUIT)


class AdversarialPolicy:
    def __init__(self, principal: Principal, rng: random.Random) -> None:
        self.principal = principal
        self.rng = rng

    def absurd_price(self) -> float:
        rng = self.rng
        if rng.random() < 0.1:
            return rng.choice(NON_NUMBERS)
        return self.principal.listing_price * rng.choice(LISTING_MULTIPLES) + rng.choice((0.0, -0.01, 0.01))

    def decide(self, state: NegotiationState) -> Decision:
        intent = self.rng.choice(MOVES)
        if intent is Intent.QUIT and self.rng.random() < 0.8:
            intent = Intent.ACCEPT
        if intent is Intent.AGREE:
            return Decision(Act(Intent.AGREE, self.rng.choice((None, self.absurd_price()))), "agree to anything")
        if intent in (Intent.OFFER, Intent.PROPOSE, Intent.COUNTER, Intent.INSIST):
            return Decision(Act(intent, self.absurd_price()), "absurd price")
        return Decision(Act(intent), "adversarial move")
