"""The session protocol: deals, rejects, quits, the turn limit, and the transcript it records."""
import json

from dialogue.corpus import Dialogue
from dialogue.scoring import count_violations, score_dialogue
from dialogue.session import run_session
from parser.acts import Act, Intent
from tests.arena_helpers import Scripted, negotiator, scenario

SC = scenario(listing=100, buyer_target=60)  # seller walks away below 70, buyer above 100


def play(buyer_acts, seller_acts, first="buyer", turn_limit=20) -> Dialogue:
    return run_session(SC, {"buyer": Scripted(buyer_acts, "b"), "seller": Scripted(seller_acts, "s")},
                       first, turn_limit, "u1")  # type: ignore[arg-type]


def test_offer_then_accept_is_a_deal():
    d = play([Act(Intent.PROPOSE, 80), Act(Intent.OFFER, 85)], [Act(Intent.COUNTER, 90), Act(Intent.ACCEPT)])
    assert [e.action for e in d.events] == ["message", "message", "offer", "accept"]
    assert d.outcome.reward == 1 and d.outcome.price == 85
    assert d.outcome.to_dict()["offer"] == {"price": 85, "sides": ""}


def test_reject_lets_the_talk_go_on_and_quit_ends_it():
    d = play([Act(Intent.OFFER, 75), Act(Intent.COUNTER, 85), Act(Intent.QUIT)],
             [Act(Intent.REJECT), Act(Intent.DISAGREE)])
    assert [e.action for e in d.events] == ["offer", "reject", "message", "message", "quit"]
    assert d.outcome.reward == 0 and d.outcome.price is None


def test_accept_not_right_after_an_offer_is_no_deal():
    d = play([Act(Intent.OFFER, 85), Act(Intent.INFORM), Act(Intent.QUIT)], [Act(Intent.INQUIRE), Act(Intent.ACCEPT)])
    assert d.outcome.reward == 0


def test_turn_limit_ends_with_no_deal_but_a_last_offer_may_be_answered():
    talk = [Act(Intent.INFORM)] * 30
    d = play(talk, talk, turn_limit=20)
    assert len(d.events) == 20 and d.outcome.reward == 0
    d = play([Act(Intent.INFORM)] * 9 + [Act(Intent.OFFER, 90)], [Act(Intent.INFORM)] * 9 + [Act(Intent.ACCEPT)],
             turn_limit=19)
    assert len(d.events) == 20 and d.outcome.reward == 1 and d.outcome.price == 90


def test_seller_may_speak_first_and_agents_are_scenario_indices():
    d = play([Act(Intent.ACCEPT)], [Act(Intent.OFFER, 95)], first="seller")
    assert [(e.agent, e.action) for e in d.events] == [(1, "offer"), (0, "accept")]
    assert d.agents == {"0": "b", "1": "s"}


def test_transcript_is_craigslistbargain_json_with_acts_and_audit():
    sc = scenario(listing=200, buyer_target=120)
    d = run_session(sc, {"buyer": negotiator("rule", sc, "buyer"), "seller": negotiator("rule", sc, "seller")},
                    "buyer", uuid="x")  # type: ignore[arg-type]
    raw = json.loads(json.dumps(d.to_dict()))
    assert set(raw) >= {"uuid", "scenario", "agents", "events", "outcome"}
    for e in raw["events"]:
        assert set(e) >= {"action", "agent", "data", "time", "metadata"}
        audit = e["metadata"]["audit"]
        assert audit["policy"] == "rule" and audit["reason"]
        if e["action"] == "message":
            act = Act.from_string(e["data"])
            assert e["metadata"]["intent"] == act.intent.value and e["metadata"]["price"] == act.price
        if e["action"] == "offer":
            assert set(e["data"]) == {"price", "sides"} and e["data"]["sides"] == ""
    again = Dialogue.from_dict(raw)
    assert [e.act for e in again.events] == [e.act for e in d.events]
    assert raw["outcome"]["reward"] == 1


def test_accepting_an_offer_beyond_the_walk_away_price_is_a_violation():
    assert count_violations(play([Act(Intent.OFFER, 65)], [Act(Intent.ACCEPT)])) == [0, 1]  # the seller's is 70
    assert count_violations(play([Act(Intent.OFFER, 85)], [Act(Intent.ACCEPT)])) == [0, 0]


def test_scores_come_from_the_transcript():
    d = play([Act(Intent.PROPOSE, 50), Act(Intent.AGREE), Act(Intent.ACCEPT)],
             [Act(Intent.COUNTER, 60), Act(Intent.OFFER, 65)])
    # the buyer proposed within its authority; the seller countered and offered below its walk-away (70)
    assert count_violations(d) == [0, 2]
    buyer, seller = score_dialogue(d)
    assert buyer.agreed and buyer.utility == (100 - 65) / 40 and seller.utility == (65 - 70) / 30
    assert seller.margin == (65 - 80) / 20 and buyer.margin == -seller.margin and buyer.fairness == -0.75
    assert buyer.length == 3 and buyer.agent == "b" and buyer.opponent == "s"
