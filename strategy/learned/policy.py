"""Policies that act by sampling the act model: `sl` and the `rl-*` fine-tunings.

A ModelPlayer decides for many states at once (one forward); the tournament's LearnedPolicy is one
player deciding for one state. Decisions still pass the guard in the negotiator, like any policy's.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from strategy.guard import Decision
from strategy.learned.encoding import MOVES, NEW_PRICE, PRICE_BINS, encode, legal, move_act
from strategy.learned.model import ActModel, load_model
from strategy.principal import Principal
from strategy.state import NegotiationState

PRICE_NAMES = ("partner's price", "my price", *(f"{b:.1f} of the way to target" for b in PRICE_BINS))


@dataclass
class Trace:
    """Decisions, one row each: the state's features and legal moves, the move made, and the price chosen (-1 where
    the move names no new price). The examples of supervised training, and what a recording player chose for a
    policy gradient (`tags`: the game of each row)."""
    tags: list[Any] = field(default_factory=list)
    features: list[list[float]] = field(default_factory=list)
    legal: list[list[bool]] = field(default_factory=list)
    moves: list[int] = field(default_factory=list)
    choices: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.moves)

    def as_tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(features, legal, moves, choices)"""
        return (torch.tensor(self.features, dtype=torch.float32), torch.tensor(self.legal, dtype=torch.bool),
                torch.tensor(self.moves), torch.tensor(self.choices))


def tensors(states: list[NegotiationState]) -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.tensor([encode(s) for s in states], dtype=torch.float32),
            torch.tensor([legal(s) for s in states], dtype=torch.bool))


def sample_rows(logp: torch.Tensor, rng: random.Random, temperature: float) -> np.ndarray:
    """One index a row, drawn from exp(logp / temperature) with the Python random stream (0: argmax)."""
    if temperature <= 0:
        return logp.argmax(-1).numpy()
    probs = torch.softmax(logp / temperature, -1).numpy().astype(np.float64)
    u = np.array([rng.random() for _ in range(len(probs))])[:, None] * probs.sum(1, keepdims=True)
    return np.minimum((np.cumsum(probs, 1) < u).sum(1), probs.shape[1] - 1)


class ModelPlayer:
    """Samples moves from an act model for a batch of states; optionally records them in `trace`."""

    def __init__(self, model: ActModel, name: str = "model", temperature: float = 1.0) -> None:
        self.model = model
        self.name = name
        self.temperature = temperature
        self.trace: Trace | None = None

    def decide_many(self, states: list[NegotiationState], rng: random.Random, tags: list[Any] | None = None,
                    explain: bool = False) -> list[Decision]:
        """A decision for each state; `explain` writes the chosen moves' probabilities into the reasons."""
        x, ok = tensors(states)
        with torch.inference_mode():
            h = self.model.body(x)
            move_logp = self.model.move_logp(h, ok)
            moves = sample_rows(move_logp, rng, self.temperature)
            price_logp = self.model.price_logp(h, torch.from_numpy(moves))
            choices = sample_rows(price_logp, rng, self.temperature)
        if self.trace is not None:
            self.trace.tags += tags if tags is not None else [None] * len(states)
            self.trace.features += x.tolist()
            self.trace.legal += ok.tolist()
            self.trace.moves += moves.tolist()
            self.trace.choices += [int(c) if MOVES[m] in NEW_PRICE else -1 for m, c in zip(moves, choices)]
        decisions = [Decision(move_act(s, int(m), int(c)), self.name) for s, m, c in zip(states, moves, choices)]
        if explain:
            move_p, price_p = move_logp.exp().numpy(), price_logp.exp().numpy()
            for i, d in enumerate(decisions):
                m, c = moves[i], choices[i]
                d.reason = f"{self.name}: {MOVES[m]} (p={move_p[i, m]:.2f})"
                if MOVES[m] in NEW_PRICE:
                    d.reason += f" at {PRICE_NAMES[c]} (p={price_p[i, c]:.2f})"
        return decisions


class LearnedPolicy:
    """The registry's face of a ModelPlayer: one state at a time, the policy's own random stream."""

    def __init__(self, player: ModelPlayer, principal: Principal, rng: random.Random) -> None:
        self.player = player
        self.principal = principal
        self.rng = rng

    def decide(self, state: NegotiationState) -> Decision:
        return self.player.decide_many([state], self.rng, explain=True)[0]


_players: dict[tuple[str, float], ModelPlayer] = {}


def shared_player(directory: str | Path, name: str, temperature: float = 1.0) -> ModelPlayer:
    """The player of a checkpoint, loaded once per process."""
    key = (str(directory), temperature)
    if key not in _players:
        torch.set_num_threads(1)  # the models are tiny: threads only cost here, a lot on a busy machine
        model, _ = load_model(directory)
        _players[key] = ModelPlayer(model, name, temperature)
    return _players[key]
