"""The act model and the sl policy: encoding, examples from dialogues, training a tiny model,
checkpoints, the lazy registry, and the shipped checkpoints."""
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dialogue.corpus import load_dialogues
from dialogue.annotate import dialogue_acts
from dialogue.policy_data import TrainError, examples_of, load_training_dialogues
from dialogue.train_policy import PolicyTrainConfig, train_policy
from dialogue.tournament import TournamentConfig, run_tournament
from parser.acts import Act, Intent
from strategy.learned.encoding import (MINE, MOVES, N_FEATURES, PARTNER, encode, label, legal, move_act, scaled,
                                       unscaled)
from strategy.learned.model import CheckpointError, load_model
from strategy.policies import LEARNED, make_policy
from strategy.principal import Principal
from strategy.state import NegotiationState
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "sample-dialogues.json"
SHIPPED = ROOT / "data" / "policies"
BUYER = Principal("buyer", 60.0, 100.0, 100.0)
SELLER = Principal("seller", 100.0, 70.0, 100.0)


def state_after(principal: Principal, acts: list[tuple[bool, Act]]) -> NegotiationState:
    s = NegotiationState(principal)
    for mine, act in acts:
        (s.observe_mine if mine else s.observe_partner)(act)
    return s


@pytest.fixture(scope="module")
def tiny_sl(tmp_path_factory) -> tuple[Path, dict]:
    """A tiny sl model trained for a few epochs on the sample dialogues and a tournament's transcripts."""
    tmp = tmp_path_factory.mktemp("sl")
    run_tournament(TournamentConfig(["rule", "tft"], "builtin", 4, tmp / "run", seed=1, progress=False))
    out = tmp / "ckpt"
    result = train_policy(PolicyTrainConfig(out, [str(SAMPLE), str(tmp / "run" / "dialogues.jsonl")], epochs=3,
                                            hidden=16, selfplay_games=10, progress=False, command="test"))
    return out, result


def test_prices_scale_zero_at_the_walk_away_one_at_the_target():
    for p in (BUYER, SELLER):
        assert scaled(p, p.walk_away) == 0 and scaled(p, p.target) == 1
        assert unscaled(p, scaled(p, 83.0)) == pytest.approx(83.0)
    assert scaled(BUYER, 50.0) > 1 > scaled(BUYER, 70.0) > 0 > scaled(BUYER, 120.0)


def test_legal_moves_follow_the_state():
    fresh = NegotiationState(SELLER)
    ok = dict(zip(MOVES, legal(fresh)))
    assert ok[Intent.PROPOSE] and not ok[Intent.COUNTER] and not ok[Intent.INSIST] and not ok[Intent.AGREE]
    assert not ok[Intent.ACCEPT] and not ok[Intent.REJECT]
    offered = state_after(SELLER, [(False, Act(Intent.OFFER, 90.0))])
    assert {m for m, o in zip(MOVES, legal(offered)) if o} == {Intent.ACCEPT, Intent.REJECT, Intent.QUIT}
    assert len(encode(offered)) == N_FEATURES


def test_labels_and_moves_agree():
    s = state_after(SELLER, [(True, Act(Intent.PROPOSE, 100.0)), (False, Act(Intent.COUNTER, 80.0))])
    assert label(s, Act(Intent.OFFER, 80.0)) == (MOVES.index(Intent.OFFER), PARTNER)
    assert label(s, Act(Intent.COUNTER, 100.0)) == (MOVES.index(Intent.COUNTER), MINE)
    move, choice = label(s, Act(Intent.COUNTER, 91.0))
    assert move_act(s, move, choice) == Act(Intent.COUNTER, 91.0)
    assert move_act(s, MOVES.index(Intent.AGREE), -1) == Act(Intent.AGREE, 80.0)
    assert label(s, Act(Intent.ACCEPT)) is None  # nothing to accept


def test_examples_replay_each_side_of_a_dialogue():
    dialogues = load_dialogues(SAMPLE)
    ex = examples_of(dialogues)
    acts = [a for d in dialogues for a in dialogue_acts(d) if a is not None]
    assert 0 < len(ex) <= len(acts)
    assert all(len(row) == N_FEATURES for row in ex.features)
    assert all(ok[m] for ok, m in zip(ex.legal, ex.moves))


def test_test_json_is_never_training_data(craigslist, tmp_path):
    """Not as test.json, nor under another name: a copy, or the hand-labelled gold-test subset."""
    from dialogue.corpus import CorpusError
    from dialogue.generator_data import load_examples
    from dialogue.train_parser import labelled_examples

    with pytest.raises(CorpusError, match="held out"):
        load_training_dialogues([str(craigslist / "test.json")])
    copy = tmp_path / "my-dialogues.json"
    copy.write_text((craigslist / "test.json").read_text())
    gold_test = ROOT / "tests" / "data" / "gold-test.json"
    with pytest.raises(CorpusError, match="dialogues are test.json's, held out for evaluation"):
        load_training_dialogues([str(copy)])
    with pytest.raises(CorpusError, match="dialogues are test.json's, held out for evaluation"):
        load_examples([str(copy)])
    with pytest.raises(CorpusError, match=r"gold-test.json: \d+ of its \d+ dialogues are test.json's"):
        labelled_examples([gold_test])


def test_a_dialogue_in_two_sources_is_trained_on_once(tmp_path, capsys):
    """A copy of a file is no new data; a game of another tournament (the same uuid, s0-r0-rule-tft, another
    course of events) is."""
    dialogues = json.loads(SAMPLE.read_text())
    shutil.copy(SAMPLE, tmp_path / "copy.json")
    other = [{**dialogues[0], "events": dialogues[0]["events"][:2]}]
    (tmp_path / "other.json").write_text(json.dumps(other))
    loaded = load_training_dialogues([str(SAMPLE), str(tmp_path / "copy.json"), str(tmp_path / "other.json")])
    assert len(loaded) == len(dialogues) + 1 and loaded[-1].uuid == dialogues[0]["uuid"]
    assert f"note: {len(dialogues)} dialogues of --data repeat others, and were trained on once" in capsys.readouterr().err


def test_a_dialogue_file_is_read_whatever_the_case_of_its_suffix(tmp_path):
    """`S.JSON` was refused by train policy while the generator's training read it."""
    from dialogue.generator_data import load_examples

    upper = tmp_path / "S.JSON"
    upper.write_text(SAMPLE.read_text())
    assert len(load_training_dialogues([str(upper)])) == len(load_training_dialogues([str(SAMPLE)]))
    assert len(load_examples([str(upper)])) == len(load_examples([str(SAMPLE)]))


def test_an_eval_file_of_training_dialogues_is_refused(tmp_path):
    """Its figures were called held out on the card where every dialogue had been trained on."""
    with pytest.raises(TrainError, match=r"--eval .*sample-dialogues.json: \d+ of its \d+ dialogues are trained on"):
        train_policy(PolicyTrainConfig(tmp_path / "p", [str(SAMPLE)], epochs=1, eval_data=str(SAMPLE)))
    assert not (tmp_path / "p").exists()


def test_tiny_sl_trains_and_writes_a_checkpoint(tiny_sl):
    out, result = tiny_sl
    assert {"config.json", "weights.pt", "README.md"} <= {p.name for p in out.iterdir()}
    card = (out / "README.md").read_text()
    assert "sample-dialogues.json" in card and "dialogues.jsonl" in card and "## Metrics" in card and "test" in card
    validation, history = result["validation"], result["history"]
    assert validation["next_intent_accuracy"] > validation["majority_baseline"]  # 0.6 vs 0.4 here
    assert history[-1]["val_loss"] < history[0]["val_loss"]  # it learns from epoch to epoch (5.19 -> 5.01 here)
    assert result["train_examples"] > 50  # the transcripts' acts count too
    model, meta = load_model(out)
    assert meta["kind"] == "sl" and model.config.hidden == 16


def test_a_directory_that_is_not_a_checkpoint_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="not a policy checkpoint"):
        load_model(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "weights.pt").write_text("no")
    with pytest.raises(CheckpointError, match="config.json: not a policy's config .KeyError: 'model'"):
        load_model(tmp_path)


def test_weights_cut_short_are_named(tiny_sl, tmp_path):
    cut = shutil.copytree(tiny_sl[0], tmp_path / "cut")
    (cut / "weights.pt").write_bytes((tiny_sl[0] / "weights.pt").read_bytes()[:2000])  # torch.load: an OSError
    with pytest.raises(CheckpointError, match=r"cut/weights.pt: not a haggler checkpoint"):
        load_model(cut)


def test_a_save_cut_short_leaves_the_earlier_checkpoint_as_it_was(tiny_sl, tmp_path, monkeypatch):
    import torch

    from dialogue.train_policy import save_checkpoint

    earlier = shutil.copytree(tiny_sl[0], tmp_path / "ckpt")
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}
    model, meta = load_model(earlier)

    def full_disk(state, path):  # as torch.save fails there: half the file, then its RuntimeError
        Path(path).write_bytes(b"half")
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 35904 vs 35856")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(TrainError, match=r"ckpt: cannot save the checkpoint \(\[enforce fail"):
        save_checkpoint(model, earlier, {**meta, "kind": "new"}, "title", "body", "haggler train policy", {})
    assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]  # no folder left beside it


@pytest.mark.parametrize("hidden", [-4, 0, 10 ** 12, 2.5, "64", None])
def test_a_config_naming_sizes_no_model_can_have_is_refused_before_any_tensor(tiny_sl, tmp_path, hidden):
    shutil.copytree(tiny_sl[0], tmp_path / "ckpt")
    config = tmp_path / "ckpt" / "config.json"
    meta = json.loads(config.read_text())
    meta["model"]["hidden"] = hidden
    config.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=f"config.json: model.hidden must be a whole number from 1 to 1024, "
                                              f"not {re.escape(repr(hidden))}"):
        load_model(tmp_path / "ckpt")
    meta["model"].update(hidden=1024, layers=4096)  # each size below 4096, together 4 billion weights
    config.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="model.layers must be a whole number from 1 to 16, not 4096"):
        load_model(tmp_path / "ckpt")


def test_weights_that_are_not_the_checkpoint_s_are_refused(tiny_sl, tmp_path):
    import torch

    shutil.copytree(tiny_sl[0], tmp_path / "ckpt")
    weights = tmp_path / "ckpt" / "weights.pt"
    for junk in (b"no", b"PK\x03\x04 not a zip"):
        weights.write_bytes(junk)
        with pytest.raises(CheckpointError, match="weights.pt: not a haggler checkpoint .not a saved state dict"):
            load_model(tmp_path / "ckpt")
    torch.save({"other": torch.zeros(2)}, weights)
    with pytest.raises(CheckpointError, match="weights.pt: not the weights of the model config.json describes"):
        load_model(tmp_path / "ckpt")


def test_the_registry_and_the_engine_import_without_torch():
    code = ("import sys, random; import strategy.policies, dialogue.tournament, dialogue.games, dialogue.cli; "
            "from strategy.policies import make_policy, POLICIES; assert 'torch' not in sys.modules; "
            "assert {'sl', 'planner'} <= set(POLICIES); "
            "from strategy.principal import Principal; make_policy('rule', Principal('buyer', 1, 2, 2), random.Random()); "
            "assert 'torch' not in sys.modules; "
            "make_policy('sl', Principal('buyer', 1, 2, 2), random.Random()); assert 'torch' in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_shipped_checkpoints_are_small_and_load():
    total = sum(f.stat().st_size for f in SHIPPED.rglob("*") if f.is_file())
    assert total < 5_000_000
    for name in ("sl", "rl-utility", "rl-fairness", "rl-length"):
        model, meta = load_model(SHIPPED / name)
        assert meta["kind"] == name and meta["command"].startswith("haggler train")
        assert "## Metrics" in (SHIPPED / name / "README.md").read_text()
    sl = json.loads((SHIPPED / "sl" / "config.json").read_text())["metrics"]
    assert "test.json" in sl["eval"]["file"] and sl["eval"]["next_intent_accuracy"] > 0.5


def test_learned_policies_play_a_tournament_within_authority(tmp_path):
    results, _ = run_tournament(TournamentConfig(["rule", *LEARNED], "builtin", 3, tmp_path / "r", seed=2,
                                                 progress=False))
    for name in LEARNED:
        row = results["per_agent"][name]
        assert row["violations"] == 0 and row["sides"] == 3 * 2 * (len(LEARNED) + 1)
    audits = [e["metadata"]["audit"] for line in (tmp_path / "r" / "dialogues.jsonl").read_text().splitlines()
              for e in json.loads(line)["events"]]
    assert any(a["policy"] == "sl" and a["reason"].startswith("sl: ") for a in audits)


def test_a_trained_checkpoint_plays_by_its_directory(tiny_sl, tmp_path):
    """`policy:DIR` is the policy `haggler train policy` (or `train rl`) saved in DIR: it plays a tournament (in
    worker processes too), decides as its model does, and speaks in text with a generator."""
    from dataclasses import replace

    from dialogue.agents import parse_spec
    from dialogue.tournament import TournamentError
    from strategy.learned.policy import LearnedPolicy, ModelPlayer

    name = f"policy:{tiny_sl[0]}"
    results, _ = run_tournament(TournamentConfig([name, "rule"], "builtin", 2, tmp_path / "r", seed=2, workers=2,
                                                 progress=False))
    assert results["per_agent"][name]["sides"] == 2 * 4 and results["per_agent"][name]["violations"] == 0
    audits = [e["metadata"]["audit"] for line in (tmp_path / "r" / "dialogues.jsonl").read_text().splitlines()
              for e in json.loads(line)["events"]]
    assert any(a["policy"] == name and a["reason"].startswith(f"{name}: ") for a in audits)
    s = state_after(SELLER, [(False, Act(Intent.GREET))])
    direct = LearnedPolicy(ModelPlayer(load_model(tiny_sl[0])[0], name), SELLER, random.Random(4))
    by_name = make_policy(name, SELLER, random.Random(4))
    assert [by_name.decide(s).act for _ in range(6)] == [direct.decide(s).act for _ in range(6)]
    spec = parse_spec(f"{name}+template")
    assert (spec.policy, spec.generator) == (name, "template")
    # a resumed run plays the weights it began with
    import torch

    changed = tmp_path / "ckpt"
    shutil.copytree(tiny_sl[0], changed)
    config = TournamentConfig([f"policy:{changed}", "rule"], "builtin", 2, tmp_path / "r2", seed=2, progress=False)
    run_tournament(config)
    weights = torch.load(changed / "weights.pt", weights_only=True)
    torch.save({k: v + 0.01 for k, v in weights.items()}, changed / "weights.pt")
    with pytest.raises(TournamentError, match=r"--resume with different settings than the run there \(checkpoints: "):
        run_tournament(replace(config, resume=True))


def test_a_checkpoint_name_that_is_none_is_one_clear_line(tiny_sl, tmp_path):
    from dialogue.agents import AgentError, parse_spec
    from dialogue.tournament import TournamentError

    with pytest.raises(AgentError, match=f"^{tmp_path}: not a policy checkpoint"):
        parse_spec(f"policy:{tmp_path}+template")
    with pytest.raises(TournamentError, match="not a policy checkpoint .needs config.json and weights.pt.$"):
        run_tournament(TournamentConfig([f"policy:{tmp_path}", "rule"], "builtin", 2, tmp_path / "r", progress=False))
    with pytest.raises(TournamentError, match=r"^policy:\S+\+template: agents that speak .* add --mode text"):
        run_tournament(TournamentConfig([f"policy:{tiny_sl[0]}+template", "rule"], "builtin", 2, tmp_path / "r",
                                        progress=False))
    with pytest.raises(TournamentError, match="unknown agent 'policy:'; valid: rule, .*, planner, policy:DIR$"):
        run_tournament(TournamentConfig(["policy:", "rule"], "builtin", 2, tmp_path / "r", progress=False))


def test_sl_decides_the_same_with_the_same_seed():
    s = state_after(SELLER, [(False, Act(Intent.GREET))])

    def acts(seed: int) -> tuple[Act, ...]:
        policy = make_policy("sl", SELLER, random.Random(seed))
        return tuple(policy.decide(s).act for _ in range(5))
    assert acts(3) == acts(3) and len(set(acts(3))) > 1
    assert len({acts(seed) for seed in range(10)}) > 1
