"""A negotiator: a policy bound to a principal, its view of the talk, and the guard between them and the outside."""
from __future__ import annotations

from parser.acts import Act
from strategy.guard import guard
from strategy.policies import Policy
from strategy.principal import Principal
from strategy.state import NegotiationState


class Negotiator:
    """What a session talks to: `send()` the next act (always guarded), `receive()` the partner's. A side that may
    say something else than it decided (a person who refuses the deal their agent wants) calls `decide()`, then
    `commit()` with the act it said."""

    def __init__(self, name: str, principal: Principal, policy: Policy) -> None:
        self.name = name
        self.principal = principal
        self.policy = policy
        self.state = NegotiationState(principal)

    def send(self) -> tuple[Act, dict]:
        act, audit = self.decide()
        self.commit(act)
        return act, audit

    def decide(self) -> tuple[Act, dict]:
        """The next act, guarded, and why; the negotiator's view of the talk waits for `commit()`."""
        decision = guard(self.policy.decide(self.state), self.state)
        audit = {"policy": self.name, "reason": decision.reason, **(decision.record or {})}
        if decision.guard:
            audit["guard"] = decision.guard
        return decision.act, audit

    def commit(self, act: Act) -> None:
        """`act` was said: the negotiator's view of the talk takes it in."""
        self.state.observe_mine(act)

    def receive(self, act: Act) -> None:
        self.state.observe_partner(act)
