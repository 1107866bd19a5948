"""The hand-written policies: registry, the rule agent's moves, and all pairs staying within authority."""
import random

import pytest

from dialogue.scenarios import load_scenarios
from dialogue.scoring import score_dialogue
from dialogue.session import principal_of, run_session
from parser.acts import Act, Intent
from strategy.negotiator import Negotiator
from strategy.policies import LEARNED, POLICIES, UnknownPolicy, make_policy
from strategy.policies.rule import RulePolicy
from strategy.principal import Principal
from strategy.state import NegotiationState
from tests.arena_helpers import negotiator, scenario

NAMES = [n for n in POLICIES if n not in LEARNED]  # the hand-written ones; learned: tests/test_learned_*.py


def test_registry_has_every_hand_written_policy():
    assert set(NAMES) == {"rule", "boulware", "conceder", "linear", "tft", "hardliner", "random"}
    with pytest.raises(UnknownPolicy, match="valid: rule"):
        make_policy("nope", Principal("buyer", 1, 2, 2), random.Random(0))


def rule_state(role: str, partner_acts=(), turn: int = 0) -> tuple[RulePolicy, NegotiationState]:
    p = Principal(role, 60, 100, 100) if role == "buyer" else Principal(role, 100, 70, 100)  # type: ignore[arg-type]
    state = NegotiationState(p, turn=turn)
    for act in partner_acts:
        state.observe_partner(act)
    return RulePolicy(p, random.Random(0)), state


def test_rule_opens_at_target_and_buyer_overshoots():
    policy, state = rule_state("seller", [Act(Intent.GREET)])
    assert policy.decide(state).act == Act(Intent.PROPOSE, 100)
    policy, state = rule_state("buyer", [Act(Intent.GREET)])
    assert policy.decide(state).act == Act(Intent.PROPOSE, 48)  # 0.8 × 60


def test_rule_concedes_halfway_and_makes_a_final_call_at_the_bottomline():
    policy, state = rule_state("seller")
    state.observe_partner(Act(Intent.GREET))
    state.observe_mine(policy.decide(state).act)          # propose 100
    state.observe_partner(Act(Intent.COUNTER, 60))
    move = policy.decide(state).act
    assert move == Act(Intent.COUNTER, 80)                # halfway from 100 to 60
    state.observe_mine(move)
    state.observe_partner(Act(Intent.INSIST, 60))
    move = policy.decide(state).act                       # halfway is 70: final call
    assert move == Act(Intent.COUNTER, 70)
    state.observe_mine(move)
    state.observe_partner(Act(Intent.INSIST, 60))
    assert policy.decide(state).act.intent is Intent.QUIT  # final call refused


def test_rule_final_call_stands_while_the_partner_talks_and_takes_a_price_within_authority():
    policy, state = rule_state("seller")
    for partner, mine in ((Act(Intent.GREET), Act(Intent.PROPOSE, 100)), (Act(Intent.COUNTER, 60), Act(Intent.COUNTER, 80)),
                          (Act(Intent.INSIST, 60), Act(Intent.COUNTER, 70))):  # the last: the final call
        state.observe_partner(partner)
        assert policy.decide(state).act == mine
        state.observe_mine(mine)
    state.observe_partner(Act(Intent.INQUIRE))  # no refusal: the call stands, however often asked
    decision = policy.decide(state)
    assert (decision.act.price, decision.reason) == (70, "final call stands")
    state.observe_mine(decision.act)
    state.observe_partner(Act(Intent.COUNTER, 75))  # above the bottomline, below the good-deal price (91)
    assert policy.decide(state).act == Act(Intent.AGREE, 75)


def test_rule_accepts_within_the_good_deal_threshold():
    # seller: bottomline 70 + 0.7 × (100 − 70) = 91
    policy, state = rule_state("seller", [Act(Intent.PROPOSE, 91)], turn=1)
    assert policy.decide(state).act == Act(Intent.AGREE, 91)
    policy, state = rule_state("seller", [Act(Intent.OFFER, 92)], turn=1)
    assert policy.decide(state).act.intent is Intent.ACCEPT
    policy, state = rule_state("seller", [Act(Intent.OFFER, 89)], turn=1)
    assert policy.decide(state).act.intent is Intent.REJECT


def test_partner_agreement_leads_to_a_formal_offer():
    for name in ["rule", "boulware", "conceder", "linear", "tft", "hardliner"]:
        p = Principal("seller", 100, 70, 100)
        state = NegotiationState(p)
        policy = make_policy(name, p, random.Random(0))
        state.observe_mine(Act(Intent.PROPOSE, 95))
        state.observe_partner(Act(Intent.AGREE))
        assert policy.decide(state).act == Act(Intent.OFFER, 95), name


def test_time_based_policies_concede_in_their_order():
    p = Principal("seller", 100, 70, 100)
    at_half = {}
    for name in ["boulware", "linear", "conceder"]:
        state = NegotiationState(p, turn=10, my_price=100)
        at_half[name] = make_policy(name, p, random.Random(0)).decide(state).act.price
    assert at_half["boulware"] > at_half["linear"] > at_half["conceder"]
    assert at_half["linear"] == 85


def test_hardliner_never_moves_and_tft_mirrors_concessions():
    p = Principal("buyer", 60, 100, 100)
    hard = make_policy("hardliner", p, random.Random(0))
    tft = make_policy("tft", p, random.Random(0))
    state = NegotiationState(p)
    prices = []
    for partner in [100, 100, 90, 90]:
        state.observe_partner(Act(Intent.COUNTER, partner))
        assert hard.decide(state).act.price == 60
        move = tft.decide(state).act
        prices.append(move.price)
        state.observe_mine(move)
    assert prices == [64, 64, 74, 74]  # opening step 4, then the partner's 10


@pytest.mark.parametrize("buyer", NAMES)
def test_every_pair_on_builtin_scenarios_stays_within_authority(buyer):
    scenarios = load_scenarios("builtin")[:15]
    for i, sc in enumerate(scenarios):
        for seller in NAMES:
            parties = {"buyer": negotiator(buyer, sc, "buyer", seed=i), "seller": negotiator(seller, sc, "seller", seed=i)}
            d = run_session(sc, parties, "buyer" if i % 2 else "seller")  # type: ignore[arg-type]
            assert [s.violations for s in score_dialogue(d)] == [0, 0], (buyer, seller, i)
            assert len(d.events) <= 21


def test_sensible_policies_reach_deals_with_each_other():
    sc = scenario(listing=100, buyer_target=70)
    agreed = 0
    for a in ["rule", "linear", "conceder", "tft"]:
        for b in ["rule", "linear", "conceder", "tft"]:
            d = run_session(sc, {"buyer": negotiator(a, sc, "buyer"), "seller": negotiator(b, sc, "seller")})
            agreed += d.outcome.reward
    assert agreed >= 12


def test_negotiator_records_the_guard_in_the_audit():
    class Greedy:
        def decide(self, state):
            from strategy.guard import Decision
            return Decision(Act(Intent.OFFER, 1.0), "lowball")
    p = principal_of(scenario().kb("seller"))
    act, audit = Negotiator("greedy", p, Greedy()).send()
    assert act == Act(Intent.OFFER, 70) and "clamped" in audit["guard"] and audit["reason"] == "lowball"


def test_tft_never_concedes_more_than_the_partner_and_holds_when_the_partner_retreats():
    for p, partner_prices, expected in [
        (Principal("buyer", 60, 100, 100), [100, 90, 95], [64, 74, 74]),    # opening step 4, then 10, then hold
        (Principal("seller", 100, 70, 100), [60, 70, 65], [97, 87, 87]),    # opening step 3, then 10, then hold
    ]:
        tft = make_policy("tft", p, random.Random(0))
        state = NegotiationState(p)
        prices = []
        for partner in partner_prices:
            state.observe_partner(Act(Intent.COUNTER, partner))
            move = tft.decide(state).act
            prices.append(move.price)
            state.observe_mine(move)
        assert prices == expected, p.role
        assert abs(prices[1] - prices[0]) <= abs(partner_prices[1] - partner_prices[0])


def test_rule_after_its_final_call_takes_an_offer_at_the_bottomline_and_no_lower():
    for offer, answer in [(70, Intent.ACCEPT), (69, Intent.REJECT)]:
        policy, state = rule_state("seller")
        state.observe_partner(Act(Intent.GREET))
        state.observe_mine(policy.decide(state).act)          # propose 100
        state.observe_partner(Act(Intent.COUNTER, 40))
        move = policy.decide(state).act                       # halfway is 70: final call
        assert move == Act(Intent.COUNTER, 70) and policy.final_call
        state.observe_mine(move)
        state.observe_partner(Act(Intent.OFFER, offer))
        assert policy.decide(state).act.intent is answer, offer


def test_rule_answers_an_inquiry_with_inform_once_it_has_named_a_price():
    policy, state = rule_state("seller")
    state.observe_partner(Act(Intent.GREET))
    state.observe_mine(policy.decide(state).act)              # propose 100
    state.observe_partner(Act(Intent.INQUIRE))
    assert policy.decide(state).act == Act(Intent.INFORM)


def test_no_agreement_right_after_the_partners_reject():
    from strategy.policies.base import answer_partner

    p = Principal("seller", 100, 70, 100)
    history = [(True, Act(Intent.PROPOSE, 100)), (False, Act(Intent.COUNTER, 95)), (True, Act(Intent.OFFER, 100))]
    countered = NegotiationState.after(p, history[:2])
    assert answer_partner(countered, lambda price: True, "ok").act == Act(Intent.AGREE, 95)
    rejected = NegotiationState.after(p, [*history, (False, Act(Intent.REJECT))])
    assert rejected.partner_price == 95
    assert answer_partner(rejected, lambda price: True, "ok") is None
    assert make_policy("rule", p, random.Random(0)).decide(rejected).act.intent is not Intent.AGREE


def random_moves(seed: int, n: int = 40) -> list[Act]:
    p = Principal("seller", 100, 70, 100)
    policy, state, moves = make_policy("random", p, random.Random(seed)), NegotiationState(p), []
    for _ in range(n):
        move = policy.decide(state).act
        moves.append(move)
        state.observe_mine(move)
        state.observe_partner(Act(Intent.COUNTER, 80))
    return moves


def test_random_policy_answers_offers_by_coin_flip_and_names_prices_within_its_range():
    p = Principal("buyer", 60, 100, 100)
    answers = {make_policy("random", p, random.Random(seed)).decide(NegotiationState.after(
        p, [(False, Act(Intent.OFFER, 90))])).act for seed in range(50)}
    assert answers == {Act(Intent.ACCEPT), Act(Intent.REJECT)}
    prices = [m.price for seed in range(50) for m in random_moves(seed)
              if m.intent in (Intent.PROPOSE, Intent.COUNTER, Intent.INSIST, Intent.OFFER)]
    assert len(prices) > 300 and all(30 <= price <= 150 for price in prices)  # 0.3 to 1.5 × the listing of 100
    assert min(prices) < 35 and max(prices) > 145
    assert random_moves(7) == random_moves(7) and random_moves(7) != random_moves(8)
