"""The rule-based agent of He et al. 2018 (cocoa's craigslistbargain RulebasedSession), at the act level.

It opens at its target (a buyer overshoots, at 0.8 × target), answers each partner price by
moving halfway toward it but never past its bottomline (the walk-away price), makes a final
call at the bottomline when halfway would cross it, and quits when the final call is refused.
It takes any price within bottomline + 0.7 × (target − bottomline), or as good as its own.
"""
from __future__ import annotations

import random

from parser.acts import Act, Intent
from strategy.guard import Decision
from strategy.policies.base import CLOSING_TURNS, answer_partner, price_act, round_price
from strategy.principal import Principal
from strategy.state import NegotiationState

OVERSHOOT = 0.2
COMPROMISE = 0.5
GOOD_DEAL = 0.7
REFUSALS = frozenset({Intent.PROPOSE, Intent.COUNTER, Intent.INSIST, Intent.COUNTER_NOPRICE,
                      Intent.DISAGREE, Intent.REJECT})


class RulePolicy:
    def __init__(self, principal: Principal, rng: random.Random) -> None:
        self.principal = principal
        self.rng = rng
        target, bottom = principal.target, principal.walk_away
        self.opening = round_price(target * (1 - OVERSHOOT) if principal.role == "buyer" else target)
        self.good_price = bottom + GOOD_DEAL * (target - bottom)
        self.final_call = False

    def takes(self, price: float, state: NegotiationState) -> bool:
        p = self.principal
        if self.final_call:
            return p.within_authority(price)
        return p.at_least_as_good(price, self.good_price) or (
            state.my_price is not None and p.at_least_as_good(price, state.my_price))

    def decide(self, state: NegotiationState) -> Decision:
        p = self.principal
        answer = answer_partner(state, lambda price: self.takes(price, state), "a good deal")
        if answer is not None:
            return answer
        partner = state.partner_price
        if self.final_call and state.partner_act is not None and state.partner_act.intent in REFUSALS:
            return Decision(Act(Intent.QUIT), "final call refused")
        if state.my_price is None:
            if state.turn == 0:
                return Decision(Act(Intent.GREET), "open with a greeting")
            return Decision(price_act(state, self.opening), "opening price")
        if state.turns_left <= CLOSING_TURNS:
            return Decision(Act(Intent.OFFER, state.my_price), "time short: formal offer")
        if partner is None:
            if state.partner_act is not None and state.partner_act.intent is Intent.INQUIRE:
                return Decision(Act(Intent.INFORM), "answer the question")
            return Decision(price_act(state, state.my_price), "no partner price yet: hold")
        if self.final_call:
            return Decision(price_act(state, p.walk_away), "final call stands")
        halfway = round_price(state.my_price + COMPROMISE * (partner - state.my_price))
        if not p.at_least_as_good(halfway, p.walk_away) or halfway == p.walk_away:
            self.final_call = True
            return Decision(price_act(state, p.walk_away), "final call at the bottomline")
        return Decision(price_act(state, halfway), "concede halfway")
