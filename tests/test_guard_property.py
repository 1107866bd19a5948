"""The authority guard as a property: over random scenarios, whatever the policy (random
included) and whatever an adversarial partner does, nothing worse than the walk-away price
leaves a haggler agent: no offer, proposal, agreement or acceptance."""
import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogue.corpus import KB, Item, Scenario
from dialogue.scoring import count_violations
from dialogue.session import principal_of, run_session
from parser.acts import PRICE_INTENTS, Intent
from strategy.negotiator import Negotiator
from strategy.policies import LEARNED, POLICIES, make_policy
from strategy.policies.adversarial import AdversarialPolicy
from tests.arena_helpers import Unguarded

prices = st.floats(min_value=0.5, max_value=50_000, allow_nan=False)


@st.composite
def scenarios(draw) -> Scenario:
    listing = draw(prices)
    item = Item("thing", "misc", listing)
    buyer_target = listing * draw(st.floats(0.05, 1.2))
    seller_target = listing * draw(st.floats(0.5, 2.0))
    # explicit bottomlines sometimes, on either side of the target (a principal may set them oddly)
    buyer_bottom = draw(st.none() | st.floats(0.0, 2.0).map(lambda f: listing * f))
    seller_bottom = draw(st.none() | st.floats(0.0, 2.0).map(lambda f: listing * f))
    kbs = [KB("buyer", buyer_target, item, buyer_bottom), KB("seller", seller_target, item, seller_bottom)]
    if draw(st.booleans()):
        kbs.reverse()
    return Scenario(kbs, "h")


class Watched(Negotiator):
    """A negotiator whose every outgoing act is checked against its principal as it leaves."""

    def send(self):
        offer, partner_price = self.state.partner_offer, self.state.partner_price
        act, audit = super().send()
        p = self.principal
        if act.intent in PRICE_INTENTS:
            assert p.within_authority(act.price), (act, p)
        if act.intent is Intent.AGREE:
            agreed = act.price if act.price is not None else partner_price
            assert agreed is not None and p.within_authority(agreed), (act, partner_price, p)
        if act.intent is Intent.ACCEPT:
            assert offer is not None and p.within_authority(offer), (act, offer, p)
        return act, audit


def check(sc: Scenario, name: str, role: str, seed: int, first: str, turn_limit: int) -> None:
    ours = principal_of(sc.kb(role), turn_limit)  # type: ignore[arg-type]
    other = "seller" if role == "buyer" else "buyer"
    theirs = principal_of(sc.kb(other), turn_limit)  # type: ignore[arg-type]
    parties = {role: Watched(name, ours, make_policy(name, ours, random.Random(seed))),
               other: Unguarded("adversary", theirs, AdversarialPolicy(theirs, random.Random(seed + 1)))}
    d = run_session(sc, parties, first, turn_limit)  # type: ignore[arg-type]
    assert count_violations(d)[sc.agent_of(role)] == 0  # type: ignore[arg-type]
    if d.outcome.reward:
        assert ours.within_authority(d.outcome.price)


@settings(max_examples=200, deadline=None)
@given(sc=scenarios(), seed=st.integers(0, 2**32), first=st.sampled_from(["buyer", "seller"]),
       turn_limit=st.integers(1, 30))
def test_no_policy_acts_beyond_its_walk_away_against_an_adversary(sc, seed, first, turn_limit):
    for name in (n for n in POLICIES if n not in LEARNED):  # learned ones: tests/test_learned_planner.py
        for role in ("buyer", "seller"):
            check(sc, name, role, seed, first, turn_limit)


@settings(max_examples=200, deadline=None)
@given(sc=scenarios(), seed=st.integers(0, 2**32), role=st.sampled_from(["buyer", "seller"]))
def test_the_guard_bounds_even_an_adversarial_policy(sc, seed, role):
    """The adversary's own acts, put through the guard, stay within authority too."""
    ours = principal_of(sc.kb(role))  # type: ignore[arg-type]
    other = "seller" if role == "buyer" else "buyer"
    theirs = principal_of(sc.kb(other))  # type: ignore[arg-type]
    parties = {role: Watched("guarded-adversary", ours, AdversarialPolicy(ours, random.Random(seed))),
               other: Unguarded("adversary", theirs, AdversarialPolicy(theirs, random.Random(seed + 1)))}
    d = run_session(sc, parties, role)  # type: ignore[arg-type]
    assert count_violations(d)[sc.agent_of(role)] == 0  # type: ignore[arg-type]


def test_the_adversary_really_is_adversarial():
    """Unguarded, the adversary does break its own authority, so the tests above test something."""
    sc = Scenario([KB("buyer", 60, Item("x", "y", 100)), KB("seller", 100, Item("x", "y", 100))], "a")
    b, s = principal_of(sc.kb("buyer")), principal_of(sc.kb("seller"))
    d = run_session(sc, {"buyer": Unguarded("a", b, AdversarialPolicy(b, random.Random(1))),
                         "seller": Unguarded("b", s, AdversarialPolicy(s, random.Random(2)))}, "buyer", 40)
    assert sum(count_violations(d)) > 0
    assert any(e.action == "accept" or (e.action == "offer" and not math.isfinite(e.offer_price)) for e in d.events)
