"""The policies, registered by name: the one place a new policy (learned ones too) plugs in."""
from __future__ import annotations

import difflib
import random
from pathlib import Path

from strategy.policies.base import Policy, PolicyFactory
from strategy.policies.hardliner import HardlinerPolicy
from strategy.policies.random_acts import RandomPolicy
from strategy.policies.rule import RulePolicy
from strategy.policies.time_based import BoulwarePolicy, ConcederPolicy, LinearPolicy
from strategy.policies.tit_for_tat import TitForTatPolicy
from strategy.principal import Principal


def learned(name: str) -> PolicyFactory:
    """A learned policy's factory: its model (and torch) load when the first one is built, not before."""
    def build(principal: Principal, rng: random.Random) -> Policy:
        from strategy.learned.checkpoints import build_learned
        return build_learned(name, principal, rng)
    return build


LEARNED = ("sl", "rl-utility", "rl-fairness", "rl-length", "planner")
"""The learned policies: the checkpoints shipped in data/policies/, and the planner that uses `sl`."""

POLICY_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "policies"
"""The shipped checkpoints, a directory each: POLICY_DIR/NAME for each learned policy but the planner."""

POLICIES: dict[str, PolicyFactory] = {
    "rule": RulePolicy,
    "boulware": BoulwarePolicy,
    "conceder": ConcederPolicy,
    "linear": LinearPolicy,
    "tft": TitForTatPolicy,
    "hardliner": HardlinerPolicy,
    "random": RandomPolicy,
    **{name: learned(name) for name in LEARNED},
}


CHECKPOINT = "policy:"
"""`policy:DIR` names the policy in checkpoint directory DIR, one that `haggler train policy` or `haggler train rl`
saved."""


class UnknownPolicy(ValueError):
    pass


def checkpoint_dir(name: str) -> str | None:
    """DIR, where the name is `policy:DIR`."""
    return name[len(CHECKPOINT):] if name.startswith(CHECKPOINT) and len(name) > len(CHECKPOINT) else None


def did_you_mean(name: str, valid: list[str]) -> str:
    """" (did you mean 'rule'?)" for a typo of a valid name (any case), else nothing."""
    close = difflib.get_close_matches(name.lower(), valid, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_policy_names(names: list[str]) -> None:
    """Every name is a registered policy or a checkpoint directory (`policy:DIR`, loaded here: a bad one is said
    before any game)."""
    unknown = [n for n in names if n not in POLICIES and checkpoint_dir(n) is None]
    if unknown:
        raise UnknownPolicy(f"unknown agent {', '.join(map(repr, unknown))}{did_you_mean(unknown[0], list(POLICIES))}"
                            f"; valid: {', '.join(POLICIES)}, {CHECKPOINT}DIR")
    for name in names:
        if (directory := checkpoint_dir(name)) is not None:
            from strategy.learned.model import CheckpointError
            from strategy.learned.policy import shared_player
            try:
                shared_player(directory, name)
            except CheckpointError as e:  # it names the directory
                raise UnknownPolicy(str(e)) from None


def make_policy(name: str, principal: Principal, rng: random.Random) -> Policy:
    check_policy_names([name])
    if (directory := checkpoint_dir(name)) is not None:
        from strategy.learned.checkpoints import build_checkpoint
        return build_checkpoint(directory, principal, rng)
    return POLICIES[name](principal, rng)


__all__ = ["CHECKPOINT", "LEARNED", "POLICIES", "POLICY_DIR", "Policy", "PolicyFactory", "UnknownPolicy",
           "check_policy_names", "checkpoint_dir", "did_you_mean", "make_policy"]
