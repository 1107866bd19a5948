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
