"""The intents of ACTS.md, in context."""
import pytest

from parser.acts import Act, Intent
from parser.rules import parse_dialogue

LISTING = 150


def acts_of(*turns: tuple[str, str | Act], listing: float = LISTING) -> list[Act]:
    return parse_dialogue(list(turns), listing)


@pytest.mark.parametrize("text, intent", [
    ("Hi, I'm interested in your bike", Intent.GREET),
    ("Hi, are you interested in my bike?", Intent.GREET),
    ("Can I help you?", Intent.GREET),
    ("Is it still available?", Intent.INQUIRE),
    ("Any scratches?", Intent.INQUIRE),
    ("It was serviced last month and the tires are new.", Intent.INFORM),
    ("", Intent.UNKNOWN),
    ("thanks", Intent.UNKNOWN),
])
def test_opening_intents(text, intent):
    assert acts_of(("buyer", text))[0].intent is intent


def test_first_price_is_propose_then_counter_then_insist():
    acts = acts_of(("buyer", "Hi! Would you take $80?"), ("seller", "No, but I could do 130"),
                   ("buyer", "How about 100?"), ("seller", "130 is my price"))
    assert acts == [Act(Intent.PROPOSE, 80), Act(Intent.COUNTER, 130), Act(Intent.COUNTER, 100), Act(Intent.INSIST, 130)]


def test_agree_refers_to_the_partners_latest_price():
    acts = acts_of(("seller", "I'd take 120"), ("buyer", "Sounds good, $120 it is"))
    assert acts[1] == Act(Intent.AGREE, 120)
    acts = acts_of(("seller", "I'd take 120"), ("buyer", "deal"))
    assert acts[1] == Act(Intent.AGREE)


def test_the_partners_price_as_a_question_is_disagree():
    acts = acts_of(("buyer", "I can pay 80"), ("seller", "$80? no way"))
    assert acts[1] == Act(Intent.DISAGREE)


@pytest.mark.parametrize("reply", ["I don't think I can do that.", "I do not think we could do that, sorry.",
                                   "I don't think I could do $120, are you willing to offer a bit more?",
                                   "No, we can't go that low. I'll let you know if that works for you."])
def test_doubting_one_can_do_it_is_no_agreement(reply):
    """Found in the generator's renderings: these were read as agree, with and without the price."""
    assert acts_of(("buyer", "Would you take 120?"), ("seller", reply))[1] == Act(Intent.DISAGREE)


@pytest.mark.parametrize("reply", ["I will not be able to go that low.", "not really. I can't meet the price."])
def test_refusing_a_proposal_in_other_words_is_disagreement(reply):
    """Found in the generator's renderings: these were read as inform."""
    assert acts_of(("buyer", "Would you take 60?"), ("seller", reply))[1] == Act(Intent.DISAGREE)
    assert acts_of(("buyer", "Would you take 60?"), ("seller", "I won't be able to pick it up until Friday."))[1] \
        == Act(Intent.INFORM)


@pytest.mark.parametrize("reply", ["No.", "no", "Nope", "No, sorry.", "Sorry, no.", "no thanks", "No deal."])
def test_a_bare_no_refuses_a_proposal_and_answers_a_question(reply):
    """The intent model read these as inform (an answer) after a proposal too, until gold-dev8.json taught it."""
    assert acts_of(("buyer", "Would you take $80?"), ("seller", reply))[1] == Act(Intent.DISAGREE)
    if reply in ("No.", "no", "Nope", "No, sorry."):
        assert acts_of(("buyer", "Is it still available?"), ("seller", reply))[1] == Act(Intent.INFORM)


def test_formal_offer_counts_as_a_proposal():
    acts = acts_of(("seller", Act(Intent.OFFER, 140)), ("seller", "140 is fair for it"))
    assert acts[1] == Act(Intent.INSIST, 140)


def test_pushes_without_a_price():
    assert acts_of(("seller", "I want 140"), ("buyer", "Can you go lower?"))[1].intent is Intent.COUNTER_NOPRICE
    assert acts_of(("seller", "I want 140"), ("buyer", "that's too high"))[1].intent is Intent.COUNTER_NOPRICE
    assert acts_of(("buyer", "I can pay 60"), ("seller", "That's too low"))[1].intent is Intent.COUNTER_NOPRICE
    assert acts_of(("buyer", "I can pay 60"), ("seller", "Sorry, I can't go that low"))[1].intent is Intent.DISAGREE


def test_final_offer_without_a_price_is_insist():
    acts = acts_of(("seller", "I can do 130"), ("buyer", "I'll pay 100"), ("seller", "That's my final offer"))
    assert acts[2] == Act(Intent.INSIST, 130)


def test_seller_restating_the_listing_price_is_a_proposal():
    acts = acts_of(("buyer", "Hello"), ("seller", "Hi, I'm asking $150 for it."))
    assert acts[1] == Act(Intent.PROPOSE, 150)


def test_side_terms_are_not_prices():
    acts = acts_of(("seller", "I want 140"), ("buyer", "I can pick it up today"))
    assert acts[1].intent is Intent.INFORM
    assert acts_of(("seller", "I want 140"), ("buyer", "Would you include the case?"))[1].intent is Intent.INQUIRE


def test_closing_words_after_a_deal_are_agree():
    acts = acts_of(("buyer", "Would you take 120?"), ("seller", "Deal"), ("buyer", "Great"))
    assert acts[1] == Act(Intent.AGREE) and acts[2] == Act(Intent.AGREE)


AFTER_A_COUNTER = [("seller", "I'm asking $400"), ("buyer", "would you take $300?"), ("seller", "I can do $370")]


@pytest.mark.parametrize("text", ["maybe, let me think", "maybe", "hmm maybe", "perhaps", "let me think about it",
                                  "give me a minute", "let me check with my wife", "I don't know, let me think",
                                  "I'll think it over", "I'm not sure", "hmm not sure about that", "not so sure"])
def test_a_hesitation_is_neither_agreement_nor_refusal(text):
    """ACTS.md: "maybe" is not agreement. After a counter the intent model alone reads most of these as agree()."""
    assert acts_of(*AFTER_A_COUNTER, ("buyer", text))[-1] == Act(Intent.INFORM)


@pytest.mark.parametrize("text", ["that's steep", "that's a lot", "come on", "getting closer", "we're close",
                                  "almost there", "you drive a hard bargain", "hmm that's a bit much", "way too high"])
def test_pushback_is_not_agreement(text):
    """After a proposal the intent model alone reads each of these as agree()."""
    assert acts_of(*AFTER_A_COUNTER, ("buyer", text))[-1].intent is not Intent.AGREE


@pytest.mark.parametrize("text", ["works", "nice", "fair", "let's do this", "count me in", "happy with that", "you win",
                                  "that'll do", "all set", "sure thing, not too expensive", "ok, that's steep but fine"])
def test_acceptance_without_the_rules_words_is_still_the_models_call(text):
    assert acts_of(*AFTER_A_COUNTER, ("buyer", text))[-1] == Act(Intent.AGREE)


@pytest.mark.parametrize("text, intent", [
    ("hmm maybe... ok, deal", Intent.AGREE), ("ok let me see... deal", Intent.AGREE),
    ("Yes, I'll see you tomorrow then", Intent.AGREE), ("ok I think about 2pm works", Intent.AGREE),
    ("yes! perhaps tomorrow afternoon", Intent.AGREE), ("alright, let me check with my wife but yes", Intent.AGREE),
    ("thats fine, i'll let you know when i'm there", Intent.AGREE), ("give me a second, ok yes", Intent.AGREE),
    ("I'm not sure I can go that low", Intent.DISAGREE), ("I don't know about that", Intent.DISAGREE),
])
def test_a_yes_or_a_doubtful_refusal_beside_hesitant_words_still_counts(text, intent):
    assert acts_of(*AFTER_A_COUNTER, ("buyer", text))[-1] == Act(intent)


@pytest.mark.parametrize("text, price", [
    ("1300, not 1100", 1300), ("I said 1300 not 1100", 1300), ("$1300, not $1100", 1300),
    ("1300 dollars, not 1100", 1300), ("not 1000, but 1150 works", 1150),
    ("why not 1000?", 1000), ("y not 1200?", 1200), ("Take it or not 1200 is my final price", 1200),
    ("like it or not 1200 is my price", 1200), ("hmm, not $1200?", 1200)])
def test_a_price_after_not_is_the_one_refused_only_after_another_price(text, price):
    """"X, not Y" refuses Y; "not" after anything else ("why not", "take it or not") leaves the price proposed."""
    assert acts_of(("buyer", "Would you take 1000?"), ("seller", text), listing=1400)[1].price == price


@pytest.mark.parametrize("junk", ["qwerty", "asdf jkl", "zzz zzz zzz", "-5 dollars"])
def test_words_the_intent_model_never_saw_are_not_agreement(junk):
    """With no word it knows, the intent model would guess from the dialogue alone (after a counter: agree)."""
    acts = acts_of(("seller", "I'm selling my bike for $380"), ("buyer", "Would you take 300?"),
                   ("seller", "I can do 350"), ("buyer", "how about 320"), ("seller", junk), listing=380)
    assert acts[-1] == Act(Intent.INFORM)
    assert acts_of(("buyer", "Would you take 300?"), ("seller", "sure"), listing=380)[1].intent is Intent.AGREE
