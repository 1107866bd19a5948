"""The negotiation as one side sees it: what was proposed, what awaits an answer, how late it is."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from parser.acts import PRICE_INTENTS, Act, Intent
from strategy.principal import Principal


@dataclass(slots=True)
class NegotiationState:
    principal: Principal
    turn: int = 0
    """Turns (messages and formal events, both sides) so far; the next move is this one."""
    my_price: float | None = None
    """My latest proposed (or agreed) price."""
    partner_price: float | None = None
    """The partner's latest proposed (or agreed) price."""
    partner_prices: list[float] = field(default_factory=list)
    """Every price the partner proposed, in order (for concession-mirroring policies)."""
    my_act: Act | None = None
    partner_act: Act | None = None
    partner_offer: float | None = None
    """A formal offer by the partner that my next move answers (accept or anything else)."""
    history: list[tuple[bool, Act]] = field(default_factory=list)
    """Every act so far, in order, with whether it was mine (for policies that read the whole talk)."""

    @classmethod
    def after(cls, principal: Principal, history: Iterable[tuple[bool, Act]]) -> NegotiationState:
        """A fresh state for `principal` that has seen `history`: (whether it was mine, act) pairs, in order."""
        state = cls(principal)
        for mine, act in history:
            (state.observe_mine if mine else state.observe_partner)(act)
        return state

    @property
    def turns_left(self) -> int:
        return self.principal.turn_limit - self.turn

    @property
    def time(self) -> float:
        """Elapsed fraction of the turn limit, 0 to 1."""
        return min(1.0, self.turn / max(1, self.principal.turn_limit))

    @property
    def any_price_named(self) -> bool:
        return self.my_price is not None or self.partner_price is not None

    def observe_mine(self, act: Act) -> None:
        self.turn += 1
        self.history.append((True, act))
        self.my_act = act
        self.partner_offer = None
        if act.intent in PRICE_INTENTS or (act.intent is Intent.AGREE and act.price is not None):
            self.my_price = act.price
        elif act.intent is Intent.AGREE:
            self.my_price = self.partner_price

    def observe_partner(self, act: Act) -> None:
        self.turn += 1
        self.history.append((False, act))
        self.partner_act = act
        price = act.price if act.price is not None and math.isfinite(act.price) else None
        self.partner_offer = price if act.intent is Intent.OFFER else None
        if price is not None and (act.intent in PRICE_INTENTS or act.intent is Intent.AGREE):
            self.partner_price = price
            self.partner_prices.append(price)
        elif act.intent is Intent.AGREE and act.price is None and self.my_price is not None:
            self.partner_price = self.my_price
