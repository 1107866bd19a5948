"""Never concedes: names its target every turn and takes only the target or better."""
from __future__ import annotations

from strategy.policies.base import ConcessionPolicy
from strategy.state import NegotiationState


class HardlinerPolicy(ConcessionPolicy):
    def next_price(self, state: NegotiationState) -> float:
        return self.principal.target
