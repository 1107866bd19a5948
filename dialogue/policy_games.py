"""Act-level games for training and checking the act policies: a player against an opponent on
scenarios, many at once (strategy/learned/play.py), and what came of them."""
from __future__ import annotations

import random
from dataclasses import dataclass

from dialogue.corpus import Scenario
from dialogue.scoring import margin_for
from dialogue.session import principal_of
from parser.acts import ROLES, Role, other_role
from strategy.learned.play import LockstepGame, Player, new_game, play_lockstep
from strategy.learned.policy import ModelPlayer
from strategy.policies import PolicyFactory
from strategy.principal import DEFAULT_TURN_LIMIT

Opponent = ModelPlayer | PolicyFactory


@dataclass
class Played:
    game: LockstepGame
    scenario: Scenario
    role: Role
    """The learner's role."""

    @property
    def agreed(self) -> bool:
        return self.game.deal is not None

    @property
    def utility(self) -> float:
        return self.game.seats[self.role].state.principal.utility(self.game.deal)

    @property
    def margin(self) -> float | None:
        """He et al.'s margin for the learner; None without a deal."""
        if self.game.deal is None:
            return None
        return margin_for(self.role, self.game.deal, self.scenario)

    @property
    def length(self) -> int:
        """Messages and formal events, both sides."""
        return self.game.seats[self.role].state.turn


def play_against(learner: ModelPlayer, opponent: Opponent, scenarios: list[Scenario], rng: random.Random,
                 turn_limit: int = DEFAULT_TURN_LIMIT) -> list[Played]:
    """One game a scenario, the learner in a random role, a random side first."""
    games, roles = [], []
    for scenario in scenarios:
        role: Role = rng.choice(ROLES)
        principals = {r: principal_of(scenario.kb(r), turn_limit) for r in ROLES}
        other = opponent if isinstance(opponent, ModelPlayer) else \
            opponent(principals[other_role(role)], random.Random(rng.random()))
        players: dict[Role, Player] = {role: learner, other_role(role): other}
        games.append(new_game(principals, players, rng.choice(ROLES)))
        roles.append(role)
    play_lockstep(games, rng)
    return [Played(g, s, r) for g, s, r in zip(games, scenarios, roles)]


def summary(played: list[Played]) -> dict:
    n = max(1, len(played))
    deals = [p for p in played if p.agreed]
    return {"games": len(played), "agreement_rate": round(len(deals) / n, 4),
            "utility": round(sum(p.utility for p in played) / n, 4),
            "margin": round(sum(p.margin for p in deals) / max(1, len(deals)), 4),  # type: ignore[misc]
            "length": round(sum(p.length for p in played) / n, 2)}
