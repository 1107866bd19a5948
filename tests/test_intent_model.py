"""The parser's learned intent model: trained from hand labels, shipped, used for unpriced messages."""
import json
import subprocess
import sys

from dialogue.train_parser import (ParserTrainConfig, cross_validate, fit, labelled_views, parser_report,
                                   read_labelled)
from parser.acts import Act, Intent
from parser.intent_model import CLASSES, IntentModel, shipped_model
from parser.rules import ActReader
from tests.conftest import ROOT, TEST_DATA


def test_the_shipped_model_is_used_by_default():
    model = shipped_model()
    assert model is not None and set(model.classes) == set(CLASSES)
    assert ActReader(100).model is model
    assert ActReader(100, learned=False).model is None


def test_prices_stay_with_the_rules():
    for learned in (True, False):
        reader = ActReader(150, learned=learned)
        assert reader.read("buyer", "Would you take $80?") == Act(Intent.PROPOSE, 80)
        assert reader.read("seller", "I could do 130") == Act(Intent.COUNTER, 130)


def test_a_message_without_a_word_is_the_rules_call():
    """The model would guess from the dialogue's state alone: "-5" was a greeting at the start and "0" an answer."""
    reader = ActReader(380)
    assert [reader.fork().read("buyer", t).intent for t in ("-5", "0", "12:30", "?", "...", ":)")] == [
        Intent.INFORM, Intent.INFORM, Intent.INFORM, Intent.INQUIRE, Intent.UNKNOWN, Intent.UNKNOWN]


def test_training_fits_its_examples_and_round_trips(tmp_path):
    examples = labelled_views(TEST_DATA / "gold-dev.json")
    assert len(examples) > 100
    model = fit(examples, ParserTrainConfig(steps=200))
    fitted = sum(model.predict(view) is label for view, label in examples) / len(examples)
    assert fitted > 0.9
    path = tmp_path / "m.json"
    path.write_text(model.to_json({"data": ["gold-dev.json"]}))
    again = IntentModel.load(path)
    assert all(again.predict(v) is model.predict(v) for v, _ in examples[:50])


def test_the_model_improves_on_held_out_files():
    rows = cross_validate([TEST_DATA / "gold-dev6.json", TEST_DATA / "gold-dev7.json", TEST_DATA / "gold-dev5.json"],
                          ParserTrainConfig(steps=200))
    assert len(rows) == 3 and all(0.8 < r["rules+model"] <= 1 for r in rows)
    right = {column: sum(r[column] * r["messages"] for r in rows) for column in ("rules", "rules+model")}
    assert right["rules+model"] > right["rules"]  # over all three files' messages, not on each file
    assert any(r["rules+model"] > r["rules"] for r in rows)


def test_parser_report_without_a_model_is_the_rules():
    report = parser_report(TEST_DATA / "gold-dev.json", None)
    assert report["messages"] == 232 and report["intent_accuracy"] > 0.9


def test_train_parser_command(tmp_path):
    out = tmp_path / "model.json"
    run = subprocess.run([sys.executable, "-m", "dialogue.cli", "train", "parser", "--data",
                          str(TEST_DATA / "gold-dev.json"), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    saved = json.loads(out.read_text())
    assert saved["card"]["data"] == ["gold-dev.json"] and saved["weights"]
    assert 0.5 < saved["card"]["train_accuracy"] <= 1 and f"training accuracy {saved['card']['train_accuracy']:.3f}" \
        in run.stderr and "cv" not in saved["card"]  # a card says how well it fits; --cv's rows where it ran
    # The model it wrote is the one eval-parser and parse read with, where --model names it.
    held_out = TEST_DATA / "gold-dev2.json"
    expected = parser_report(held_out, IntentModel.load(out))["intent_accuracy"]
    assert expected != parser_report(held_out, shipped_model())["intent_accuracy"]
    for model in ([], ["--model", str(out)]):
        run = subprocess.run([sys.executable, "-m", "dialogue.cli", "eval-parser", str(held_out), "--json", *model],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert (json.loads(run.stdout)["intent_accuracy"] == expected) == bool(model), run.stderr
    parsed = tmp_path / "parsed.json"
    subprocess.run([sys.executable, "-m", "dialogue.cli", "parse", str(held_out), "--model", str(out), "--out",
                    str(parsed)], cwd=ROOT, check=True, capture_output=True, timeout=300)
    labelled = [(e.get("metadata") or {}).get("intent") is not None for d in json.loads(held_out.read_text())
                for e in d["events"] if e["action"] == "message"]
    acts = [e["metadata"]["intent"] for d in json.loads(parsed.read_text()) for e in d["events"]
            if e["action"] == "message"]
    assert [a for a, gold in zip(acts, labelled) if gold] == \
        [act.intent.value for act, _, _ in read_labelled(held_out, IntentModel.load(out))]
