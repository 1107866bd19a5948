"""The parser against hand labels: a regression guard on the dev gold sets, and the held-out figures."""
import pytest

from dialogue.parser_eval import evaluate_parser
from tests.conftest import TEST_DATA

DEV_GOLD = ["gold-dev.json", "gold-dev2.json", "gold-dev3.json", "gold-dev4.json", "gold-dev5.json",
            "gold-dev6.json", "gold-dev7.json", "gold-dev-openings.json", "gold-dev-openings2.json"]


@pytest.mark.parametrize("name", DEV_GOLD)
def test_dev_gold_sets(name):
    report = evaluate_parser(TEST_DATA / name)
    assert report["messages"] >= 200
    assert report["intent_accuracy"] >= 0.95
    assert report["price_exact_match"] >= 0.94


def test_held_out_test_gold():
    """Hand labels of test.json messages, never used to tune the parser."""
    report = evaluate_parser(TEST_DATA / "gold-test.json")
    assert report["messages"] >= 200
    assert report["intent_accuracy"] >= 0.88
    assert report["price_exact_match"] >= 0.96


def test_two_annotators_of_the_test_gold_agree():
    """The ceiling: how often two people labelling the same held-out messages agree."""
    report = evaluate_parser(TEST_DATA / "gold-test-a.json", against=TEST_DATA / "gold-test-b.json", against_map="acts")
    assert report["messages"] == 221
    assert report["intent_accuracy"] >= 0.95


def test_labels_against_a_file_with_a_uuid_twice_are_refused(tmp_path):
    import json

    from dialogue.corpus import CorpusError

    dialogues = json.loads((TEST_DATA / "gold-test-b.json").read_text())
    (tmp_path / "twice.json").write_text(json.dumps(dialogues + dialogues[:1]))
    with pytest.raises(CorpusError, match=f"twice.json: dialogues 0 and {len(dialogues)} have one uuid"):
        evaluate_parser(TEST_DATA / "gold-test-a.json", against=tmp_path / "twice.json", against_map="acts")
    with pytest.raises(CorpusError, match=f"twice.json: dialogues 0 and {len(dialogues)} have one uuid"):
        evaluate_parser(tmp_path / "twice.json", against=TEST_DATA / "gold-test-a.json", against_map="acts")
    (tmp_path / "unnamed.json").write_text(json.dumps([{**d, "uuid": None} for d in dialogues]))
    with pytest.raises(CorpusError, match="unnamed.json: dialogue 0 has no uuid: labels are matched by uuid"):
        evaluate_parser(TEST_DATA / "gold-test-a.json", against=tmp_path / "unnamed.json", against_map="acts")
    for d in dialogues:  # no labels in the file scored: it is the one named
        for e in d["events"]:
            e.pop("metadata", None)
    (tmp_path / "bare.json").write_text(json.dumps(dialogues))
    with pytest.raises(CorpusError, match="bare.json: no message carries a label in metadata.intent"):
        evaluate_parser(tmp_path / "bare.json", against=TEST_DATA / "gold-test-b.json", against_map="acts")


def test_parser_agrees_with_people_more_than_the_luis_labels(craigslist):
    ours = evaluate_parser(TEST_DATA / "gold-dev.json")
    luis = evaluate_parser(TEST_DATA / "gold-dev.json", against=craigslist / "silver-acts" / "luis-acts.json")
    assert luis["messages"] >= 200
    assert ours["intent_accuracy"] > luis["intent_accuracy"] + 0.2
    assert ours["price_exact_match"] > luis["price_exact_match"]


def test_a_figure_with_nothing_to_score_is_none_not_zero():
    """No gold price, or an intent never predicted: no figure ('-' in the table), where 0.0 read as all wrong."""
    from dialogue.parser_eval import format_report, score

    report = score([(("greet", None), ("greet", None)), (("insist", None), ("counter", None))])
    assert report["price_exact_match"] is None and report["intent_accuracy"] == 0.5
    assert report["per_intent"]["insist"] == {"precision": None, "recall": 0.0, "support": 1}
    assert report["per_intent"]["counter"] == {"precision": 0.0, "recall": None, "support": 0}
    assert "price exact-match       -  (on 0 messages" in format_report(report)


def test_a_formal_event_is_no_messages_label_and_a_price_goes_with_priced_intents_only():
    from dialogue.corpus import CorpusError
    from dialogue.parser_eval import gold_label

    with pytest.raises(CorpusError, match="'offer' labels a message, but it is a formal event"):
        gold_label({"intent": "offer", "price": 120})
    assert gold_label({"intent": "greet", "price": 120}) == ("greet", None)
    assert gold_label({"intent": "agree", "price": 120}) == ("agree", 120.0)
