"""The games of a round robin: who meets whom on which scenario, and how one game is played fairly.

Which role speaks first and each role's random stream depend only on the seed, the scenario
and the repeat, never on who plays: every pair meets under the same conditions in both roles.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import combinations_with_replacement

from dialogue.corpus import Dialogue, Scenario
from dialogue.session import principal_of, run_session
from parser.acts import ROLES, Role
from strategy.negotiator import Negotiator
from strategy.policies import make_policy
from strategy.principal import DEFAULT_TURN_LIMIT


@dataclass(frozen=True, slots=True)
class Game:
    scenario: int
    repeat: int
    buyer: str
    seller: str

    @property
    def uuid(self) -> str:
        return f"s{self.scenario}-r{self.repeat}-{self.buyer}-{self.seller}"


def schedule(agents: list[str], n_scenarios: int, repeats: int) -> list[Game]:
    """Each pair once per role assignment (an agent against itself once) on every scenario and repeat."""
    games = []
    for i in range(n_scenarios):
        for r in range(repeats):
            for a, b in combinations_with_replacement(agents, 2):
                games.append(Game(i, r, a, b))
                if a != b:
                    games.append(Game(i, r, b, a))
    return games


def game_key(game: Game, seed: int) -> str:
    """What seeds a game, whoever plays it: its first speaker (`first_speaker`) and each side's policy (`KEY:ROLE`)."""
    return f"{seed}:{game.scenario}:{game.repeat}"


def first_speaker(key: str) -> Role:
    return random.Random(key).choice(ROLES)


def negotiator_for(name: str, policy: str, role: Role, scenario: Scenario, key: str,
                   turn_limit: int = DEFAULT_TURN_LIMIT) -> Negotiator:
    """A side's negotiator: its principal from the scenario, its policy's random stream seeded by `KEY:ROLE`."""
    principal = principal_of(scenario.kb(role), turn_limit)
    return Negotiator(name, principal, make_policy(policy, principal, random.Random(f"{key}:{role}")))


def play(game: Game, scenario: Scenario, seed: int, turn_limit: int = DEFAULT_TURN_LIMIT) -> Dialogue:
    key = game_key(game, seed)
    parties = {role: negotiator_for(name, name, role, scenario, key, turn_limit)
               for role, name in (("buyer", game.buyer), ("seller", game.seller))}
    return run_session(scenario, parties, first_speaker(key), turn_limit, game.uuid)  # type: ignore[arg-type]
