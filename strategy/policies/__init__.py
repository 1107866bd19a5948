"""The policies, registered by name: the one place a new policy (learned ones too) plugs in."""
from __future__ import annotations

import random

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


class UnknownPolicy(ValueError):
    pass


def check_policy_names(names: list[str]) -> None:
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise UnknownPolicy(f"unknown agent {', '.join(map(repr, unknown))}; valid: {', '.join(POLICIES)}")


def make_policy(name: str, principal: Principal, rng: random.Random) -> Policy:
    check_policy_names([name])
    return POLICIES[name](principal, rng)


__all__ = ["LEARNED", "POLICIES", "Policy", "PolicyFactory", "UnknownPolicy", "check_policy_names", "make_policy"]
