"""The session's rules, as where a talk stands: turns alternate; a deal is an offer accepted on the next turn; a
quit ends the talk with no deal; after `turn_limit` turns it ends with no deal, except that an offer made on the
last turn may still be answered.

dialogue/session.py and dialogue/text_session.py run parties under these rules; the planner's rollouts
(strategy/learned/play.py) play by them too, which is why they live below dialogue/.
"""
from __future__ import annotations

from dataclasses import dataclass

from parser.acts import Act, Intent, Role, other_role


@dataclass(slots=True)
class Talk:
    to_move: Role
    turn_limit: int
    turn: int = 0
    offer: float | None = None
    """An offer made on the previous turn, awaiting this turn's answer."""
    deal: float | None = None
    done: bool = False

    def __post_init__(self) -> None:
        self.done = self.done or self.out_of_turns()

    def out_of_turns(self) -> bool:
        return self.turn > self.turn_limit or (self.turn == self.turn_limit and self.offer is None)

    def play(self, act: Act) -> None:
        """The side to move does `act`."""
        if act.intent is Intent.ACCEPT and self.offer is not None:
            self.deal, self.done = self.offer, True
        elif act.intent is Intent.QUIT:
            self.done = True
        else:
            self.offer = act.price if act.intent is Intent.OFFER else None
            self.turn += 1
            self.to_move = other_role(self.to_move)
            self.done = self.out_of_turns()
