"""The principal's utility, He et al.'s margin, and the authority guard on hand-made cases."""
import math

import pytest

from dialogue.scoring import seller_margin
from parser.acts import Act, Intent
from strategy.guard import Decision, guard
from strategy.principal import Principal
from strategy.state import NegotiationState

SELLER = Principal("seller", target=100, walk_away=70, listing_price=100)
BUYER = Principal("buyer", target=60, walk_away=100, listing_price=100)


def test_utility_is_one_at_target_zero_at_walk_away_linear_and_may_exceed_one():
    assert SELLER.utility(100) == 1 and SELLER.utility(70) == 0 and SELLER.utility(85) == pytest.approx(0.5)
    assert SELLER.utility(130) == pytest.approx(2)
    assert BUYER.utility(60) == 1 and BUYER.utility(100) == 0 and BUYER.utility(40) == pytest.approx(1.5)
    assert SELLER.utility(None) == 0 and BUYER.utility(None) == 0


def test_margin_uses_both_targets():
    assert seller_margin(80, seller_target=100, buyer_target=60) == 0
    assert seller_margin(100, 100, 60) == 1
    assert seller_margin(60, 100, 60) == -1


def state_for(principal: Principal, partner_acts=()) -> NegotiationState:
    state = NegotiationState(principal)
    for act in partner_acts:
        state.observe_partner(act)
    return state


@pytest.mark.parametrize("intent", [Intent.PROPOSE, Intent.COUNTER, Intent.INSIST, Intent.OFFER])
@pytest.mark.parametrize("price", [69.99, 0, -5, math.nan, -math.inf])
def test_seller_prices_below_walk_away_are_clamped(intent, price):
    out = guard(Decision(Act(intent, price), "x"), state_for(SELLER))
    assert out.act == Act(intent, 70) and out.guard


@pytest.mark.parametrize("price", [100.01, 1e12, math.inf, math.nan])
def test_buyer_prices_above_walk_away_are_clamped(price):
    out = guard(Decision(Act(Intent.OFFER, price), "x"), state_for(BUYER))
    assert out.act == Act(Intent.OFFER, 100)


def test_prices_within_authority_pass_untouched():
    d = Decision(Act(Intent.COUNTER, 70), "x")
    assert guard(d, state_for(SELLER)) is d


def test_agree_to_a_bad_price_or_to_nothing_becomes_disagree():
    assert guard(Decision(Act(Intent.AGREE, 50), "x"), state_for(SELLER)).act.intent is Intent.DISAGREE
    assert guard(Decision(Act(Intent.AGREE), "x"), state_for(SELLER)).act.intent is Intent.DISAGREE
    low = state_for(SELLER, [Act(Intent.PROPOSE, 40)])
    assert guard(Decision(Act(Intent.AGREE), "x"), low).act.intent is Intent.DISAGREE
    fine = state_for(SELLER, [Act(Intent.PROPOSE, 90)])
    assert guard(Decision(Act(Intent.AGREE), "x"), fine).act == Act(Intent.AGREE)


def test_accept_of_a_bad_offer_is_rejected_and_of_nothing_refused():
    bad = state_for(BUYER, [Act(Intent.OFFER, 120)])
    assert guard(Decision(Act(Intent.ACCEPT), "x"), bad).act.intent is Intent.REJECT
    nothing = state_for(BUYER, [Act(Intent.PROPOSE, 80)])
    assert guard(Decision(Act(Intent.ACCEPT), "x"), nothing).act.intent is Intent.DISAGREE
    good = state_for(BUYER, [Act(Intent.OFFER, 90)])
    assert guard(Decision(Act(Intent.ACCEPT), "x"), good).act.intent is Intent.ACCEPT


def test_non_numbers_from_the_partner_are_ignored_in_state():
    state = state_for(SELLER, [Act(Intent.PROPOSE, 80), Act(Intent.OFFER, math.nan)])
    assert state.partner_price == 80 and state.partner_offer is None
