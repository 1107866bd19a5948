"""The `haggler` command as a user runs it: outputs, and one clear line for bad input."""
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dialogue.cli import main
from tests.conftest import ROOT, TEST_DATA, haggler

SAMPLE = ROOT / "data" / "sample-dialogues.json"


def test_parse_writes_acts_on_every_message(tmp_path):
    out = tmp_path / "parsed.json"
    run = haggler("parse", SAMPLE, "--out", out)
    assert run.returncode == 0, run.stderr
    dialogues = json.loads(out.read_text())
    original = json.loads(SAMPLE.read_text())
    assert len(dialogues) == len(original)
    for d, o in zip(dialogues, original):
        assert [e["action"] for e in d["events"]] == [e["action"] for e in o["events"]]
        for e in d["events"]:
            if e["action"] == "message":
                assert set(e["metadata"]) >= {"intent", "price"}
            elif e["action"] == "offer":
                assert e["data"]["price"] > 0
    first = dialogues[0]["events"]
    assert first[2]["metadata"] == {"intent": "propose", "price": 250.0}
    messages = sum(e["action"] == "message" for d in dialogues for e in d["events"])
    assert run.stderr.strip() == f"parsed {messages} messages in {len(dialogues)} dialogues -> {out}"
    one = tmp_path / "one.json"
    one.write_text(json.dumps([{**original[0], "events": original[0]["events"][:1]}]))
    run = haggler("parse", one, "--out", tmp_path / "one-parsed.json")
    assert run.stderr.strip() == f"parsed 1 message in 1 dialogue -> {tmp_path / 'one-parsed.json'}"


def test_parse_writes_over_no_file_and_writes_json_lines_to_a_jsonl_file(tmp_path):
    """A gold file of hand labels was written over without a word; a .jsonl output held a JSON list, which haggler's
    own commands then could not read."""
    mine = tmp_path / "gold.json"
    mine.write_text("[]")
    run = haggler("parse", SAMPLE, "--out", mine)
    assert run.returncode != 0 and "the file exists; parse writes over no file" in run.stderr
    assert mine.read_text() == "[]"
    lines = tmp_path / "parsed.jsonl"
    assert haggler("parse", SAMPLE, "--out", lines).returncode == 0
    assert len(lines.read_text().splitlines()) == len(json.loads(SAMPLE.read_text()))
    again = haggler("parse", lines)
    assert again.returncode == 0 and json.loads(again.stdout)[0]["events"][2]["metadata"]["price"] == 250.0


def test_parse_to_stdout():
    run = haggler("parse", SAMPLE)
    assert run.returncode == 0
    assert json.loads(run.stdout)[1]["events"][2]["metadata"]["price"] == 6800.0


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_text("{oops"), "not valid JSON"),
    (lambda p: p.write_text('[{"uuid": 1}]'), "not a CraigslistBargain dialogue"),
])
def test_bad_input_is_one_clear_line(tmp_path, setup, message):
    path = tmp_path / "in.json"
    setup(path)
    run = haggler("parse", path)
    assert run.returncode != 0
    assert message in run.stderr and str(path) in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_eval_parser_json():
    run = haggler("eval-parser", TEST_DATA / "gold-dev.json", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert set(report) >= {"intent_accuracy", "price_exact_match", "per_intent"}
    assert report["per_intent"]["counter"]["recall"] > 0.8


def test_eval_parser_table_and_luis_map(craigslist):
    run = haggler("eval-parser", TEST_DATA / "gold-dev.json")
    assert "intent accuracy" in run.stdout and "precision" in run.stdout
    run = haggler("eval-parser", craigslist / "silver-acts" / "luis-acts.json", "--map", "luis", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["messages"] > 3000


def test_eval_parser_against_another_file_says_whose_labels_it_scores():
    run = haggler("eval-parser", TEST_DATA / "gold-test.json", "--against", TEST_DATA / "gold-test-a.json",
                  "--against-map", "acts")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == (f"the labels of {TEST_DATA / 'gold-test-a.json'}, scored against those of "
                                          f"{TEST_DATA / 'gold-test.json'} (not the parser)")


def test_eval_parser_unlabelled_file_is_an_error():
    run = haggler("eval-parser", SAMPLE)
    assert run.returncode != 0 and "no message carries a label" in run.stderr


def test_eval_parser_luis_names_without_map_is_an_error(craigslist):
    run = haggler("eval-parser", craigslist / "silver-acts" / "luis-acts.json")
    assert run.returncode != 0 and "--map luis" in run.stderr


@pytest.mark.parametrize("command", ["parse", "eval-parser"])
def test_help(command):
    run = haggler(command, "--help")
    assert run.returncode == 0 and "usage" in run.stdout


def test_bench_parser_figure(craigslist):
    run = subprocess.run([sys.executable, "scripts/bench.py", "parser", "--json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["parser_msgs_per_s"] > 1000


def test_bench_counts_a_models_passes_until_its_hooks_are_removed():
    import importlib.util

    import torch

    from tests.generation_helpers import tiny_model

    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    model = tiny_model(50)
    passes = bench.ModelPasses(model)
    with torch.inference_mode():
        for _ in range(3):
            model(input_ids=torch.tensor([[1, 2, 3]]))
        count, seconds = passes.take()
        assert count == 3 and seconds > 0 and passes.take() == (0, 0.0)
        passes.remove()
        model(input_ids=torch.tensor([[1, 2, 3]]))
    assert passes.take() == (0, 0.0)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_output_that_cannot_be_written_is_one_line():
    with open("/dev/full", "w") as full:
        run = subprocess.run([sys.executable, "-m", "dialogue.cli", "parse", str(SAMPLE)], cwd=ROOT, stdout=full,
                             stderr=subprocess.PIPE, text=True)
    assert (run.returncode, run.stderr) == (1, "haggler: cannot write its output: No space left on device\n")


def test_version(capsys):
    """The installed package's version; from a checkout put on PYTHONPATH, never installed, it says so (the test
    once failed there, on a GPU machine, rather than checking what the command prints)."""
    try:
        version = importlib.metadata.version("haggler")
    except importlib.metadata.PackageNotFoundError:
        version = "(not installed)"
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"haggler {version}"
