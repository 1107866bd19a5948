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

POLICIES: dict[str, PolicyFactory] = {
    "rule": RulePolicy,
    "boulware": BoulwarePolicy,
    "conceder": ConcederPolicy,
    "linear": LinearPolicy,
    "tft": TitForTatPolicy,
    "hardliner": HardlinerPolicy,
    "random": RandomPolicy,
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


__all__ = ["POLICIES", "Policy", "PolicyFactory", "UnknownPolicy", "check_policy_names", "make_policy"]
