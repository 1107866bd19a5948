"""RL fine-tuning: a tiny run end to end, the rewards, the lockstep games, and the training commands' errors."""
import random
from pathlib import Path

import pytest

from dialogue.corpus import load_dialogues
from dialogue.policy_data import TrainError
from dialogue.policy_games import Played
from dialogue.session import principal_of, run_session
from dialogue.train_policy import PolicyTrainConfig, train_policy
from dialogue.train_rl import RLConfig, reward, train_rl
from dialogue.scenarios import load_scenarios
from strategy.learned.model import load_model
from strategy.learned.play import new_game, play_lockstep
from strategy.negotiator import Negotiator
from strategy.policies import make_policy
from tests.conftest import ROOT, haggler

SAMPLE = ROOT / "data" / "sample-dialogues.json"


@pytest.fixture(scope="module")
def tiny_init(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rl") / "sl"
    train_policy(PolicyTrainConfig(out, [str(SAMPLE)], epochs=2, hidden=16, selfplay_games=4, progress=False))
    return out


@pytest.mark.parametrize("opponent", ["sl", "rule"])
def test_a_tiny_rl_run_writes_a_checkpoint_with_its_card(tiny_init, tmp_path, opponent):
    out = tmp_path / "rl"
    result = train_rl(RLConfig(tiny_init, out, "utility", opponent, episodes=240, batch_size=60, data=[str(SAMPLE)],
                               val_games=12, eval_every=2, progress=False, command="test rl"))
    assert result["episodes"] == 240 and len(result["history"]) >= 3
    model, meta = load_model(out)
    assert meta["kind"] == "rl-utility" and meta["init"] == str(tiny_init)
    card = (out / "README.md").read_text()
    partner = "a frozen copy of the initial model" if opponent == "sl" else "the `rule` policy"
    assert f"against\n{partner} at the act level" in card
    assert "test rl" in card and "| episodes | reward |" in card


def test_a_policy_gradient_step_makes_moves_with_a_positive_advantage_likelier(tiny_init):
    """The update itself (a tiny run's reward may not move): moves of games with a positive advantage gain
    log-probability, those with a negative one lose it."""
    import torch

    from dialogue.policy_data import training_scenarios
    from dialogue.policy_games import play_against
    from dialogue.train_rl import update
    from strategy.learned.policy import ModelPlayer, Trace
    from strategy.policies.rule import RulePolicy

    model, _ = load_model(tiny_init)
    learner = ModelPlayer(model, "learner")
    learner.trace = Trace()
    play_against(learner, RulePolicy, training_scenarios([str(SAMPLE)])[:8], random.Random(0))
    trace = learner.trace
    advantages = [1.0 if g % 2 == 0 else -1.0 for g in range(8)]

    def mean_logp(sign: float) -> float:
        x, ok, moves, _ = trace.as_tensors()
        with torch.no_grad():
            logp = model.eval()(x, ok, moves)[0].gather(1, moves[:, None]).squeeze(1)
        rows = torch.tensor([advantages[g] == sign for g in trace.tags])
        return logp[rows].mean().item()

    before = mean_logp(1.0), mean_logp(-1.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(5):
        update(model.train(), optimizer, trace, advantages, RLConfig(tiny_init, Path("x"), entropy=0.0))
    after = mean_logp(1.0), mean_logp(-1.0)
    assert after[0] > before[0] and after[1] < before[1], (before, after)


def test_rewards_follow_he_et_al(tiny_init):
    sc = load_dialogues(SAMPLE)[1].scenario  # seller target 6800, buyer target 4760: midpoint 5780, half-range 1020
    principals = {r: principal_of(sc.kb(r)) for r in ("buyer", "seller")}
    game = new_game(principals, {r: make_policy("rule", principals[r], random.Random(0)) for r in principals}, "buyer")
    play_lockstep([game], random.Random(0))
    assert (game.deal, game.seats["seller"].state.turn) == (5304, 7)
    config = RLConfig(tiny_init, Path("x"))
    seller, buyer = Played(game, sc, "seller"), Played(game, sc, "buyer")
    assert reward(seller, config) == pytest.approx((5304 - 5780) / 1020)
    assert reward(buyer, config) == pytest.approx((5780 - 5304) / 1020)
    config.reward = "fairness"
    assert reward(seller, config) == reward(buyer, config) == pytest.approx(-476 / 1020)
    config.reward = "length"
    assert reward(seller, config) == reward(buyer, config) == pytest.approx(7 / 20)
    game.deal = None
    assert reward(seller, config) == reward(buyer, config) == config.no_deal


def test_lockstep_games_keep_the_session_rules():
    """The same policies and random streams give the same outcome in play_lockstep as in run_session."""
    for i, sc in enumerate(load_scenarios("builtin")[:10]):
        for first in ("buyer", "seller"):
            for limit in (3, 20):
                principals = {r: principal_of(sc.kb(r), limit) for r in ("buyer", "seller")}
                names = {"buyer": "rule", "seller": ("tft", "boulware", "random")[i % 3]}

                def policies():
                    return {r: make_policy(names[r], principals[r], random.Random(f"{i}{r}")) for r in principals}
                d = run_session(sc, {r: Negotiator(names[r], principals[r], p) for r, p in policies().items()},
                                first, limit)
                game = new_game(principals, policies(), first)
                play_lockstep([game], random.Random(0))
                assert game.deal == d.outcome.price
                assert game.seats["buyer"].state.turn == len(d.events)


def test_bad_reward_opponent_or_init_is_one_clear_line(tiny_init, tmp_path):
    for args, message in [(["--reward", "money"], "unknown reward 'money'"),
                          (["--opponent", "bob"], "unknown opponent 'bob'")]:
        r = haggler("train", "rl", "--init", tiny_init, "--out", tmp_path / "x", *args)
        assert r.returncode != 0 and r.stderr.strip() == f"haggler: {message}; valid: " + \
            ("utility, fairness, length" if "reward" in message else "sl, rule")
    r = haggler("train", "rl", "--init", tmp_path / "missing", "--out", tmp_path / "x")
    assert r.returncode != 0 and r.stderr.count("\n") == 1 and "missing: no such directory" in r.stderr
    (tmp_path / "empty").mkdir()
    r = haggler("train", "rl", "--init", tmp_path / "empty", "--out", tmp_path / "x")
    assert r.returncode != 0 and "empty: not a policy checkpoint" in r.stderr
    r = haggler("train", "rl", "--init", tiny_init, "--out", tiny_init)  # it was written over, the card its own source
    assert r.returncode != 0 and "is --init: the checkpoint to start from would be written over" in r.stderr
    with pytest.raises(TrainError):
        train_rl(RLConfig(tiny_init, tmp_path / "y", episodes=0))


def test_bad_data_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    for data in (bad, tmp_path / "missing.json", tmp_path / "notes.txt"):
        r = haggler("train", "policy", "--data", data, "--out", tmp_path / "x")
        assert r.returncode != 0 and r.stderr.count("\n") == 1 and r.stderr.startswith("haggler: ")
