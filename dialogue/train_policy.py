"""`haggler train policy`: the `sl` act policy, by supervised learning on the human dialogues' acts.

Examples come from dialogue/policy_data.py; dialogues are split into training and validation
(by dialogue, seeded). The model with the lowest validation loss is kept and checked twice more:
its next-intent accuracy on an evaluation file (test.json, never trained on), and its agreement
rate playing itself on the validation dialogues' scenarios. The checkpoint directory gets the
weights, config.json and a card (README.md) with the data, the command and the metrics.
"""
from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from dialogue.cards import command_and_settings
from dialogue.corpus import DEFAULT_DATA, load_dialogues
from dialogue.files import staged
from dialogue.lm import message_line
from dialogue.policy_data import TrainError, examples_of, load_training_dialogues, split_dialogues
from dialogue.policy_games import play_against, summary
from strategy.learned.encoding import MOVES
from strategy.learned.model import LARGEST, ActModel, ModelConfig, save_model
from strategy.learned.policy import ModelPlayer, Trace


@dataclass
class PolicyTrainConfig:
    out: Path
    data: list[str] = field(default_factory=lambda: [DEFAULT_DATA])
    epochs: int = 30
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    hidden: int = 64
    layers: int = 2
    held_out: float = 0.1
    """Fraction of the dialogues held out for validation."""
    eval_data: str | None = None
    """A dialogue file to report next-intent accuracy on (test.json); never trained on."""
    selfplay_games: int = 400
    seed: int = 0
    threads: int = 1
    progress: bool = True
    command: str = ""


def check_finite(model: torch.nn.Module, loss: float, lr: float) -> None:
    """Stops a run whose loss or weights are no longer numbers, before it saves them."""
    if not math.isfinite(loss) or not all(p.isfinite().all() for p in model.parameters()):
        raise TrainError(f"training diverged: the loss or the weights are no longer numbers; try a lower --lr "
                         f"than {lr:g}")


def losses(move_logp, price_logp, moves, choices) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy of the moves, and of the price choices where a move names a new price (the model's
    log-probabilities of each)."""
    move_loss = -move_logp.gather(1, moves[:, None]).mean()
    priced = choices >= 0
    price_loss = -price_logp[priced].gather(1, choices[priced][:, None]).mean() if priced.any() else move_loss * 0
    return move_loss, price_loss


@torch.no_grad()
def accuracy(model: ActModel, ex: Trace) -> dict:
    """Next-intent accuracy (argmax of the legal moves) and price-choice accuracy, on examples."""
    x, ok, moves, choices = ex.as_tensors()
    move_logp, price_logp = model(x, ok, moves)
    move_loss, price_loss = losses(move_logp, price_logp, moves, choices)
    priced = choices >= 0
    majority = Counter(ex.moves).most_common(1)[0][1] / len(ex)
    return {"examples": len(ex), "next_intent_accuracy": round((move_logp.argmax(1) == moves).float().mean().item(), 4),
            "majority_baseline": round(majority, 4),
            "price_choice_accuracy": round((price_logp[priced].argmax(1) == choices[priced]).float().mean().item(), 4),
            "move_loss": round(move_loss.item(), 4), "price_loss": round(price_loss.item(), 4)}


def train_policy(config: PolicyTrainConfig) -> dict:
    """Trains, writes the checkpoint to config.out, and returns the metrics its card shows."""
    if config.hidden > LARGEST.hidden:
        raise TrainError(f"--hidden {config.hidden}: at most {LARGEST.hidden} (a checkpoint loads no larger model)")
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    start = time.perf_counter()
    eval_dialogues = load_dialogues(config.eval_data) if config.eval_data else None  # fails before training
    eval_examples = examples_of(eval_dialogues) if eval_dialogues is not None else None
    if eval_examples is not None and not len(eval_examples):
        raise TrainError(f"{config.eval_data}: no acts to evaluate on")
    dialogues = load_training_dialogues(config.data)
    trained = {d.uuid for d in dialogues if d.uuid} & {d.uuid for d in eval_dialogues or []}
    if trained:
        raise TrainError(f"--eval {config.eval_data}: {len(trained)} of its {len(eval_dialogues)} dialogues are "
                         f"trained on (in --data): held-out figures need dialogues the policy never saw")
    train_d, val_d = split_dialogues(dialogues, config.held_out, config.seed)
    train, val = examples_of(train_d), examples_of(val_d)
    if not len(train):
        raise TrainError(f"{' '.join(config.data)}: no acts to learn from in the training dialogues")
    x, ok, moves, choices = train.as_tensors()
    model = ActModel(ModelConfig(config.hidden, config.layers))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    best, best_state, history = float("inf"), model.state_dict(), []
    for epoch in tqdm(range(config.epochs), desc="train policy", unit="epoch", disable=None if config.progress else True):
        model.train()
        for batch in torch.randperm(len(train), generator=generator).split(config.batch_size):
            move_loss, price_loss = losses(*model(x[batch], ok[batch], moves[batch]), moves[batch], choices[batch])
            loss = move_loss + price_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            check_finite(model, loss.item(), config.lr)
        model.eval()
        metrics = accuracy(model, val) if len(val) else accuracy(model, train)
        loss = round(metrics["move_loss"] + metrics["price_loss"], 4)
        history.append({"epoch": epoch + 1, "val_loss": loss, "val_next_intent_accuracy": metrics["next_intent_accuracy"]})
        if loss < best:
            best, best_state = loss, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    result = {"dialogues": len(dialogues), "train_dialogues": len(train_d), "val_dialogues": len(val_d),
              "train_examples": len(train), "validation": accuracy(model, val) if len(val) else None,
              "best_epoch": min(history, key=lambda h: h["val_loss"])["epoch"], "history": history}
    if eval_examples is not None:
        result["eval"] = {"file": config.eval_data, **accuracy(model, eval_examples)}
    scenarios = [d.scenario for d in (val_d or train_d)]
    played = {"scenarios": len(scenarios), "of": "validation" if val_d else "training"}
    scenarios = (scenarios * (config.selfplay_games // max(1, len(scenarios)) + 1))[:config.selfplay_games]
    player = ModelPlayer(model, "sl")
    result["selfplay"] = {**summary(play_against(player, player, scenarios, random.Random(config.seed))), **played}
    result["train_seconds"] = round(time.perf_counter() - start, 1)
    meta = {"kind": "sl", "data": config.data, "command": config.command, "seed": config.seed,
            "metrics": {k: v for k, v in result.items() if k != "history"}}
    save_checkpoint(model, config.out, meta, "sl: the supervised act policy", sl_card(config, result), config.command,
                    asdict(config))
    return result


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def sl_card(config: PolicyTrainConfig, r: dict) -> str:
    v = r["validation"] or {}
    lines = [
        "Predicts the next act (intent and price) of one side of a CraigslistBargain negotiation from the dialogue",
        "so far and that side's principal; prices scaled 0 at the walk-away price, 1 at the target (He et al. 2018).",
        "",
        "## Data",
        f"{', '.join(config.data)}"
        + (" (`craigslist` = dev.json and the dialogues of silver-acts/luis-acts.json in neither dev nor test)"
           if DEFAULT_DATA in config.data else "")
        + ", every message's act read by haggler's parser: "
        f"{r['dialogues']} dialogues, {r['train_examples']} training examples from {r['train_dialogues']} dialogues; "
        f"{plural(r['val_dialogues'], 'dialogue')} held out for validation"
        + ("." if r["val_dialogues"] else " (too few dialogues to hold any out)."),
        "",
        "## Training",
        f"MLP {config.layers} x {config.hidden} (tanh), moves {len(MOVES)}, AdamW lr {config.lr}, batch {config.batch_size},"
        f" {plural(config.epochs, 'epoch')} (best {'validation' if r['val_dialogues'] else 'training'} loss at epoch "
        f"{r['best_epoch']}), seed {config.seed}; "
        f"{r['train_seconds']} s.",
        "",
        "## Metrics",
        f"- validation: next-intent accuracy {v.get('next_intent_accuracy')} (majority class "
        f"{v.get('majority_baseline')}), price-choice accuracy {v.get('price_choice_accuracy')}" if v
        else "- validation: none (nothing held out)",
    ]
    if "eval" in r:
        e = r["eval"]
        lines.append(f"- held out ({e['file']}, {e['examples']} acts): next-intent accuracy {e['next_intent_accuracy']} "
                     f"(majority class {e['majority_baseline']}), price-choice accuracy {e['price_choice_accuracy']}")
    s = r["selfplay"]
    lines.append(f"- self-play, {s['games']} games on the {s['scenarios']} {s['of']} scenarios: "
                 f"agreement {s['agreement_rate']} (human-human: 0.72), length {s['length']} turns")
    return "\n".join(lines)


def save_checkpoint(model: ActModel, out: Path, meta: dict, title: str, body: str, command: str,
                    settings: dict) -> None:
    """The checkpoint (config.json, weights.pt) and its card (README.md) in `out`, all or none: a save cut short
    (a full disk) leaves an earlier checkpoint there as it was, and is a TrainError."""
    try:
        with staged(out) as stage:
            save_model(model, stage, meta)
            text = f"# {title}\n\n{body}\n\n{command_and_settings(command, settings)}"
            (stage / "README.md").write_text(text, encoding="utf-8")
    except (OSError, RuntimeError) as e:  # torch.save's failed write is a RuntimeError
        raise TrainError(f"{out}: cannot save the checkpoint ({message_line(e)})") from None
