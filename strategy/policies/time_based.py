"""Time-dependent concession (Faratin, Sierra & Jennings 1998): the price moves from the target
to the walk-away price as time runs out, as (t)^(1/e); e < 1 holds out (Boulware), e > 1 gives in early."""
from __future__ import annotations

from strategy.policies.base import ConcessionPolicy
from strategy.state import NegotiationState


class TimeBasedPolicy(ConcessionPolicy):
    e: float = 1.0

    def next_price(self, state: NegotiationState) -> float:
        return self.principal.price_at(state.time ** (1.0 / self.e))


class BoulwarePolicy(TimeBasedPolicy):
    """Time-dependent concession, e = 0.2: holds near the target, then gives way at the deadline (Boulware)."""
    e = 0.2


class ConcederPolicy(TimeBasedPolicy):
    """Time-dependent concession, e = 5: gives most of the way to the walk-away price early (Conceder)."""
    e = 5.0


class LinearPolicy(TimeBasedPolicy):
    """Time-dependent concession, e = 1: moves from the target to the walk-away price evenly with time."""
    e = 1.0
