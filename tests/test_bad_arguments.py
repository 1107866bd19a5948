"""Bad arguments to `haggler`: one clear line, before any long work (run in-process through main(argv))."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dialogue.train_parser
from dialogue.cli import main
from dialogue.corpus import CorpusError
from dialogue.scenarios import load_scenarios, pick_scenario
from tests.conftest import ROOT, TEST_DATA

SAMPLE = ROOT / "data" / "sample-dialogues.json"
TEMPLATES = ["--generator", "template", "--agent", "rule+template", "--against", "rule+template"]
N_BUILTIN = len(load_scenarios("builtin"))


def haggler_error(*argv: object) -> str:
    """The one line `haggler` exits with (our own, not argparse's)."""
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    message = exit_.value.code
    assert isinstance(message, str) and message.startswith("haggler: ") and "\n" not in message, message
    return message


def usage_error(capsys: pytest.CaptureFixture, *argv: object) -> str:
    """argparse's error line for a bad option value."""
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    assert exit_.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "existing.txt"
    path.write_text("keep me\n")
    return path


def test_parse_out_is_checked_and_its_folder_made(tmp_path):
    assert "is a directory" in haggler_error("parse", SAMPLE, "--out", tmp_path)
    out = tmp_path / "new" / "parsed.json"
    main(["parse", str(SAMPLE), "--out", str(out)])
    assert len(json.loads(out.read_text())) == 3


@pytest.mark.parametrize("argv", [
    ["tournament", "--agents", "rule", "--n", "1", "--out"],
    ["train", "policy", "--data", SAMPLE, "--epochs", "1", "--out"],
    ["train", "rl", "--init", ROOT / "data" / "policies" / "sl", "--data", SAMPLE, "--episodes", "1", "--out"],
    ["train", "generator", "--data", SAMPLE, "--base-model", "/nonexistent", "--out"],
])
def test_an_output_directory_that_is_a_file(argv, a_file):
    assert "a file is there, not a directory" in haggler_error(*argv, a_file)
    assert a_file.read_text() == "keep me\n"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_outputs_where_nothing_can_be_written(tmp_path):
    assert "cannot write files in /proc" in haggler_error("tournament", "--agents", "rule", "--n", "1",
                                                          "--out", "/proc/haggler-run")
    assert "cannot write files in /proc" in haggler_error("chat", "--demo", *TEMPLATES,
                                                          "--transcript", "/proc/chat.json")


def test_chat_transcript_is_checked_before_the_agent_speaks(tmp_path, capsys):
    assert "is a directory" in haggler_error("chat", "--demo", *TEMPLATES, "--transcript", tmp_path)
    assert "transcript" not in capsys.readouterr().out


def test_train_parser_out_and_data(tmp_path):
    assert "is a directory" in haggler_error("train", "parser", "--data", TEST_DATA / "gold-dev.json",
                                             "--out", tmp_path)
    assert "no hand-labelled messages" in haggler_error("train", "parser", "--data", SAMPLE,
                                                        "--out", tmp_path / "m.json")
    message = haggler_error("train", "parser", "--data", TEST_DATA / "gold-dev.json", SAMPLE, "--cv",
                            "--out", tmp_path / "m.json")  # one file without labels among others: named
    assert message.startswith(f"haggler: {SAMPLE}: no hand-labelled messages")
    assert not (tmp_path / "m.json").exists()
    one = json.loads((TEST_DATA / "gold-dev8.json").read_text())[:1]
    for event in one[0]["events"][1:]:
        event.pop("metadata", None)  # one labelled message: no word seen twice, a model of no weights
    (tmp_path / "one.json").write_text(json.dumps(one))
    assert haggler_error("train", "parser", "--data", tmp_path / "one.json", "--out", tmp_path / "m.json") == \
        f"haggler: {tmp_path / 'one.json'}: too few hand-labelled messages to learn from (no word or context in 2 " \
        "of them)"
    assert not (tmp_path / "m.json").exists()
    acts = tmp_path / "acts.json"  # an act-level tournament's transcript: its labels are its agents' acts
    acts.write_text(json.dumps([{**one[0], "events": [{**e, "data": "counter(price=120)"} if e["action"] == "message"
                                                      else e for e in one[0]["events"]]}]))
    assert "acts.json: its messages are acts written out" in haggler_error("train", "parser", "--data", acts,
                                                                           "--out", tmp_path / "m.json")
    if Path("/dev/full").exists():  # a write that fails after the file opened (a full disk) names the file
        assert haggler_error("train", "parser", "--data", TEST_DATA / "gold-dev8.json", "--out", "/dev/full") == \
            "haggler: /dev/full: No space left on device"


def test_an_empty_agent_and_limits_far_from_the_listing_are_refused(tmp_path):
    message = haggler_error("chat", "--agent", "", "--transcript", tmp_path / "c.json")
    assert message.startswith("haggler: unknown agent ''; valid: rule, ")
    message = haggler_error("chat", "--delegate", "--agent", "rule+template", "--against", "rule+template",
                            "--target", "8000", "--walk-away", "9500", "--scenario", "builtin:0", "--auto-approve",
                            "--transcript", tmp_path / "d.json")
    assert "$9,500 is over 10 times the listing price of builtin:0 ($380)" in message
    assert not (tmp_path / "d.json").exists()

    dialogues = json.loads((TEST_DATA / "gold-dev.json").read_text())
    labelled = next(e for e in dialogues[0]["events"] if (e.get("metadata") or {}).get("intent"))
    labelled["metadata"]["intent"] = "zzz"
    bad = tmp_path / "bad-label.json"
    bad.write_text(json.dumps(dialogues))
    message = haggler_error("train", "parser", "--data", bad, "--out", tmp_path / "m.json")
    assert str(bad) in message and "'zzz'" in message and "valid: greet" in message


def test_train_parser_writes_the_parsers_own_model_by_default(tmp_path, monkeypatch):
    from parser.intent_model import MODEL_PATH

    written = []
    monkeypatch.setattr(dialogue.train_parser, "train_parser", lambda data, out, command="", cv=None:
                        written.append(out) or {"examples": 1, "features": 1, "train_accuracy": 1.0})
    monkeypatch.chdir(tmp_path)
    main(["train", "parser", "--data", str(TEST_DATA / "gold-dev.json")])
    assert written == [MODEL_PATH] and MODEL_PATH.is_absolute()


@pytest.mark.parametrize("flag, argv", [
    ("--epochs", ["train", "policy", "--out", "o", "--data", SAMPLE, "--epochs", "0"]),
    ("--epochs", ["train", "policy", "--out", "o", "--data", SAMPLE, "--epochs", "-3"]),
    ("--batch-size", ["train", "policy", "--out", "o", "--data", SAMPLE, "--batch-size", "0"]),
    ("--hidden", ["train", "policy", "--out", "o", "--data", SAMPLE, "--hidden", "0"]),
    ("--lr", ["train", "policy", "--out", "o", "--data", SAMPLE, "--lr", "nan"]),
    ("--threads", ["train", "policy", "--out", "o", "--data", SAMPLE, "--threads", "0"]),
    ("--lr", ["train", "rl", "--init", "i", "--out", "o", "--lr", "-1"]),
    ("--threads", ["train", "rl", "--init", "i", "--out", "o", "--threads", "0"]),
    ("--episodes", ["train", "rl", "--init", "i", "--out", "o", "--episodes", "0"]),
    ("--batch-size", ["train", "generator", "--out", "o", "--base-model", "/nonexistent", "--batch-size", "0"]),
    ("--lora-r", ["train", "generator", "--out", "o", "--base-model", "/nonexistent", "--lora-r", "0"]),
    ("--threads", ["train", "generator", "--out", "o", "--base-model", "/nonexistent", "--threads", "0"]),
    ("--epochs", ["train", "generator", "--out", "o", "--base-model", "/nonexistent", "--epochs", "inf"]),
    ("--limit", ["eval-generator", "--data", "missing.json", "--limit", "-5"]),
    ("--batch-size", ["eval-generator", "--data", "missing.json", "--batch-size", "0"]),
    ("--n", ["tournament", "--agents", "rule", "--out", "o", "--n", "0"]),
    ("--batch", ["tournament", "--agents", "rule", "--out", "o", "--batch", "-1"]),
    ("--turn-limit", ["chat", "--demo", *TEMPLATES, "--transcript", "t.json", "--turn-limit", "0"]),
    ("--turn-limit", ["tournament", "--agents", "rule", "boulware", "--out", "o", "--turn-limit", "100000000"]),
    ("--threads", ["train", "policy", "--out", "o", "--data", SAMPLE, "--threads", "9999"]),
    ("--workers", ["tournament", "--agents", "rule", "--out", "o", "--workers", "9999"]),
    ("--target", ["chat", "--demo", *TEMPLATES, "--transcript", "t.json", "--target", "nan", "--walk-away", "nan"]),
    ("--target", ["chat", "--demo", *TEMPLATES, "--transcript", "t.json", "--target", "inf", "--walk-away", "100"]),
    ("--target", ["chat", "--delegate", *TEMPLATES[:4], "--transcript", "t.json", "--target", "2e12",
                  "--walk-away", "3e12"]),
    ("--target", ["chat", "--delegate", *TEMPLATES[:4], "--transcript", "t.json", "--target", "0.001",
                  "--walk-away", "1"]),
])
def test_numbers_that_must_be_positive_finite_and_of_a_sane_size(flag, argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = usage_error(capsys, *argv)
    assert f"argument {flag}: must be " in line
    assert not (tmp_path / "o").exists()


def test_eval_generator_checks_the_adapter_before_any_model(tmp_path):
    message = haggler_error("eval-generator", "--data", TEST_DATA / "gold-dev.json", "--base-model", tmp_path / "none",
                            "--adapter", tmp_path / "adapter")
    assert message.startswith("haggler: --adapter")
    assert "adapter: no such directory (an adapter is a directory" in message
    (tmp_path / "adapter").mkdir()
    message = haggler_error("eval-generator", "--data", TEST_DATA / "gold-dev.json", "--base-model", tmp_path / "none",
                            "--adapter", tmp_path / "adapter")
    assert "not a LoRA adapter directory (no adapter_config.json)" in message


def test_a_corrupt_checkpoint_is_not_a_haggler_checkpoint(tmp_path):
    init = tmp_path / "ckpt"
    shutil.copytree(ROOT / "data" / "policies" / "sl", init)
    (init / "weights.pt").write_bytes(b"x\n")
    message = haggler_error("train", "rl", "--init", init, "--out", tmp_path / "o", "--data", SAMPLE)
    assert "not a haggler checkpoint" in message and "weights_only" not in message


def test_text_tournament_with_a_missing_adapter(tmp_path):
    message = haggler_error("tournament", "--mode", "text", "--generator", "template", "--n", "1",
                            "--agents", "rule", f"rule+lm:{tmp_path / 'nonexistent'}", "--out", tmp_path / "o")
    assert "nonexistent: no such directory" in message and not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", [["train", "parser", "--cv"], ["train", "generator", "--out", "o"],
                                     ["train", "policy", "--out", "o"]])
def test_a_data_file_given_twice_is_refused(command, capsys):
    assert usage_error(capsys, *command, "--data", SAMPLE, SAMPLE) == \
        f"haggler {' '.join(command[:2])}: error: argument --data: {SAMPLE} is given twice"


def test_a_model_for_the_templates_is_refused(tmp_path, capsys):
    message = haggler_error("say", "--act", "greet", "--role", "buyer", "--generator", "template",
                            "--adapter", tmp_path / "nonexistent")
    assert message == ("haggler: --adapter, --base-model, --guidance and --guidance-from go with --generator lm "
                       "(templates use no model)")
    assert haggler_error("say", "--act", "greet", "--role", "buyer", "--generator", "template", "--guidance-from",
                         "1") == message
    for typed in (["--guidance", "2.5"], ["--adapter", "default"]):  # the defaults, typed: still no model for templates
        assert haggler_error("say", "--act", "greet", "--role", "buyer", "--generator", "template", *typed) == message
    assert usage_error(capsys, "say", "--act", "greet", "--role", "buyer", "--guidance-from", "-1") == \
        "haggler say: error: argument --guidance-from: must be at least 0, not -1"


def test_one_agent_written_two_ways_is_listed_twice(tmp_path):
    message = haggler_error("tournament", "--mode", "text", "--generator", "template", "--n", "1",
                            "--agents", "rule", "rule+template", "--out", tmp_path / "o")
    assert message.startswith("haggler: rule and rule+template are one agent") and not (tmp_path / "o").exists()


def test_one_checkpoint_spelled_two_ways_is_listed_twice(tmp_path):
    sl = ROOT / "data" / "policies" / "sl"
    for mode in (["--mode", "acts"], ["--mode", "text", "--generator", "template"]):
        message = haggler_error("tournament", *mode, "--agents", f"policy:{sl}",
                                f"policy:{sl}/../sl/", "--out", tmp_path / "o")
        assert message == f"haggler: an agent is listed twice: 'policy:{sl}' and 'policy:{sl}/../sl/' name the same one"
        assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("spec", ["builtin:-1", "builtin:abc", f"builtin:{N_BUILTIN}", "builtin:" + "9" * 5000,
                                  "builtin:" + "0" * 5000 + str(N_BUILTIN)],
                         ids=["negative", "letters", "one past", "5,000 digits", "5,000 zeros before"])
def test_builtin_scenarios_say_their_range(spec):
    for argv in (["say", "--act", "greet", "--role", "buyer", "--generator", "template", "--scenario", spec],
                 ["chat", "--demo", *TEMPLATES, "--scenario", spec]):
        message = haggler_error(*argv)
        assert f"builtin:N takes N from 0 to {N_BUILTIN - 1}" in message and "no such file" not in message
        assert ("not a scenario's number" in message) == (spec == "builtin:abc") and len(message) < 200


def test_an_empty_scenario_spec(tmp_path):
    message = haggler_error("say", "--act", "greet", "--role", "buyer", "--generator", "template", "--scenario", "")
    assert "no scenario given" in message
    message = haggler_error("tournament", "--agents", "rule", "--scenarios", "", "--out", tmp_path / "o")
    assert message == "haggler: no scenarios given: use builtin, or a file of dialogues or listings"


def test_a_scenario_takes_one_number(tmp_path):
    message = haggler_error("say", "--act", "greet", "--role", "buyer", "--generator", "template",
                            "--scenario", "builtin:1:2")
    assert message == "haggler: builtin:1:2: one scenario's number at most (builtin:N)"


def test_a_formal_event_to_say_lists_the_acts_said_in_words():
    message = haggler_error("say", "--act", "accept", "--role", "buyer", "--generator", "template")
    assert message == ("haggler: accept() is a formal event, not something to say; the acts said in words: greet, "
                       "inquire, inform, propose, counter, counter-noprice, insist, agree, disagree, unknown")


def test_an_empty_message_to_answer():
    message = haggler_error("say", "--act", "greet", "--role", "buyer", "--generator", "template", "--after", " ")
    assert "a message to say the act after is empty" in message


def test_text_agents_in_an_acts_tournament_hint_at_text_mode(tmp_path):
    message = haggler_error("tournament", "--agents", "rule", "planner+template", "injector", "--out", tmp_path)
    assert message == ("haggler: planner+template, injector: agents that speak (adversaries, or an agent with a "
                       "generator); they play in text: add --mode text")
    assert "--mode text" not in haggler_error("tournament", "--agents", "rule", "nope", "--out", tmp_path)
    assert haggler_error("tournament", "--agents", "rule+foo", "--out", tmp_path) == (
        "haggler: unknown generator 'foo' in 'rule+foo'; valid: lm, lm:DIR, template")


def test_an_absurd_offer_is_refused():
    from dialogue.chat import PersonSide

    said: list[str] = []
    side = PersonSide("buyer", pick_scenario("builtin:0"), lambda prompt: "", said.append, lambda: "")
    for line in ("/offer 99999999999", f"/offer {side.listing_price * 11}"):
        assert side.command(line) is None
        assert "times the listing price" in said[-1] and len(said[-1]) < 100
    for line, reason in (("/offer 1e308", "('1e308': write the price in plain digits, such as 1,200 or 99.50)"),
                         ("/offer NaN", "('NaN' is not a price)"), ("/offer inf", "('inf' is not a price)"),
                         ("/offer abc", "('abc' is not a price)"), ("/offer -5", "(a price must be at least $0.01, not -5)"),
                         ("/offer 0.001", "(a price must be at least $0.01, not 0.001)"), ("/offer", "")):
        assert side.command(line) is None
        assert said[-1] == f"{reason} usage: /offer N, with N a price in dollars, e.g. /offer 120".lstrip()
    assert side.command("/offer " + "9" * 26) is None  # past what the parser reads: the same limit said
    assert said[-1] == "(no offer over 10 times the listing price: at most $3,800)"
    assert side.command("/offer 120").act.price == 120


def test_a_corrupt_run_file_and_a_lock_in_the_way_are_one_line_each(tmp_path):
    argv = ["tournament", "--agents", "rule", "--n", "1", "--out", tmp_path, "--resume"]
    for content, said in (('{"agents": ["ru', "cannot read the settings"), ("[1]", "not the settings of a run")):
        (tmp_path / "run.json").write_text(content)
        assert said in haggler_error(*argv)
    (tmp_path / "run.json").unlink()
    (tmp_path / "lock").unlink()
    (tmp_path / "lock").mkdir()
    assert haggler_error(*argv) == f"haggler: --out {tmp_path}: {tmp_path / 'lock'} is a folder, where the run writes a file"


def test_an_interrupted_tournament_says_how_to_go_on(tmp_path, monkeypatch, capsys):
    import dialogue.tournament

    def interrupted(config):
        raise KeyboardInterrupt

    monkeypatch.setattr(dialogue.tournament, "run_tournament", interrupted)
    with pytest.raises(SystemExit) as exit_:
        main(["tournament", "--agents", "rule", "--n", "1", "--out", str(tmp_path)])
    assert exit_.value.code == 130 and "--resume goes on" in capsys.readouterr().err


def test_json_nested_too_deeply(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    assert haggler_error("parse", deep) == f"haggler: {deep}: JSON nested too deeply to read"


def test_an_unreadable_adapter_config(tmp_path):
    (tmp_path / "adapter_config.json").write_text("{bad")
    message = haggler_error("say", "--act", "greet", "--role", "buyer", "--adapter", tmp_path)
    assert "adapter_config.json: cannot read it" in message and "does not fit" not in message


def test_more_scenarios_than_the_source_holds_says_so(tmp_path, capsys):
    main(["tournament", "--agents", "rule", "--n", "100000", "--repeats", "1", "--out", str(tmp_path)])
    assert f"--n 100000: builtin holds {N_BUILTIN} scenarios; playing all {N_BUILTIN}" in capsys.readouterr().err


def test_a_parser_model_that_is_none(tmp_path):
    (tmp_path / "m.json").write_text('{"weights": {}}')
    for command in (["eval-parser", TEST_DATA / "gold-dev8.json"], ["parse", TEST_DATA / "gold-dev8.json"]):
        assert haggler_error(*command, "--model", tmp_path / "m.json") == (
            f"haggler: --model {tmp_path / 'm.json'}: not a parser model, as `haggler train parser` writes one "
            "(KeyError: 'classes')")
        assert haggler_error(*command, "--model", tmp_path / "none.json") == \
            f"haggler: --model {tmp_path / 'none.json'}: no such file"
    for content, why in (('{"classes": [], "weights": {}}', "no classes"),
                         ('{"classes": "abc", "weights": {}}', "classes must be a list of intents, not str"),
                         ('{"classes": ["greet", "inform"], "weights": {}}', "no weights"),
                         ('{"classes": ["greet", "inform"], "weights": {"hi": ["x", 1]}}',
                          "the weights of 'hi' are not 2 numbers, one a class"),
                         ('{"classes": ["greet", "inform"], "weights": {"hi": [NaN, 1]}}',
                          "the weights of 'hi' are not 2 numbers, one a class"),
                         ('{"classes": ["greet", "offer", "quit"], "weights": {"hi": [1, 2, 3]}}',
                          "classes offer, quit are none an intent model gives (it reads messages without a price: "
                          "greet, inquire, inform, counter-noprice, disagree, agree, unknown, insist)")):
        (tmp_path / "m.json").write_text(content)
        assert haggler_error("eval-parser", TEST_DATA / "gold-dev8.json", "--model", tmp_path / "m.json").endswith(
            f"(ValueError: {why})")
    assert haggler_error("parse", TEST_DATA / "gold-dev8.json", "--model", tmp_path) == \
        f"haggler: --model {tmp_path}: a directory; name a model's file"
    model = tmp_path / "model.json"
    shutil.copy(ROOT / "parser" / "intent_model.json", model)
    assert haggler_error("parse", TEST_DATA / "gold-dev8.json", "--model", model, "--out", model) == \
        f"haggler: --out {model} is the input {model}; name another file"
    assert "--against scores another file's labels" in haggler_error(
        "eval-parser", TEST_DATA / "gold-dev8.json", "--model", tmp_path / "m.json", "--against", TEST_DATA / "gold-dev8.json")


def test_a_parser_model_nested_too_deeply_to_read(tmp_path):
    (tmp_path / "m.json").write_text("[" * 100_000 + "]" * 100_000)
    assert haggler_error("parse", TEST_DATA / "gold-dev8.json", "--model", tmp_path / "m.json").endswith(
        "(RecursionError: maximum recursion depth exceeded while decoding a JSON array from a unicode string)")


def test_a_broken_shipped_parser_model_is_one_line_and_train_parser_rebuilds_it(tmp_path, monkeypatch):
    import parser.intent_model

    shipped = tmp_path / "intent_model.json"
    shipped.write_text('{"classes": ["greet", "inf')  # half written
    monkeypatch.setattr(parser.intent_model, "MODEL_PATH", shipped)
    monkeypatch.setattr(parser.intent_model, "_shipped", None)
    assert haggler_error("parse", TEST_DATA / "gold-dev8.json").startswith(
        f"haggler: {shipped}: not a parser model (JSONDecodeError: ")
    main(["train", "parser", "--data", str(TEST_DATA / "gold-dev8.json")])
    assert parser.intent_model.IntentModel.load(shipped).weights and not list(tmp_path.glob("*.tmp"))


def test_a_typo_of_an_agent_name_is_answered_with_the_name_meant(tmp_path):
    message = haggler_error("tournament", "--agents", "Rul", "boulware", "--n", "1", "--out", tmp_path / "o")
    assert "unknown agent 'Rul' (did you mean 'rule'?); valid: rule," in message
    assert "unknown agent 'xyz'; valid: rule," in haggler_error("chat", "--agent", "xyz")


def test_cross_validation_needs_two_files(tmp_path):
    message = haggler_error("train", "parser", "--data", TEST_DATA / "gold-dev.json", "--cv", "--out", tmp_path / "m.json")
    assert "give two files or more" in message and not (tmp_path / "m.json").exists()


def test_an_agent_name_with_spaces_is_unknown(tmp_path):
    for mode in (["--mode", "text", "--generator", "template"], []):
        message = haggler_error("tournament", *mode, "--agents", "rule", " rule", "--n", "1", "--out", tmp_path / "o")
        assert "unknown agent ' rule' (did you mean 'rule'?); valid: rule," in message
        assert not (tmp_path / "o" / "run.json").exists()


def test_one_scenario_where_a_source_is_wanted(tmp_path):
    message = haggler_error("tournament", "--agents", "rule", "--scenarios", "builtin:3", "--out", tmp_path)
    assert "a source here is a whole set of scenarios (builtin, or a file), without :3" in message


def test_resuming_with_another_mode_names_it(tmp_path):
    main(["tournament", "--mode", "text", "--generator", "template", "--agents", "rule", "--n", "1",
          "--turn-limit", "2", "--out", str(tmp_path)])
    message = haggler_error("tournament", "--agents", "rule", "--n", "1", "--turn-limit", "2", "--out", tmp_path,
                            "--resume")
    assert message.endswith("--resume with different settings than the run there (mode: 'text' there, 'acts' now; "
                            "generator: 'template' there, not set now)")


def test_resuming_with_another_generator_is_refused_before_any_model_loads(tmp_path, monkeypatch):
    main(["tournament", "--mode", "text", "--generator", "template", "--agents", "rule", "--n", "1",
          "--turn-limit", "2", "--out", str(tmp_path)])

    def load(self, name):
        raise AssertionError(f"the {name} generator was loaded")

    monkeypatch.setattr("dialogue.agents.Generators.get", load)
    message = haggler_error("tournament", "--mode", "text", "--generator", "lm", "--agents", "rule", "--n", "1",
                            "--turn-limit", "2", "--out", tmp_path, "--resume")
    assert message.endswith("--resume with different settings than the run there (generator: 'template' there, "
                            "'lm' now)")


def test_resume_drops_lines_that_are_not_the_games_it_expects(tmp_path, capsys):
    argv = ["tournament", "--agents", "rule", "boulware", "--n", "1", "--out", str(tmp_path)]
    main(argv)
    log = tmp_path / "dialogues.jsonl"
    lines = log.read_text().splitlines()
    first = json.loads(lines[0])
    bad_intent = json.loads(lines[1])
    next(e for e in bad_intent["events"] if e["action"] == "message")["metadata"]["intent"] = "zzz"
    log.write_text("\n".join([json.dumps({**first, "agents": {}}), json.dumps(bad_intent), *lines[2:]]) + "\n")
    capsys.readouterr()
    main([*argv, "--resume"])
    assert sorted(log.read_text().splitlines()) == sorted(lines)  # the two edited games played again
    assert "2 line(s) are no finished game of this run" in capsys.readouterr().err
    assert len((tmp_path / "dialogues.jsonl.dropped").read_text().splitlines()) == 2  # set aside, not lost


def test_a_worker_that_dies_is_one_line(tmp_path, monkeypatch):
    import dialogue.workers

    def dies(*args):
        os._exit(1)

    monkeypatch.setattr(dialogue.workers, "play_into", dies)
    message = haggler_error("tournament", "--agents", "rule", "--n", "2", "--workers", "2", "--out", tmp_path)
    assert "a tournament worker died" in message and "--resume goes on" in message


def test_a_model_id_not_in_the_cache_is_one_clear_line(tmp_path, monkeypatch):
    """A Hugging Face id the user has not cached fails at once, offline, with the shipped adapter too (the adapter's
    check once imported huggingface_hub before it was told to stay offline: 50 s of retries here)."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    message = haggler_error("say", "--act", "counter 120", "--role", "seller", "--base-model", "no-such/model")
    assert message == ("haggler: no-such/model: no such model directory, nor a Hugging Face model id in the local "
                       "cache (haggler downloads nothing at run time: fetch it once with `hf download no-such/model`, "
                       "or give a local directory)")


def test_a_cache_that_is_a_file_is_named_before_any_conversion(tmp_path, monkeypatch):
    (tmp_path / "cachefile").write_text("")
    monkeypatch.setenv("HAGGLER_CACHE", str(tmp_path / "cachefile"))
    message = haggler_error("say", "--act", "counter 120", "--role", "seller")
    assert message.startswith(f"haggler: cannot keep the converted base model in {tmp_path / 'cachefile' / 'models'}")
    assert "HAGGLER_CACHE" in message


@pytest.mark.parametrize("argv, usage", [(["chat", "--bogus"], "usage: haggler chat "),
                                         (["train", "policy", "--out", "o", "--bogus"], "usage: haggler train policy "),
                                         (["parse", "in.json", "--bogus", "x"], "usage: haggler parse ")])
def test_an_unknown_option_shows_the_commands_own_usage(argv, usage, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith(usage) and "unrecognized arguments: --bogus" in err


def test_an_option_that_goes_with_another_is_not_ignored():
    message = haggler_error("eval-parser", TEST_DATA / "gold-dev.json", "--against-map", "acts")
    assert message == "haggler: --against-map goes with --against (the label names of that file)"
    message = haggler_error("tournament", "--agents", "rule", "--out", "o", "--batch", "4")
    assert message == "haggler: --batch goes with --mode text (act mode plays acts, no words)"


def test_repeated_scenarios_are_said(tmp_path, capsys):
    scenario = json.loads((ROOT / "data" / "scenarios.json").read_text())[0]
    (tmp_path / "s.json").write_text(json.dumps([scenario, scenario, scenario]))
    main(["tournament", "--agents", "rule", "--scenarios", str(tmp_path / "s.json"), "--n", "3", "--out",
          str(tmp_path / "o")])
    assert "s.json: of 3 scenarios, 1 are distinct; the others repeat them" in capsys.readouterr().err


def test_an_empty_chat_scenario_is_no_default():
    assert "no scenario given" in haggler_error("chat", "--demo", *TEMPLATES, "--scenario", "")


def test_an_empty_path_is_refused(capsys):
    assert usage_error(capsys, "tournament", "--agents", "rule", "--out", "").endswith("argument --out: an empty path")
    assert usage_error(capsys, "say", "--act", "greet", "--role", "buyer", "--adapter", " ").endswith(
        "argument --adapter: an empty path")
    assert usage_error(capsys, "train", "policy", "--out", "x", "--eval", "").endswith("argument --eval: an empty path")
    for command in (["say", "--act", "greet", "--role", "buyer"], ["train", "generator", "--out", "x"]):
        assert usage_error(capsys, *command, "--base-model", "").endswith("argument --base-model: an empty path")


@pytest.mark.parametrize("command", [["generator"], ["policy"], ["rl"]])
def test_a_training_seed_out_of_range_is_refused_at_once(capsys, command):
    """transformers' set_seed takes 0 to 2**32 - 1 (a traceback), torch's manual_seed no more than 64 bits."""
    assert usage_error(capsys, "train", *command, "--out", "x", "--seed", "-1").endswith(
        "argument --seed: must be at least 0, not -1")
    assert "argument --seed: must be at most 4294967295" in usage_error(capsys, "train", *command, "--out", "x",
                                                                         "--seed", str(2 ** 32))


def test_guidance_past_the_point_where_words_fall_apart_is_refused(capsys):
    assert usage_error(capsys, "say", "--act", "greet", "--role", "buyer", "--guidance", "1e6").endswith(
        "argument --guidance: must be at most 10 (past it the words fall apart), not '1e6'")


def test_a_policy_too_large_to_load_is_not_trained(tmp_path):
    assert haggler_error("train", "policy", "--out", tmp_path / "o", "--hidden", "5000") == \
        "haggler: --hidden 5000: at most 1024 (a checkpoint loads no larger model)"


@pytest.mark.parametrize("command", [["generator"], ["policy"], ["rl", "--init", "sl"]])
def test_training_writes_over_no_other_files(tmp_path, command):
    """--out . would write over the project's README.md: a directory holding anything but a checkpoint is refused."""
    (tmp_path / "notes.txt").write_text("mine")
    message = haggler_error("train", *command, "--out", tmp_path)
    assert message.startswith(f"haggler: --out {tmp_path} holds other files (notes.txt); name a new directory")
    # the generator writes over no adapter
    assert ("or one holding only an earlier run's" in message) == (command != ["generator"])
    assert (tmp_path / "notes.txt").read_text() == "mine" and len(list(tmp_path.iterdir())) == 1
    (tmp_path / "notes.txt").rename(tmp_path / "README.md")  # the user's own, with no checkpoint beside it
    assert haggler_error("train", *command, "--out", tmp_path).startswith(
        f"haggler: --out {tmp_path} holds other files (README.md)")


def test_training_writes_over_an_earlier_checkpoint_finder_s_files_or_not(tmp_path):
    shutil.copytree(ROOT / "data" / "policies" / "sl", tmp_path / "sl")
    (tmp_path / "sl" / ".DS_Store").write_bytes(b"\0")
    main(["train", "policy", "--out", str(tmp_path / "sl"), "--data", str(SAMPLE), "--epochs", "1"])
    assert '"kind": "sl"' in (tmp_path / "sl" / "config.json").read_text()
    assert "sample-dialogues.json" in (tmp_path / "sl" / "README.md").read_text()


def test_train_generator_keeps_an_adapter_and_its_rank(tmp_path):
    """--out over an adapter would replace it; --lora-r with --init-adapter would be ignored (the adapter keeps its
    rank) and the card would state it."""
    shutil.copytree(ROOT / "data" / "generator_lora", tmp_path / "lora")
    message = haggler_error("train", "generator", "--out", tmp_path / "lora", "--data", SAMPLE)
    assert message == f"haggler: --out {tmp_path / 'lora'} holds an adapter already; name a new directory"
    message = haggler_error("train", "generator", "--out", tmp_path / "new", "--init-adapter", tmp_path / "lora",
                            "--lora-r", "4")
    assert "--lora-r sets a new adapter's rank" in message


def test_an_output_is_never_the_input_nor_a_file_of_another_kind(tmp_path):
    data = tmp_path / "labelled.json"
    shutil.copy(TEST_DATA / "gold-dev.json", data)
    before = data.read_bytes()
    for argv in (["train", "parser", "--data", data, "--out", data], ["parse", data, "--out", data]):
        assert haggler_error(*argv) == f"haggler: --out {data} is the input {data}; name another file"
    assert data.read_bytes() == before
    notes = tmp_path / "notes.json"
    notes.write_text('{"x": 1}')
    assert haggler_error("train", "parser", "--data", data, "--out", notes) == \
        f"haggler: --out {notes} holds a file that is not a parser model; name a new file, or a model to replace"
    assert notes.read_text() == '{"x": 1}'


def test_parse_out_dash_is_standard_output(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["parse", str(TEST_DATA / "gold-dev.json"), "--out", "-"])
    assert json.loads(capsys.readouterr().out) and not (tmp_path / "-").exists()


def test_a_tournament_writes_over_no_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    message = haggler_error("tournament", "--agents", "rule", "--n", "1", "--out", tmp_path)
    assert message.startswith(f"haggler: --out {tmp_path} holds other files (notes.txt); name a new directory, or one "
                              "holding only an earlier run's (run.json, dialogues.jsonl")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    (tmp_path / "notes.txt").unlink()
    for _ in range(2):  # an earlier run's directory is taken, and --resume goes on with it
        main(["tournament", "--agents", "rule", "--n", "1", "--out", str(tmp_path), "--resume"])
    assert "run.json" in {p.name for p in tmp_path.iterdir()}
    (tmp_path / "results.json").unlink()
    (tmp_path / "results.json").mkdir()  # said before a game is played, not once all are
    assert haggler_error("tournament", "--agents", "rule", "--n", "1", "--out", tmp_path, "--resume") == (
        f"haggler: --out {tmp_path}: {tmp_path / 'results.json'} is a folder, where the run writes a file")


@pytest.mark.parametrize("command", [["policy"], ["rl", "--init", "sl"]])
def test_a_config_json_of_the_users_own_is_not_a_checkpoint(tmp_path, command):
    (tmp_path / "config.json").write_text('{"x": 1}')
    (tmp_path / "README.md").write_text("mine")
    message = haggler_error("train", *command, "--out", tmp_path)
    assert message == f"haggler: --out {tmp_path} holds a config.json that is not a policy checkpoint's; name a new " \
                      "directory"
    assert (tmp_path / "config.json").read_text() == '{"x": 1}' and (tmp_path / "README.md").read_text() == "mine"


def test_a_training_that_diverges_saves_nothing_and_says_so(tmp_path):
    message = haggler_error("train", "policy", "--data", SAMPLE, "--out", tmp_path / "p", "--epochs", "1",
                            "--lr", "1e308")
    assert message == "haggler: training diverged: the loss or the weights are no longer numbers; try a lower --lr " \
                      "than 1e+308"
    assert not (tmp_path / "p" / "weights.pt").exists()


def test_a_checkpoint_whose_weights_are_not_numbers_is_refused(tmp_path):
    import torch

    init = tmp_path / "ckpt"
    shutil.copytree(ROOT / "data" / "policies" / "sl", init)
    state = torch.load(init / "weights.pt", weights_only=True)
    torch.save({k: torch.full_like(v, float("nan")) if v.is_floating_point() else v for k, v in state.items()},
               init / "weights.pt")
    message = haggler_error("train", "rl", "--init", init, "--out", tmp_path / "o", "--data", SAMPLE)
    assert message == f"haggler: --init {init / 'weights.pt'}: weights that are not numbers (NaN or infinite): a " \
                      "training that diverged"


def test_json_nested_too_deeply_is_one_line_wherever_it_is_read(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    policy = tmp_path / "policy"
    shutil.copytree(ROOT / "data" / "policies" / "sl", policy)
    (policy / "config.json").write_text(deep)
    assert f"{policy / 'config.json'}: not a policy's config (RecursionError" in haggler_error(
        "tournament", "--agents", f"policy:{policy}", "rule", "--n", "1", "--out", tmp_path / "t")
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(deep)
    (adapter / "adapter_model.safetensors").write_bytes(b"")
    assert f"{adapter / 'adapter_config.json'}: cannot read it" in haggler_error(
        "say", "--act", "greet", "--role", "buyer", "--adapter", adapter)
    run = tmp_path / "run"
    main(["tournament", "--agents", "rule", "boulware", "--n", "1", "--out", str(run)])
    with open(run / "dialogues.jsonl", "a") as log:
        log.write(deep + "\n")
    main(["tournament", "--agents", "rule", "boulware", "--n", "1", "--out", str(run), "--resume"])  # dropped, replayed
    (run / "run.json").write_text(deep)
    assert f"{run / 'run.json'}: cannot read the settings of the run there" in haggler_error(
        "tournament", "--agents", "rule", "boulware", "--n", "1", "--out", run, "--resume")


def test_more_games_than_a_run_plays_are_refused_at_once(tmp_path):
    assert haggler_error("tournament", "--agents", "rule", "--n", "1", "--repeats", "100000000", "--out",
                         tmp_path / "o") == ("haggler: 100,000,000 games (scenarios 1 x repeats 100000000 x agents "
                                            "1 squared): more than one run plays (10,000,000); fewer --repeats or --n")


def test_parse_to_a_closed_output_says_so(tmp_path):
    run = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "dialogue.cli", "parse", str(SAMPLE)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stderr) == (1, "haggler: standard output is closed; name a file with --out\n")


def test_a_dialogue_file_cut_short_by_a_full_disk_leaves_no_half_file(tmp_path, monkeypatch):
    from dialogue.corpus import dump_dialogues, load_dialogues

    def full_disk(self: Path, data: bytes) -> None:  # a write cut short: half the file, then the error
        with open(self, "wb") as f:
            f.write(data[:100])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(CorpusError, match="out.json: cannot write: no space left on device"):
        dump_dialogues(load_dialogues(SAMPLE), tmp_path / "out.json")
    assert list(tmp_path.iterdir()) == []


def test_train_policy_writes_no_checkpoint_into_a_folder_of_checkpoints(tmp_path):
    """data/policies, say: a checkpoint written there would lie beside the shipped ones."""
    for name in ("rl-a", "sl", "z"):
        shutil.copytree(ROOT / "data" / "policies" / "sl", tmp_path / name)
    assert haggler_error("train", "policy", "--data", SAMPLE, "--epochs", "1", "--out", tmp_path) == (
        f"haggler: --out {tmp_path} holds policy checkpoints (rl-a, sl, z); name a checkpoint's own directory, such "
        f"as {tmp_path / 'mine'}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rl-a", "sl", "z"]


@pytest.mark.parametrize("dtype", ["float16", "complex64", "int64"])
def test_a_checkpoint_whose_weights_are_of_another_type_is_refused(tmp_path, dtype):
    import torch

    init = tmp_path / "ckpt"
    shutil.copytree(ROOT / "data" / "policies" / "sl", init)
    state = torch.load(init / "weights.pt", weights_only=True)
    torch.save({k: v.to(getattr(torch, dtype)) for k, v in state.items()}, init / "weights.pt")
    message = haggler_error("tournament", "--agents", f"policy:{init}", "rule", "--n", "1", "--out", tmp_path / "o")
    assert f"{init / 'weights.pt'}: weights of {dtype}, where a checkpoint's are float32" in message
