"""The principal: whom an agent bargains for, and what a price is worth to them."""
from __future__ import annotations

import math
from dataclasses import dataclass

from parser.acts import Role, in_cents

DEFAULT_TURN_LIMIT = 20
CENT = 0.01
"""The least price anyone may name: prices are said in dollars and cents."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Role, target and walk-away price: the authority an agent acts under.

    A seller prefers higher prices, a buyer lower ones, whatever the target says.
    """
    role: Role
    target: float
    walk_away: float
    listing_price: float
    turn_limit: int = DEFAULT_TURN_LIMIT

    @property
    def sign(self) -> int:
        """+1 when more money is better (seller), -1 when less is (buyer)."""
        return 1 if self.role == "seller" else -1

    def at_least_as_good(self, price: float, than: float) -> bool:
        return self.sign * (price - than) >= 0

    def within_authority(self, price: float) -> bool:
        """A finite price of a cent or more, not worse than the walk-away price, also as it is said in cents
        (NaN is never within)."""
        return (math.isfinite(price) and price >= CENT and self.sign * (price - self.walk_away) >= 0
                and self.sign * (round(price, 2) - self.walk_away) >= 0)

    @property
    def limit(self) -> float:
        """The walk-away price in whole cents, rounded the principal's way: the furthest price it may name."""
        return in_cents(self.walk_away, up=self.role == "seller")

    def nearest_allowed(self, price: float) -> float:
        """The price within authority nearest to one that is not: a cent for a buyer's price below one, else
        the limit."""
        if math.isfinite(price) and price < CENT and self.within_authority(CENT):
            return CENT
        return self.limit

    def utility(self, price: float | None) -> float:
        """1 at the target, 0 at the walk-away price, linear, may exceed 1; no deal (None) is 0."""
        if price is None:
            return 0.0
        span = abs(self.target - self.walk_away)
        if span == 0:
            return 1.0 if self.within_authority(price) else -1.0
        return self.sign * (price - self.walk_away) / span

    def price_at(self, fraction: float) -> float:
        """The price `fraction` of the way from the target (0) to the walk-away price (1)."""
        return self.target + fraction * (self.walk_away - self.target)
