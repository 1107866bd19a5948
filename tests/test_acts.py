import pytest

from parser.acts import LUIS_TO_INTENT, Act, Intent


@pytest.mark.parametrize("text, act", [
    ("counter 120", Act(Intent.COUNTER, 120)),
    ("counter(price=120)", Act(Intent.COUNTER, 120)),
    ("propose $1,200", Act(Intent.PROPOSE, 1200)),
    ("agree", Act(Intent.AGREE)),
    ("counter-noprice", Act(Intent.COUNTER_NOPRICE)),
    ("quit()", Act(Intent.QUIT)),
])
def test_act_from_string(text, act):
    assert Act.from_string(text) == act


def test_act_string_round_trip():
    for act in (Act(Intent.COUNTER, 120), Act(Intent.AGREE, 99.5), Act(Intent.GREET)):
        assert Act.from_string(str(act)) == act
    assert str(Act(Intent.COUNTER, 120)) == "counter(price=120)"


def test_bad_acts_are_clear_errors():
    with pytest.raises(ValueError, match="unknown intent 'haggle'"):
        Act.from_string("haggle 10")
    with pytest.raises(ValueError, match="needs a price"):
        Act(Intent.COUNTER)
    with pytest.raises(ValueError, match="not an act"):
        Act.from_string("counter 12 13")
    with pytest.raises(ValueError, match="greet takes no price"):
        Act.from_string("greet 40")
    with pytest.raises(ValueError, match=r"at least \$0.01"):
        Act.from_string("counter 0")
    with pytest.raises(ValueError, match=r"at least \$0.01"):
        Act.from_string("counter 0.004")
    for negative in ("counter -5", "counter(price=-5)", "counter $-5", "counter(-5)"):
        with pytest.raises(ValueError, match=r"at least \$0.01"):
            Act.from_string(negative)
    with pytest.raises(ValueError, match="not a price"):
        Act.from_string("counter 1.2.3")


def test_an_act_price_is_in_dollars_and_cents():
    assert Act.from_string("counter 12.345") == Act(Intent.COUNTER, 12.35)
    assert Act.from_string("agree(price=99.5)") == Act(Intent.AGREE, 99.5)


def test_luis_labels_map_onto_acts():
    assert LUIS_TO_INTENT["agree-noprice"] is Intent.AGREE
    assert LUIS_TO_INTENT["affirm"] is Intent.INFORM
    assert LUIS_TO_INTENT["deny"] is Intent.INFORM


def test_transcripts_write_acts_in_lower_case_and_say_reads_any():
    from dialogue.corpus import stand_in_act
    from dialogue.generator import say_request

    assert stand_in_act("agree") == Act(Intent.AGREE) and stand_in_act("Agree") is None  # a person's word, parsed
    assert say_request("COUNTER 120", "seller", "builtin:0").act == Act(Intent.COUNTER, 120)
