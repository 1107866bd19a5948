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


@pytest.mark.parametrize("price", [0, -40, 0.004])
def test_a_buyer_price_below_a_cent_becomes_a_cent(price):
    out = guard(Decision(Act(Intent.COUNTER, price), "x"), state_for(BUYER))
    assert out.act == Act(Intent.COUNTER, 0.01) and "the least price" in out.guard


def test_a_walk_away_in_fractions_of_a_cent_is_said_in_cents_the_principals_way():
    """A price within the walk-away that its words round past (99.995 is said $100.00) is clamped too."""
    buyer, seller = (Principal(role, 50, walk, 100) for role, walk in (("buyer", 99.996), ("seller", 70.001)))
    assert (buyer.limit, seller.limit) == (99.99, 70.01)
    assert guard(Decision(Act(Intent.COUNTER, 99.9955), "x"), state_for(buyer)).act == Act(Intent.COUNTER, 99.99)
    assert guard(Decision(Act(Intent.COUNTER, 70.0005), "x"), state_for(seller)).act == Act(Intent.COUNTER, 70.01)
    assert not buyer.within_authority(100.0) and buyer.within_authority(99.99)


def test_no_price_at_all_under_a_walk_away_below_a_cent():
    nothing = Principal("buyer", target=0, walk_away=0, listing_price=10)
    assert guard(Decision(Act(Intent.OFFER, 5), "x"), state_for(nothing)).act == Act(Intent.DISAGREE)


def test_an_offer_of_nothing_or_less_is_never_accepted():
    for price in (0, -5):
        offered = state_for(BUYER, [Act(Intent.OFFER, price)])
        assert guard(Decision(Act(Intent.ACCEPT), "x"), offered).act.intent is Intent.REJECT


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


def test_utility_when_target_equals_walk_away_is_one_within_and_minus_one_beyond():
    seller, buyer = Principal("seller", 80, 80, 100), Principal("buyer", 80, 80, 100)
    assert seller.utility(80) == 1 and seller.utility(95) == 1 and seller.utility(79.99) == -1
    assert buyer.utility(80) == 1 and buyer.utility(50) == 1 and buyer.utility(80.01) == -1
    assert seller.utility(None) == 0


def test_a_bare_agree_from_the_partner_takes_my_last_price_as_theirs():
    state = NegotiationState(SELLER)
    state.observe_mine(Act(Intent.PROPOSE, 95))
    state.observe_partner(Act(Intent.AGREE))
    assert state.partner_price == 95
    assert state_for(SELLER, [Act(Intent.AGREE)]).partner_price is None  # nothing of mine to agree to
