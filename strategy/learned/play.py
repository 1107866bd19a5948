"""Many act-level games at once, in lockstep, for RL training and the planner's rollouts.

The rules are the session's (strategy/protocol.py). No transcript is kept; every act passes the
guard. Each turn, a ModelPlayer decides for all the games waiting on it in one forward.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Union

from parser.acts import Act, Role, other_role
from strategy.guard import Decision, guard
from strategy.learned.policy import ModelPlayer
from strategy.policies.base import Policy
from strategy.principal import Principal
from strategy.protocol import Talk
from strategy.state import NegotiationState

Player = Union[Policy, ModelPlayer]


@dataclass
class Seat:
    state: NegotiationState
    player: Player


@dataclass(slots=True)
class LockstepGame(Talk):
    """A game played in memory beside others (`play_lockstep`): each side's view of it and its player. Not the
    tournament's scheduled game (dialogue/games.py), which names agents and a scenario."""
    seats: dict[Role, Seat] = field(kw_only=True)

    def step(self, act: Act) -> None:
        """The player to move says `act` (already guarded)."""
        self.seats[self.to_move].state.observe_mine(act)
        self.seats[other_role(self.to_move)].state.observe_partner(act)
        self.play(act)


def new_game(principals: dict[Role, Principal], players: dict[Role, Player], first: Role) -> LockstepGame:
    turn_limit = principals["buyer"].turn_limit
    seats = {r: Seat(NegotiationState(principals[r]), players[r]) for r in ("buyer", "seller")}
    return LockstepGame(first, turn_limit, seats=seats)


def partner_view(state: NegotiationState, partner: Principal) -> NegotiationState:
    """What the partner, bargaining for `partner`, has seen of this talk."""
    return NegotiationState.after(partner, [(not mine, act) for mine, act in state.history])


def play_lockstep(games: list[LockstepGame], rng: random.Random) -> None:
    """Plays every game to its end."""
    while True:
        waiting = [i for i, g in enumerate(games) if not g.done]
        if not waiting:
            return
        decisions: dict[int, Decision] = {}
        groups: dict[int, list[int]] = {}
        for i in waiting:
            seat = games[i].seats[games[i].to_move]
            if isinstance(seat.player, ModelPlayer):
                groups.setdefault(id(seat.player), []).append(i)
            else:
                decisions[i] = seat.player.decide(seat.state)
        for members in groups.values():
            seats = [games[i].seats[games[i].to_move] for i in members]
            made = seats[0].player.decide_many([s.state for s in seats], rng, tags=members)  # type: ignore[union-attr]
            decisions.update(zip(members, made))
        for i in waiting:
            game = games[i]
            game.step(guard(decisions[i], game.seats[game.to_move].state).act)
