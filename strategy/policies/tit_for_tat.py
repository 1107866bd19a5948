"""Tit-for-tat on concessions: concede as many dollars as the partner last conceded, never more.

It opens at its target and makes one small opening concession to invite the partner's.
"""
from __future__ import annotations

import random

from strategy.policies.base import ConcessionPolicy
from strategy.principal import Principal
from strategy.state import NegotiationState

OPENING_CONCESSION = 0.1
"""Of the distance from target to walk-away, conceded once when the partner first names a price."""


class TitForTatPolicy(ConcessionPolicy):
    def __init__(self, principal: Principal, rng: random.Random) -> None:
        super().__init__(principal, rng)
        self.price = principal.target
        self.mirrored = 0  # how many of the partner's prices this policy has answered

    def next_price(self, state: NegotiationState) -> float:
        prices, p = state.partner_prices, self.principal
        if len(prices) > self.mirrored:
            if self.mirrored == 0:
                step = OPENING_CONCESSION * abs(p.target - p.walk_away)
            else:
                step = max(0.0, p.sign * (prices[-1] - prices[self.mirrored - 1]))  # their move my way
            self.mirrored = len(prices)
            self.price = self.price - p.sign * step
            if not p.at_least_as_good(self.price, p.walk_away):
                self.price = p.walk_away
        return self.price
