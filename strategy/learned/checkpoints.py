"""The learned policies: the shipped checkpoints in data/policies/NAME, built by name for the registry, and any other
checkpoint directory (`policy:DIR`)."""
from __future__ import annotations

import random

from strategy.learned.planner import PlannerPolicy
from strategy.learned.policy import LearnedPolicy, shared_player
from strategy.policies import POLICY_DIR
from strategy.policies.base import Policy
from strategy.principal import Principal

PARTNER_MODEL = "sl"
"""The checkpoint the planner models its partner with (and its own continuation, with `continuation="sl"`)."""


def build_learned(name: str, principal: Principal, rng: random.Random) -> Policy:
    if name == "planner":
        return PlannerPolicy(shared_player(POLICY_DIR / PARTNER_MODEL, "sl"), principal, rng)
    return LearnedPolicy(shared_player(POLICY_DIR / name, name), principal, rng)


def build_checkpoint(directory: str, principal: Principal, rng: random.Random) -> Policy:
    """The policy of a checkpoint directory (`haggler train policy` or `haggler train rl`); CheckpointError if it
    holds none."""
    return LearnedPolicy(shared_player(directory, f"policy:{directory}"), principal, rng)
