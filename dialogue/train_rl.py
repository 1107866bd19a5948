"""`haggler train rl`: an act policy fine-tuned by self-play, REINFORCE with a baseline (He et al. 2018).

The learner (initialised from a checkpoint, usually `sl`) plays batches of act-level games on the
training dialogues' scenarios against a frozen partner: the initial model itself (`sl`) or the
rule-based agent (`rule`), in random roles. Its reward per game is one of He et al.'s: `utility`
(its margin), `fairness` (−|margin|) or `length` (turns, as a fraction of the turn limit); a game
without a deal scores `no_deal`. Each batch, every move the learner made is pushed up or down by
its game's reward minus a running-mean baseline. Scenarios of a held-out share of the dialogues
check the learner as it trains; the best checkpoint on them is kept.
"""
from __future__ import annotations

import copy
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from dialogue.corpus import DEFAULT_DATA
from dialogue.policy_data import TrainError, training_scenarios
from dialogue.policy_games import Opponent, Played, play_against, summary
from dialogue.train_policy import check_finite, save_checkpoint
from strategy.learned.model import CheckpointError, load_model
from strategy.learned.policy import ModelPlayer, Trace
from strategy.policies.rule import RulePolicy
from strategy.principal import DEFAULT_TURN_LIMIT

REWARDS = ("utility", "fairness", "length")
OPPONENTS = ("sl", "rule")


@dataclass
class RLConfig:
    init: Path
    out: Path
    reward: str = "utility"
    opponent: str = "sl"
    episodes: int = 20_000
    batch_size: int = 200
    """Games per policy update."""
    lr: float = 5e-4
    entropy: float = 0.01
    """Weight of the move entropy bonus (keeps the policy from collapsing early)."""
    no_deal: float = -1.0
    baseline_decay: float = 0.9
    data: list[str] = field(default_factory=lambda: [DEFAULT_DATA])
    held_out: float = 0.1
    """Fraction of the scenarios kept for validation."""
    val_games: int = 400
    eval_every: int = 10
    """Updates between validations."""
    seed: int = 0
    threads: int = 1
    progress: bool = True
    command: str = ""


def check_config(config: RLConfig) -> None:
    if config.reward not in REWARDS:
        raise TrainError(f"unknown reward {config.reward!r}; valid: {', '.join(REWARDS)}")
    if config.opponent not in OPPONENTS:
        raise TrainError(f"unknown opponent {config.opponent!r}; valid: {', '.join(OPPONENTS)}")
    if config.episodes < 1 or config.batch_size < 1:
        raise TrainError("--episodes and --batch-size must be at least 1")


def reward(played: Played, config: RLConfig) -> float:
    if not played.agreed:
        return config.no_deal
    margin = max(-2.0, min(2.0, played.margin))  # type: ignore[arg-type]
    if config.reward == "utility":
        return margin
    if config.reward == "fairness":
        return -abs(margin)
    return played.length / DEFAULT_TURN_LIMIT


def update(model, optimizer, trace: Trace, advantages: list[float], config: RLConfig) -> float:
    """One policy-gradient step on every move the learner made in a batch."""
    x, ok, moves, choices = trace.as_tensors()
    adv = torch.tensor([advantages[g] for g in trace.tags], dtype=torch.float32)
    move_logp, price_logp = model(x, ok, moves)
    logp = move_logp.gather(1, moves[:, None]).squeeze(1)
    priced = choices >= 0
    logp = logp + torch.where(priced, price_logp.gather(1, choices.clamp(min=0)[:, None]).squeeze(1), 0.0)
    entropy = -(move_logp.exp() * move_logp.masked_fill(~ok, 0.0)).sum(1).mean()
    loss = -(adv * logp).mean() - config.entropy * entropy
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()


def train_rl(config: RLConfig) -> dict:
    """Trains, writes the checkpoint to config.out, and returns the metrics its card shows."""
    check_config(config)
    try:
        model, meta = load_model(config.init)
    except CheckpointError as e:
        raise TrainError(f"--init {e}") from None
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    scenarios = training_scenarios(config.data)
    rng.shuffle(scenarios)
    n_val = max(1, round(config.held_out * len(scenarios)))
    train_s, val_s = scenarios[n_val:] or scenarios, scenarios[:n_val]
    frozen = ModelPlayer(copy.deepcopy(model).eval(), "sl")
    opponent: Opponent = frozen if config.opponent == "sl" else RulePolicy
    learner = ModelPlayer(model, "learner")
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def validate() -> dict:
        val = play_against(learner, opponent, (val_s * (config.val_games // len(val_s) + 1))[:config.val_games],
                           random.Random(config.seed + 1))
        return {**summary(val), "reward": round(sum(reward(p, config) for p in val) / len(val), 4)}

    start = time.perf_counter()
    before = validate()
    best, best_state, history = before["reward"], copy.deepcopy(model.state_dict()), [{"episodes": 0, **before}]
    baseline, episodes, updates, play_seconds = None, 0, 0, 0.0
    with tqdm(total=config.episodes, desc=f"rl {config.reward} vs {config.opponent}", unit="episode",
              disable=None if config.progress else True) as bar:
        while episodes < config.episodes:
            batch = [rng.choice(train_s) for _ in range(min(config.batch_size, config.episodes - episodes))]
            t0 = time.perf_counter()
            learner.trace = Trace()
            played = play_against(learner, opponent, batch, rng)
            trace, learner.trace = learner.trace, None
            play_seconds += time.perf_counter() - t0
            rewards = [reward(p, config) for p in played]
            mean = sum(rewards) / len(rewards)
            baseline = mean if baseline is None else config.baseline_decay * baseline + (1 - config.baseline_decay) * mean
            spread = max(1e-3, (sum((r - mean) ** 2 for r in rewards) / len(rewards)) ** 0.5)
            model.train()
            if trace.moves:
                loss = update(model, optimizer, trace, [(r - baseline) / spread for r in rewards], config)
                check_finite(model, loss, config.lr)
            model.eval()
            episodes += len(batch)
            updates += 1
            bar.update(len(batch))
            bar.set_postfix(reward=f"{mean:.3f}")
            if updates % config.eval_every == 0 or episodes >= config.episodes:
                history.append({"episodes": episodes, **validate()})
                if history[-1]["reward"] > best:
                    best, best_state = history[-1]["reward"], copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    seconds = time.perf_counter() - start
    after = max(history, key=lambda h: h["reward"])
    result = {"init": str(Path(config.init).resolve()), "reward": config.reward, "opponent": config.opponent, "episodes": episodes,
              "scenarios": len(train_s), "val_scenarios": len(val_s), "held_out": len(train_s) < len(scenarios),
              "train_seconds": round(seconds, 1),
              "episodes_per_s": round(episodes / max(1e-9, play_seconds + 1e-9), 1),
              "validation_before": before, "validation_best": after, "history": history}
    meta = {"kind": f"rl-{config.reward}", "init": result["init"], "data": config.data, "command": config.command,
            "seed": config.seed, "metrics": {k: v for k, v in result.items() if k != "history"}}
    save_checkpoint(model, config.out, meta, f"rl-{config.reward}: the act policy fine-tuned by self-play",
                    rl_card(config, result), config.command, asdict(config))
    return result


def rl_card(config: RLConfig, r: dict) -> str:
    b, a = r["validation_before"], r["validation_best"]
    rows = "\n".join(f"| {h['episodes']} | {h['reward']} | {h['agreement_rate']} | {h['utility']} | {h['margin']} | "
                     f"{h['length']} |" for h in r["history"])
    partner = "a frozen copy of the initial model" if config.opponent == "sl" else f"the `{config.opponent}` policy"
    held_out = (f"{r['scenarios']} to train on, {r['val_scenarios']} held out for validation" if r["held_out"] else
                f"{r['scenarios']}, too few to hold any out: validated on the training scenarios")
    return f"""Initialised from {r['init']}, fine-tuned by REINFORCE with a running-mean baseline against
{partner} at the act level, reward `{config.reward}` (He et al. 2018: utility = the learner's margin,
fairness = -|margin|, length = turns / {DEFAULT_TURN_LIMIT}); a game without a deal scores {config.no_deal}.

## Data
The scenarios of {', '.join(config.data)} (test.json never): {held_out} ({config.val_games} games each check,
roles and first mover drawn at random).

## Training
{r['episodes']} episodes in batches of {min(config.batch_size, r['episodes'])}, Adam lr {config.lr},
entropy bonus {config.entropy},
seed {config.seed}; {r['train_seconds']} s in all, {r['episodes_per_s']} episodes/s of play. The best validation
reward was kept (at {a['episodes']} episodes).

## Metrics (validation, against {config.opponent})
- before: reward {b['reward']}, agreement {b['agreement_rate']}, utility {b['utility']}, margin {b['margin']}, length {b['length']}
- after: reward {a['reward']}, agreement {a['agreement_rate']}, utility {a['utility']}, margin {a['margin']}, length {a['length']}

| episodes | reward | agreement | utility | margin | length |
|---|---|---|---|---|---|
{rows}"""
