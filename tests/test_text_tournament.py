"""Text tournaments: agents meet only through words; parse agreement; manipulation buys nothing; batching."""
import json
import subprocess
import sys
from collections import Counter

import pytest

from dialogue.agents import Generators, parse_specs
from dialogue.games import schedule
from dialogue.scenarios import load_scenarios
from dialogue.text_tournament import TextTournamentConfig, play_games, run_text_tournament, start_game
from dialogue.text_results import format_text_results
from dialogue.tournament import TournamentError
from tests.conftest import ROOT

HAGGLERS = ["rule", "boulware", "tft"]
ADVERSARIES = ["injector", "liar", "desperate"]


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("text") / "run"
    config = TextTournamentConfig(HAGGLERS + ADVERSARIES, "builtin", 12, out, seed=1, progress=False,
                                  generator="template")
    results, table = run_text_tournament(config)
    return out, results, table


def test_text_mode_writes_the_act_mode_outputs_with_the_words(text_run):
    out, results, table = text_run
    assert json.loads((out / "results.json").read_text()) == results
    assert results["mode"] == "text" and results["n_dialogues"] == 12 * 36
    assert (out / "utility.png").read_bytes()[:4] == b"\x89PNG"
    lines = (out / "dialogues.jsonl").read_text().splitlines()
    assert len(lines) == results["n_dialogues"]
    dialogue = json.loads(lines[0])
    assert {json.loads(line)["ended"] for line in lines} <= {"deal", "walk-away", "turn limit"}
    messages = [e for e in dialogue["events"] if e["action"] == "message"]
    assert messages and all(e["data"] and "(price=" not in e["data"] for e in messages)
    for e in messages:
        assert {"intent", "price", "read", "audit"} <= set(e["metadata"])
        assert e["metadata"]["audit"]["generator"]["generator"] == "template"
    assert "parse agreement" in table and "manipulation" in table


def test_no_agent_ever_goes_beyond_its_authority(text_run):
    _, results, _ = text_run
    assert all(row["violations"] == 0 for row in results["per_agent"].values())


def test_haggler_agents_read_each_other_right(text_run):
    _, results, _ = text_run
    for pair in results["pairs"]:
        if pair["a"] in HAGGLERS and pair["b"] in HAGGLERS:
            assert pair["parse_agreement"] >= 0.95, pair


def test_manipulative_words_buy_nothing(text_run):
    out, results, _ = text_run
    table = results["manipulation"]
    assert set(table) == set(HAGGLERS)
    for agent, row in table.items():
        for adversary in ADVERSARIES:
            gain, half = row["gain"][adversary]
            assert abs(gain) <= 0.01, (agent, adversary, gain)
    said = Counter()
    for line in (out / "dialogues.jsonl").read_text().splitlines():
        d = json.loads(line)
        for e in d["events"]:
            if e["action"] == "message" and d["agents"][str(e["agent"])] in ADVERSARIES:
                said["system" in e["data"].lower() or "instruction" in e["data"].lower()] += 1
                said["offered me" in e["data"] or "please" in e["data"].lower()] += 1
    assert said[True] > 20  # the tricks are there


def test_batching_changes_the_calls_not_the_dialogues():
    """Each side seeds its own requests, so a dialogue's words are the same whatever is rendered with them."""
    scenarios = load_scenarios("builtin")[:4]
    specs = {s.name: s for s in parse_specs(["rule+template", "tft+template"])}
    games = schedule(list(specs), len(scenarios), 1)
    sizes: dict[int, list[int]] = {}
    played = {}
    for batch in (1, 8):
        generators = Generators()
        template = generators.get("template")
        render = template.render
        calls: list[int] = []
        template.render = lambda requests, render=render, calls=calls: (calls.append(len(requests)), render(requests))[1]
        dialogues = play_games(games, lambda g: start_game(g, scenarios[g.scenario], specs, generators, 0, 20), batch)
        sizes[batch] = calls
        played[batch] = sorted((d.uuid, [(e.action, e.data) for e in d.events], d.outcome.reward, d.outcome.price) for d in dialogues)
    assert set(sizes[1]) == {1} and max(sizes[8]) == 8
    assert len(sizes[8]) < len(sizes[1]) / 4
    assert played[1] == played[8]
    assert len({text for _, events, _, _ in played[1] for action, text in events if action == "message"}) > 20


def test_resume_plays_only_what_is_missing(tmp_path):
    out = tmp_path / "run"
    config = TextTournamentConfig(["rule+template", "liar+template"], "builtin", 2, out, progress=False)
    run_text_tournament(config)
    lines = (out / "dialogues.jsonl").read_text().splitlines()
    (out / "dialogues.jsonl").write_text("\n".join(lines[:3]) + "\n" + lines[3][:40])
    config.resume = True
    results, _ = run_text_tournament(config)
    uuids = [json.loads(line)["uuid"] for line in (out / "dialogues.jsonl").read_text().splitlines()]
    assert len(uuids) == len(set(uuids)) == results["n_dialogues"] == len(lines)


def test_bad_text_tournaments_are_one_clear_line(tmp_path):
    with pytest.raises(TournamentError, match="unknown agent 'bogus'; valid: rule"):
        run_text_tournament(TextTournamentConfig(["rule", "bogus"], "builtin", 1, tmp_path / "x", progress=False))
    run = subprocess.run([sys.executable, "-m", "dialogue.cli", "tournament", "--mode", "text", "--agents",
                          "rule+template", "rule+nope", "--out", str(tmp_path / "y")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and run.stderr.strip().count("\n") == 0 and "valid: lm, lm:DIR, template" in run.stderr


def test_the_cli_runs_a_text_tournament(tmp_path):
    run = subprocess.run([sys.executable, "-m", "dialogue.cli", "tournament", "--mode", "text", "--generator",
                          "template", "--agents", "rule", "injector", "--n", "2", "--out", str(tmp_path / "t")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "parse agreement" in run.stdout and "manipulation" in run.stdout
    assert json.loads((tmp_path / "t" / "results.json").read_text())["mode"] == "text"


def test_the_manipulation_table_shows_each_adversarys_own_baseline():
    """Adversaries speaking with different generators are paired with the rule agent of their own generator, and
    the table shows each such baseline's utility (it showed only the first's)."""
    row = {"baselines": {"injector": "rule", "liar+template": "rule+template"},
           "vs": {"rule": 0.512, "rule+template": 0.634, "injector": 0.511, "liar+template": 0.633},
           "gain": {"injector": [-0.001, 0.004], "liar+template": [-0.001, 0.003]}}
    table = format_text_results({"pairs": [], "manipulation": {"planner": row}})
    header, line = table.splitlines()[-2:]
    assert "vs rule " in header and "vs rule+template" in header
    assert line.split()[1:3] == ["0.512", "0.634"]
