"""Many act-level games at once, in lockstep, for RL training and the planner's rollouts.

The rules are dialogue/session.py's: turns alternate; a deal is an offer accepted on the next
turn; a quit ends with no deal; after `turn_limit` turns the game ends with no deal, except that an
offer made on the last turn may still be answered. No transcript is kept; every act passes the
guard. Each turn, a ModelPlayer decides for all the games waiting on it in one forward.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Union

from parser.acts import Act, Intent, Role, other_role
from strategy.guard import Decision, guard
from strategy.learned.policy import ModelPlayer
from strategy.policies.base import Policy
from strategy.principal import Principal
from strategy.state import NegotiationState

Player = Union[Policy, ModelPlayer]


@dataclass
class Seat:
    state: NegotiationState
    player: Player


@dataclass
class Game:
    seats: dict[Role, Seat]
    to_move: Role
    turn_limit: int
    turn: int = 0
    offer: float | None = None
    """An offer made on the previous turn, awaiting this turn's answer."""
    deal: float | None = None
    done: bool = False

    def step(self, act: Act) -> None:
        """The player to move says `act` (already guarded)."""
        self.seats[self.to_move].state.observe_mine(act)
        self.seats[other_role(self.to_move)].state.observe_partner(act)
        if act.intent is Intent.ACCEPT and self.offer is not None:
            self.deal, self.done = self.offer, True
            return
        if act.intent is Intent.QUIT:
            self.done = True
            return
        self.offer = act.price if act.intent is Intent.OFFER else None
        self.turn += 1
        self.to_move = other_role(self.to_move)
        if self.turn > self.turn_limit or (self.turn == self.turn_limit and self.offer is None):
            self.done = True


def new_game(principals: dict[Role, Principal], players: dict[Role, Player], first: Role) -> Game:
    turn_limit = principals["buyer"].turn_limit
    return Game({r: Seat(NegotiationState(principals[r]), players[r]) for r in ("buyer", "seller")}, first, turn_limit)


def partner_view(state: NegotiationState, partner: Principal) -> NegotiationState:
    """What the partner, bargaining for `partner`, has seen of this talk."""
    view = NegotiationState(partner)
    for mine, act in state.history:
        (view.observe_partner if mine else view.observe_mine)(act)
    return view


def play_games(games: list[Game], rng: random.Random) -> None:
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
