"""The act model: a small MLP from the encoded state to the next move and its price choice.

A checkpoint is a directory: config.json (the ModelConfig and what made it), weights.pt (the
state dict), and README.md (the card, written by the training code).
"""
from __future__ import annotations

import json
import pickle
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from strategy.learned.encoding import MOVES, N_FEATURES, N_PRICES


class CheckpointError(ValueError):
    """A checkpoint directory that is missing or not one of haggler's act models."""


@dataclass(frozen=True)
class ModelConfig:
    hidden: int = 64
    layers: int = 2
    features: int = N_FEATURES
    moves: int = len(MOVES)
    prices: int = N_PRICES


LARGEST = ModelConfig(hidden=1024, layers=16)
"""The largest sizes a checkpoint's config may name (about 16 million weights at most; the shipped policies have 11,175):
a typo of more would make the model's tensors before any check of its weights. Its features, moves and prices are the
state encoding's."""


class ActModel(nn.Module):
    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        self.config = config
        dims = [config.features] + [config.hidden] * config.layers
        self.body = nn.Sequential(*[m for a, b in zip(dims, dims[1:]) for m in (nn.Linear(a, b), nn.Tanh())])
        self.move_head = nn.Linear(config.hidden, config.moves)
        self.price_head = nn.Linear(config.hidden + config.moves, config.prices)

    def move_logp(self, h: torch.Tensor, legal: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the moves, illegal ones (almost) impossible."""
        return torch.log_softmax(self.move_head(h).masked_fill(~legal, -1e9), -1)

    def price_logp(self, h: torch.Tensor, move: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the price choices given the move (a move index, -1 read as 0)."""
        onehot = nn.functional.one_hot(move.clamp(min=0), self.config.moves).to(h.dtype)
        return torch.log_softmax(self.price_head(torch.cat([h, onehot], -1)), -1)

    def forward(self, x: torch.Tensor, legal: torch.Tensor, move: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.move_logp(h, legal), self.price_logp(h, move)


CHECKPOINT_FILES = ("config.json", "weights.pt", "README.md")
"""What a policy checkpoint directory holds: the model's config, its weights and its card."""


def save_model(model: ActModel, out: Path, meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({"model": asdict(model.config), **meta}, indent=1) + "\n",
                                     encoding="utf-8")
    torch.save(model.state_dict(), out / "weights.pt")


def load_model(directory: str | Path) -> tuple[ActModel, dict]:
    """The model of a checkpoint directory, in eval mode, and its config.json."""
    directory = Path(directory)
    config_file, weights = directory / "config.json", directory / "weights.pt"
    if not directory.exists():
        raise CheckpointError(f"{directory}: no such directory (a policy checkpoint holds config.json and weights.pt)")
    if not config_file.is_file() or not weights.is_file():
        raise CheckpointError(f"{directory}: not a policy checkpoint (needs config.json and weights.pt)")
    try:
        meta = json.loads(config_file.read_text(encoding="utf-8"))
        config = ModelConfig(**meta["model"])
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        raise CheckpointError(f"{config_file}: not a policy's config ({type(e).__name__}: {e})") from None
    for name, value in asdict(config).items():
        if type(value) is not int or not 1 <= value <= getattr(LARGEST, name):
            raise CheckpointError(f"{config_file}: model.{name} must be a whole number from 1 to "
                                  f"{getattr(LARGEST, name)}, not {value!r}")
    if (config.features, config.moves, config.prices) != (N_FEATURES, len(MOVES), N_PRICES):
        raise CheckpointError(f"{directory}: made for another state encoding ({config.features} features, "
                              f"{config.moves} moves, {config.prices} prices)")
    model = ActModel(config)
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, EOFError, RuntimeError, KeyError, ValueError, OSError):  # OSError: cut short
        # not torch's message: it advises weights_only=False, which is unsafe
        raise CheckpointError(f"{weights}: not a haggler checkpoint (not a saved state dict)") from None
    if isinstance(state, dict) and (other := sorted({str(v.dtype).removeprefix("torch.") for v in state.values()
                                                     if isinstance(v, torch.Tensor) and v.dtype != torch.float32})):
        raise CheckpointError(f"{weights}: weights of {', '.join(other)}, where a checkpoint's are float32 (copied "
                              "in, they would lose what float32 keeps, or an imaginary part)")
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as e:
        raise CheckpointError(f"{weights}: not the weights of the model {config_file.name} describes "
                              f"({str(e).strip().splitlines()[0]})") from None
    if not all(p.isfinite().all() for p in model.parameters()):
        raise CheckpointError(f"{weights}: weights that are not numbers (NaN or infinite): a training that diverged")
    return model.eval(), meta
