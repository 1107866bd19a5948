"""Tournaments: the results file, fairness of the schedule, workers, resume after kill -9, bad input."""
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from dialogue.results import LEADERBOARD_METRICS
from dialogue.corpus import Scenario
from dialogue.dialogue_log import read_finished
from dialogue.games import schedule
from dialogue.tournament import TournamentConfig, TournamentError, check_agent_list, run_tournament
from parser.acts import Act
from tests.conftest import ROOT, haggler

AGENTS = ["rule", "boulware", "conceder", "linear", "tft", "hardliner", "random"]
AGENT_KEYS = {"dialogues", "sides", "agreement_rate", "utility", "margin", "fairness", "length", "violations",
              "intervals_95"}


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("t") / "run"
    results, table = run_tournament(TournamentConfig(AGENTS, "builtin", 6, out, repeats=2, seed=3, progress=False))
    return out, results


def test_results_json_has_the_issue_shape(small_run):
    out, results = small_run
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk == results
    assert set(results) == {"agents", "mode", "n_dialogues", "per_agent", "pairs"}
    assert results["agents"] == AGENTS and results["mode"] == "acts"
    pairs = len(AGENTS) * (len(AGENTS) - 1) // 2
    assert results["n_dialogues"] == 6 * 2 * (2 * pairs + len(AGENTS)) == len(lines_of(out / "dialogues.jsonl"))
    logged = [json.loads(line) for line in lines_of(out / "dialogues.jsonl")]
    deals = Counter(name for d in logged if d["outcome"]["reward"] == 1 for name in d["agents"].values())
    for name, row in results["per_agent"].items():
        assert set(row) == AGENT_KEYS
        assert row["sides"] == 6 * 2 * 2 * len(AGENTS)  # both roles against everyone
        assert row["dialogues"] == 6 * 2 * (2 * (len(AGENTS) - 1) + 1)  # a self-play dialogue is one, of two sides
        assert row["violations"] == 0
        assert row["agreement_rate"] == pytest.approx(deals[name] / row["sides"])
        utility = row["intervals_95"]["utility"]  # the leaderboard's, for a reader of the file
        assert utility[0] <= row["utility"] <= utility[1] and set(row["intervals_95"]) == set(LEADERBOARD_METRICS)
    rates = {name: row["agreement_rate"] for name, row in results["per_agent"].items()}
    assert min(rates, key=rates.get) == "hardliner"
    assert len(results["pairs"]) == pairs + len(AGENTS)
    for pair in results["pairs"]:
        assert {"a", "b", "agreement_rate", "utility_a", "utility_b"} <= set(pair)
    assert (out / "utility.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parse_keeps_the_acts_of_an_act_level_transcript(small_run, tmp_path):
    """Act-level messages are acts written as text ("counter(price=302)"): `haggler parse` keeps the acts they stand
    for, and reads the rest of the dialogue after them (it read "greet()" as English: inform)."""
    out, _ = small_run
    parsed = tmp_path / "parsed.json"
    haggler("parse", str(out / "dialogues.jsonl"), "--out", str(parsed))
    written = [json.loads(line) for line in lines_of(out / "dialogues.jsonl")]
    messages = 0
    for before, after in zip(written, json.loads(parsed.read_text())):
        for e, f in zip(before["events"], after["events"]):
            if e["action"] == "message":
                messages += 1
                act = Act.from_string(e["data"])
                assert (f["metadata"]["intent"], f["metadata"]["price"]) == (act.intent.value, act.price)
    assert messages > 500


def test_every_pair_meets_on_the_same_scenarios_in_both_roles():
    games = schedule(["a", "b", "c"], 4, 2)
    assert len({g.uuid for g in games}) == len(games)
    for x, y in [("a", "b"), ("b", "c"), ("a", "c")]:
        as_buyer = {(g.scenario, g.repeat) for g in games if (g.buyer, g.seller) == (x, y)}
        as_seller = {(g.scenario, g.repeat) for g in games if (g.buyer, g.seller) == (y, x)}
        assert as_buyer == as_seller == {(i, r) for i in range(4) for r in range(2)}


def test_a_game_does_not_depend_on_who_else_plays(small_run, tmp_path):
    """Fair pairing: the same seed gives the same dialogue for the same game in any line-up."""
    out, _ = small_run
    run_tournament(TournamentConfig(["tft", "rule"], "builtin", 6, tmp_path, repeats=2, seed=3, progress=False))
    big = {json.loads(line)["uuid"]: line for line in lines_of(out / "dialogues.jsonl")}
    for line in lines_of(tmp_path / "dialogues.jsonl"):
        assert big[json.loads(line)["uuid"]] == line


def test_two_workers_write_the_same_dialogues(small_run, tmp_path):
    out, results = small_run
    two, _ = run_tournament(TournamentConfig(AGENTS, "builtin", 6, tmp_path, repeats=2, seed=3, workers=2,
                                             progress=False))
    assert sorted(lines_of(tmp_path / "dialogues.jsonl")) == sorted(lines_of(out / "dialogues.jsonl"))
    assert two == results  # the scores arrive in another order; exactly rounded sums make that no difference


def test_resume_drops_a_cut_off_line_and_plays_only_what_is_missing(small_run, tmp_path):
    out, results = small_run
    full = lines_of(out / "dialogues.jsonl")
    (tmp_path / "dialogues.jsonl").write_text("\n".join(full[:100]) + "\n" + full[100][:57], encoding="utf-8")
    (tmp_path / "run.json").write_text((out / "run.json").read_text())
    again, _ = run_tournament(TournamentConfig(AGENTS, "builtin", 6, tmp_path, repeats=2, seed=3, resume=True,
                                               progress=False))
    assert sorted(lines_of(tmp_path / "dialogues.jsonl")) == sorted(full)
    assert again == results


def test_resume_where_there_is_no_run_says_it_starts_one(small_run, tmp_path, capsys):
    _, results = small_run
    again, _ = run_tournament(TournamentConfig(AGENTS, "builtin", 6, tmp_path / "new", repeats=2, seed=3, resume=True,
                                               progress=False))
    assert again == results
    assert f"note: {tmp_path / 'new'}: no run there to resume; this one starts there" in capsys.readouterr().err


def test_read_finished_keeps_each_game_once(tmp_path):
    path = tmp_path / "d.jsonl"
    builtin = json.loads((ROOT / "data" / "scenarios.json").read_text())
    first, second = (Scenario.from_dict(s).to_dict() for s in builtin[:2])
    line = json.dumps({"uuid": "g1", "scenario": first, "events": [], "outcome": {"reward": 0},
                       "agents": {"0": "rule", "1": "rule"}})
    other_run = line.replace('"g1"', '"g2"')  # g2's uuid, but another run's scenario and players
    path.write_text(line + "\n" + line + "\nnot json\n" + other_run + "\n" + line[:30], encoding="utf-8")
    done, scores = read_finished(path, {"g1": ("rule", "rule", first), "g2": ("rule", "rule", second)})
    assert done == {"g1"} and len(scores) == 2
    assert path.read_text(encoding="utf-8") == line + "\n"
    dropped = (tmp_path / "d.jsonl.dropped").read_text(encoding="utf-8")
    assert dropped == f"{line}\nnot json\n{other_run}\n{line[:30]}\n"


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_sigterm_stops_the_workers_too_and_says_how_to_go_on(tmp_path):
    """It once killed the parent alone: its workers went on writing lines, holding the run's lock."""
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "dialogue.cli", "tournament", "--agents", *AGENTS, "--n", "40",
                             "--repeats", "5", "--out", str(out), "--workers", "2"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dialogues = out / "dialogues.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not dialogues.exists() or dialogues.stat().st_size < 100_000):
        time.sleep(0.005)
    children = child_pids(proc.pid)
    assert children, "no workers started"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM and "interrupted (SIGTERM)" in err and "--resume" in err
    assert not [pid for pid in children if os.path.exists(f"/proc/{pid}")]  # stopped, and reaped by the parent
    size = dialogues.stat().st_size
    time.sleep(0.5)
    assert dialogues.stat().st_size == size  # nothing writes on


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_then_resume_gives_every_dialogue_exactly_once(tmp_path, workers):
    out = tmp_path / "run"
    args = ["tournament", "--agents", *AGENTS, "--scenarios", "builtin", "--n", "40", "--repeats", "5",
            "--seed", "1", "--out", out, "--workers", workers]
    proc = subprocess.Popen([sys.executable, "-m", "dialogue.cli", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dialogues = out / "dialogues.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not dialogues.exists() or dialogues.stat().st_size < 300_000):
        time.sleep(0.005)
    children = child_pids(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for pid in children:  # pool workers the killed run left behind
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    expected = 5 * 40 * 49
    killed_at = len(lines_of(dialogues))
    assert 0 < killed_at < expected, "the run was not killed mid-way"
    with dialogues.open("a", encoding="utf-8") as f:  # as if the kill had cut a line in half
        f.write('{"scenario": {"category": "bi')
    run = haggler(*args, "--resume")
    assert run.returncode == 0, run.stderr
    uuids = Counter()
    for line in lines_of(dialogues):
        uuids[json.loads(line)["uuid"]] += 1
    assert len(uuids) == expected and set(uuids.values()) == {1}
    results = json.loads((out / "results.json").read_text())
    assert results["n_dialogues"] == expected
    assert all(row["violations"] == 0 for row in results["per_agent"].values())


def assert_one_clear_line(run: subprocess.CompletedProcess, *words: str) -> None:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    for w in words:
        assert w in run.stderr


def test_unknown_agent_lists_the_valid_names(tmp_path):
    run = haggler("tournament", "--agents", "rule", "genius", "--out", tmp_path / "o")
    assert_one_clear_line(run, "genius", "valid:", ", ".join(AGENTS))


@pytest.mark.parametrize("content", ["not json at all", '{"a": 1}', "[]", '[{"kbs": [1]}]', "[1, 2]"])
def test_a_bad_scenarios_file_gives_one_line(tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert_one_clear_line(haggler("tournament", "--agents", "rule", "--scenarios", bad, "--out", tmp_path / "o"),
                          "bad.json")
    assert_one_clear_line(haggler("tournament", "--agents", "rule", "--scenarios", tmp_path / "missing.json",
                                  "--out", tmp_path / "o"), "missing.json")


def test_an_existing_run_needs_resume_and_the_same_settings(tmp_path):
    out = tmp_path / "o"
    assert haggler("tournament", "--agents", "rule", "tft", "--n", "3", "--out", out).returncode == 0
    assert_one_clear_line(haggler("tournament", "--agents", "rule", "tft", "--n", "3", "--out", out), "--resume")
    assert_one_clear_line(haggler("tournament", "--agents", "rule", "--n", "3", "--out", out, "--resume"), "agents")
    run = haggler("tournament", "--agents", "rule", "tft", "--n", "3", "--out", out, "--resume")
    assert run.returncode == 0 and "rule" in run.stdout and "utility" in run.stdout
    # the same scenarios, however their source is spelled or however many more were asked for than it holds
    data = ROOT / "data" / "scenarios.json"
    assert haggler("tournament", "--agents", "rule", "--scenarios", data, "--n", "2", "--out", tmp_path / "p").returncode == 0
    spelled = os.path.relpath(data, tmp_path)
    run = subprocess.run([sys.executable, "-m", "dialogue.cli", "tournament", "--agents", "rule", "--scenarios", spelled,
                          "--n", "2", "--out", "p", "--resume"], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    assert haggler("tournament", "--agents", "rule", "--n", "40", "--out", out / "all").returncode == 0
    assert haggler("tournament", "--agents", "rule", "--n", "99", "--out", out / "all", "--resume").returncode == 0
    assert_one_clear_line(haggler("tournament", "--agents", "rule", "--n", "39", "--out", out / "all", "--resume"),
                          "scenarios")
    # a run.json of an earlier haggler (the source as spelled, and --n) resumes with the same command
    (out / "run.json").write_text(json.dumps({"agents": ["rule", "tft"], "scenarios": "builtin", "n": 3, "repeats": 1,
                                              "seed": 0, "turn_limit": 20}))
    assert haggler("tournament", "--agents", "rule", "tft", "--n", "3", "--out", out, "--resume").returncode == 0
    assert json.loads((out / "run.json").read_text())["source"] == "builtin"


def test_a_tournament_on_test_json(craigslist, tmp_path):
    with pytest.raises(TournamentError, match="valid"):
        run_tournament(TournamentConfig(["rule", "x"], str(craigslist / "test.json"), 5, tmp_path))
    results, table = run_tournament(TournamentConfig(AGENTS, str(craigslist / "test.json"), 8, tmp_path,
                                                     progress=False))
    assert results["n_dialogues"] == 8 * 49
    assert sum(row["violations"] for row in results["per_agent"].values()) == 0
    assert "±" in table and all(name in table for name in AGENTS)


def test_the_leaderboard_keeps_its_columns_for_long_agent_names():
    from dialogue.results import leaderboard
    from dialogue.scoring import SideScore

    names = ["rule", "rule+lm:runs/a-long-adapter-directory-name"]
    scores = [SideScore(name, names[1 - i], role, True, 0.5, 0.1, 0.2, 10, 0)
              for i, name in enumerate(names) for role in ("buyer", "seller")]
    table, legend = leaderboard(names, scores).split("\n\n")
    lines = table.splitlines()
    assert len(lines) == 3 and len({len(line) for line in lines}) == 1 and legend.startswith("sides: dialogues played")
    assert all(line[len(names[1])] == " " and line.split()[1] in ("sides", "2") for line in lines)


def test_intervals_allow_for_sides_of_one_scenario_moving_together():
    """Sides played on one scenario share its difficulty: clustered by scenario, the interval widens where they move
    together, and is the plain one where every side is its own cluster."""
    from dialogue.results import mean_ci

    values = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    plain, clustered = mean_ci(values)[1], mean_ci(values, list("aaabbb"))[1]
    # t with (clusters - 1) degrees of freedom: 2.571 for 6 values alone, 12.706 for two clusters
    assert plain == pytest.approx(2.571 * (0.3 / 6) ** 0.5) and clustered == pytest.approx(12.706 * 0.5)
    assert mean_ci(values, list("abcdef")) == mean_ci(values)
    assert mean_ci(values, list("aaaaaa")) == (0.5, None)  # one cluster: no interval


def test_an_interval_stops_where_its_metric_does():
    from dialogue.results import interval
    from dialogue.scoring import SideScore

    sides = [SideScore("rule", "rule", "buyer", True, 0.5, margin, -abs(margin), length, 0, scenario=str(k))
             for k, (margin, length) in enumerate([(0.0, 2), (0.9, 40), (0.0, 2)])]
    fairness, length, margin = (interval(metric, sides) for metric in ("fairness", "length", "margin"))
    assert fairness[1] == 0.0 and fairness[0] < -0.3  # not up to +0.99: fairness is -|margin|
    assert length[0] == 0.0 and length[1] > 14.7  # not down to -9.3 messages
    assert margin[0] < 0 < margin[1]  # a margin has no such bound


def test_the_agreement_rate_has_a_wilson_interval_that_is_no_point_at_one():
    """20 deals in 20 sides: the normal interval is 1.000 ± 0.000, the Wilson one reaches down to 0.839. Clustered
    sides that move together count for fewer, and widen it."""
    from dialogue.results import leaderboard, proportion_ci
    from dialogue.scoring import SideScore

    assert proportion_ci([1.0] * 20) == (1.0, pytest.approx(0.8389, abs=1e-4), pytest.approx(1.0))
    _, low, high = proportion_ci([1.0] * 10 + [0.0] * 10)
    assert (low, high) == (pytest.approx(0.2993, abs=1e-4), pytest.approx(0.7007, abs=1e-4))  # Wilson's own
    assert proportion_ci([1.0] * 10 + [0.0] * 10, [str(i) for i in range(20)]) == (0.5, low, high)
    _, low_clustered, high_clustered = proportion_ci([1.0] * 10 + [0.0] * 10, list("aaaaabbbbbcccccddddd"))
    assert low_clustered < low and high_clustered > high
    assert proportion_ci([1.0, 0.0], ["a", "a"]) == (0.5, None, None)
    scores = [SideScore("rule", "rule", role, True, 0.5, 0.1, -0.1, 10, 0, scenario=str(k))
              for k in range(10) for role in ("buyer", "seller")]
    assert "1.000 (0.72-1.00)" in leaderboard(["rule"], scores)  # 10 scenarios, not 20 sides (it said 0.84)
    repeated = [SideScore("rule", "rule", role, True, 0.5, 0.1, -0.1, 10, 0, scenario=str(k))
                for k in range(10) for _ in range(10) for role in ("buyer", "seller")]
    assert "1.000 (0.72-1.00)" in leaderboard(["rule"], repeated)  # repeats are no new scenarios (it said 0.98)


def test_scenarios_are_told_apart_without_a_uuid_or_with_a_shared_one():
    from dialogue.corpus import Scenario
    from dialogue.scenarios import load_scenarios
    from dialogue.scoring import scenario_key

    scenarios = [Scenario.from_dict({**s.to_dict(), "uuid": "same"}) for s in load_scenarios("builtin")[:5]]
    assert len({scenario_key(s) for s in scenarios}) == 5
    assert scenario_key(scenarios[0]) == scenario_key(Scenario.from_dict(scenarios[0].to_dict()))


@pytest.mark.parametrize("agents, said", [(["rule"] * 2, "'rule'"), (["rule", "boulware", "rule"], "'rule'"),
                                          (["policy:data/policies/sl", "policy:./data/policies/sl/"],
                                           "'policy:data/policies/sl' and 'policy:./data/policies/sl/' name the same one"),
                                          (["sl", "policy:data/policies/sl"],  # the shipped checkpoint by its path
                                           "'sl' and 'policy:data/policies/sl' name the same one"),
                                          (["rule+lm", "rule+lm:data/generator_lora"],  # the shipped adapter
                                           "'rule+lm' and 'rule+lm:data/generator_lora' name the same one")])
def test_an_agent_listed_twice_is_refused_however_it_is_spelled(agents, said, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(TournamentError) as error:
        check_agent_list(agents)
    assert str(error.value) == f"an agent is listed twice: {said}"
    check_agent_list(["rule", "policy:data/policies/sl", "policy:data/policies/rl-utility", "planner", "rl-length"])
