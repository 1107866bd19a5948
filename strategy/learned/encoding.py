"""The learned policies' view of a negotiation: the state as numbers, the acts as choices.

Prices are scaled to the principal as He et al. do: 0 at its walk-away price (bottomline), 1 at
its target, linear (a buyer's and a seller's scales run opposite ways in dollars). A move is an
intent (one of MOVES) and, for the intents that name a new price, a price choice: the partner's
latest price, my own latest price, or one of PRICE_BINS on the scaled axis.
"""
from __future__ import annotations

import math

import numpy as np

from parser.acts import Act, Intent
from strategy.policies.base import CLOSING_TURNS, price_act, round_price
from strategy.principal import Principal
from strategy.state import NegotiationState

MOVES: tuple[Intent, ...] = (
    Intent.GREET, Intent.INQUIRE, Intent.INFORM, Intent.PROPOSE, Intent.COUNTER, Intent.COUNTER_NOPRICE,
    Intent.INSIST, Intent.AGREE, Intent.DISAGREE, Intent.UNKNOWN,
    Intent.OFFER, Intent.ACCEPT, Intent.REJECT, Intent.QUIT)
MOVE_INDEX = {intent: i for i, intent in enumerate(MOVES)}
NEW_PRICE = frozenset({Intent.PROPOSE, Intent.COUNTER, Intent.OFFER})
"""Intents whose price the price choice says (insist repeats mine, agree takes the partner's)."""

PARTNER, MINE = 0, 1
PRICE_BINS = np.round(np.arange(0.0, 2.01, 0.1), 2)
"""Scaled prices a policy can name: from the walk-away price (0) to well past the target (2)."""
N_PRICES = 2 + len(PRICE_BINS)
SAME_PRICE = 0.005
"""Two prices within this fraction of the listing price are the same price."""

WINDOW = 3
"""The last acts the features spell out one by one."""
SCALE_CLIP = (-2.0, 3.0)
ACT_FEATURES = 2 + len(MOVES) + 2
N_FEATURES = 12 + WINDOW * ACT_FEATURES


def span_of(principal: Principal) -> float:
    """Dollars from the walk-away price to the target (signed; never zero)."""
    span = principal.target - principal.walk_away
    if abs(span) < 1e-9:
        span = principal.sign * max(1e-2, 0.1 * abs(principal.listing_price))
    return span


def scaled(principal: Principal, price: float | None) -> float:
    """0 at the walk-away price, 1 at the target (clipped far outside); 0 for no price."""
    if price is None or not math.isfinite(price):
        return 0.0
    return min(SCALE_CLIP[1], max(SCALE_CLIP[0], (price - principal.walk_away) / span_of(principal)))


def unscaled(principal: Principal, value: float) -> float:
    return principal.walk_away + value * span_of(principal)


def encode(state: NegotiationState) -> list[float]:
    """N_FEATURES numbers: the principal, the clock, the prices on the table, the last WINDOW acts."""
    p = state.principal

    def sc(price: float | None) -> float:
        return scaled(p, price)

    mine, theirs = state.my_price, state.partner_price
    prices = state.partner_prices
    x = [
        1.0 if p.role == "seller" else 0.0, state.time, 1.0 if state.turns_left <= CLOSING_TURNS else 0.0, sc(p.listing_price),
        float(mine is not None), sc(mine), float(theirs is not None), sc(theirs),
        sc(theirs) - sc(mine) if mine is not None and theirs is not None else 0.0,
        float(state.partner_offer is not None), sc(state.partner_offer),
        sc(prices[-1]) - sc(prices[-2]) if len(prices) >= 2 else 0.0,
    ]
    recent = state.history[-WINDOW:]
    for k in range(WINDOW):
        i = len(recent) - 1 - k
        row = [0.0] * ACT_FEATURES
        if i >= 0:
            is_mine, act = recent[i]
            row[0], row[1] = 1.0, float(is_mine)
            row[2 + MOVE_INDEX[act.intent]] = 1.0
            if act.price is not None and math.isfinite(act.price):
                row[-2], row[-1] = 1.0, sc(act.price)
        x += row
    return x


def legal(state: NegotiationState) -> list[bool]:
    """Which MOVES make sense now: answer a pending offer, else talk; insist and agree need a price."""
    if state.partner_offer is not None:
        return [m in (Intent.ACCEPT, Intent.REJECT, Intent.QUIT) for m in MOVES]
    named = state.any_price_named
    ok = {Intent.ACCEPT: False, Intent.REJECT: False, Intent.PROPOSE: not named, Intent.COUNTER: named,
          Intent.INSIST: state.my_price is not None, Intent.AGREE: state.partner_price is not None}
    return [ok.get(m, True) for m in MOVES]


def price_bin(value: float) -> int:
    return 2 + int(np.clip(round(value * 10), 0, len(PRICE_BINS) - 1))


def price_choice(state: NegotiationState, price: float) -> int:
    """The choice that names `price` now: the partner's price, mine, or the nearest bin."""
    tolerance = max(0.5, SAME_PRICE * abs(state.principal.listing_price))
    if state.partner_price is not None and abs(price - state.partner_price) <= tolerance:
        return PARTNER
    if state.my_price is not None and abs(price - state.my_price) <= tolerance:
        return MINE
    return price_bin(scaled(state.principal, price))


def choice_price(state: NegotiationState, choice: int) -> float:
    """The dollar price of a price choice (a choice that names no price there falls back to a bin)."""
    if choice == PARTNER and state.partner_price is not None:
        return state.partner_price
    if choice == MINE and state.my_price is not None:
        return state.my_price
    value = float(PRICE_BINS[choice - 2]) if choice >= 2 else 1.0
    return round_price(unscaled(state.principal, value))


def move_act(state: NegotiationState, move: int, choice: int) -> Act:
    """The act a (move, price choice) pair says in this state."""
    intent = MOVES[move]
    if intent in (Intent.PROPOSE, Intent.COUNTER):
        return price_act(state, choice_price(state, choice))
    if intent is Intent.OFFER:
        return Act(Intent.OFFER, choice_price(state, choice))
    if intent is Intent.INSIST:
        return price_act(state, state.my_price if state.my_price is not None else choice_price(state, choice))
    if intent is Intent.AGREE:
        return Act(Intent.AGREE, state.partner_price)
    return Act(intent)


def label(state: NegotiationState, act: Act) -> tuple[int, int] | None:
    """The (move, price choice) a recorded act was, or None where it is not a move here.

    The price choice is -1 where the move names no new price (nothing to learn there).
    """
    if act.intent not in MOVE_INDEX:
        return None
    intent = act.intent
    if intent in (Intent.PROPOSE, Intent.COUNTER):
        intent = Intent.COUNTER if state.any_price_named else Intent.PROPOSE
    move = MOVE_INDEX[intent]
    if not legal(state)[move]:
        return None
    if intent in NEW_PRICE and act.price is not None and math.isfinite(act.price):
        return move, price_choice(state, act.price)
    return move, -1
