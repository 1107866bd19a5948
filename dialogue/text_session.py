"""Dialogues in text: the two sides meet only through words (parse → decide → render).

A `Side` is one party: an agent (parser + negotiator + generator, dialogue/agents.py) or a person
(dialogue/chat.py). Each turn the side to move picks a move; a chat act with no words yet is handed
out as a render request (so many dialogues can share one batched generator call), and the words
come back through `deliver`. The other side reads the words with its own parser; formal events
(offer, accept, reject, quit) pass as they are. The protocol is strategy/protocol.py's (`Talk`), as in
act-level sessions: a deal is an offer accepted at once, a quit ends the talk, after `turn_limit`
turns it ends with no deal (an offer on the last turn may still be answered).

Each message event's metadata holds the writer's act (`intent`, `price`), what the reader's parser
read (`read`), and the writer's decision record (`audit`, with the generator's record).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from dialogue.corpus import Dialogue, Event, Scenario
from dialogue.generator import Rendering, Request, says
from dialogue.generator_data import Context, Turn
from dialogue.session import event_of, outcome_of
from parser.acts import Act, Role, other_role
from parser.rules import ActReader
from strategy.principal import DEFAULT_TURN_LIMIT
from strategy.protocol import Talk


@dataclass(frozen=True)
class LiveContext(Context):
    """The generator's view of the dialogue, with the side's own reader (it has read these turns already)."""
    live: ActReader | None = None

    def reader(self) -> ActReader:
        return self.live.fork() if self.live is not None else super().reader()


@dataclass
class Move:
    act: Act
    audit: dict = field(default_factory=dict)
    text: str | None = None
    """The words, where the side wrote them itself (a person); else its generator says the act."""


class Side:
    """One party of a text dialogue: what it has read, and how it moves. Subclasses decide `move`."""

    def __init__(self, name: str, role: Role, scenario: Scenario) -> None:
        self.name = name
        self.role = role
        self.title = scenario.item.title
        self.listing_price = scenario.listing_price
        self.reader = ActReader(scenario.listing_price)
        self.turns: tuple[Turn, ...] = ()
        self.last_read: Act | None = None
        """The partner's latest move as this side understood it."""

    def move(self) -> Move:
        raise NotImplementedError

    def request(self, act: Act) -> Request:
        return Request(act, self.role, LiveContext(self.title, self.listing_price, self.turns, self.reader))

    def words(self, rendering: Rendering) -> str:
        """The text that goes out for a rendering (adversarial agents add to it)."""
        return rendering.text

    def wrote(self, text: str) -> None:
        self.reader.read(self.role, text)
        self.turns += (Turn(self.role, text),)

    def did(self, act: Act) -> None:
        self.reader.observe(self.role, act)
        self.turns += (Turn(self.role, "", act),)

    def read(self, text: str) -> Act:
        act = self.reader.read(other_role(self.role), text)
        self.turns += (Turn(other_role(self.role), text),)
        self.last_read = act
        self.heard(act)
        return act

    def saw(self, act: Act) -> None:
        self.reader.observe(other_role(self.role), act)
        self.turns += (Turn(other_role(self.role), "", act),)
        self.last_read = act
        self.heard(act)

    def heard(self, act: Act) -> None:
        """The partner's move, as read: a policy takes it in here."""


def turn_clock(turn: int) -> float:
    return float(turn)


class TextSession:
    """One dialogue, stepped from outside: `advance()` plays until words are needed, `deliver()` gives them."""

    def __init__(self, scenario: Scenario, sides: dict[Role, Side], first: Role = "buyer",
                 turn_limit: int = DEFAULT_TURN_LIMIT, uuid: str = "",
                 on_event: Callable[[Event], None] | None = None, clock: Callable[[int], float] = turn_clock) -> None:
        self.scenario = scenario
        self.sides = sides
        self.talk = Talk(first, turn_limit)
        self.uuid = uuid
        self.on_event = on_event
        self.clock = clock
        self.agent_of = {role: scenario.agent_of(role) for role in sides}
        self.events: list[Event] = []
        self.pending: Move | None = None

    def advance(self) -> Request | None:
        """Plays turns until one needs its words rendered (returns that request) or the dialogue ends (None)."""
        while not self.talk.done:
            side = self.sides[self.talk.to_move]
            move = side.move()
            if move.act.is_formal or move.text is not None:
                self.play(move, move.text or "")
                continue
            self.pending = move
            return side.request(move.act)
        return None

    def deliver(self, rendering: Rendering) -> None:
        move, self.pending = self.pending, None
        assert move is not None, "deliver() without a pending request"
        move.audit["generator"] = rendering.record
        self.play(move, self.sides[self.talk.to_move].words(rendering))

    def play(self, move: Move, text: str) -> None:
        role = self.talk.to_move
        side, other = self.sides[role], self.sides[other_role(role)]
        act, agent, when = move.act, self.agent_of[role], self.clock(self.talk.turn)
        if act.is_formal:
            side.did(act)
            other.saw(act)
            event = event_of(act, agent, self.talk.turn, move.audit)
            event.time = when
        else:
            side.wrote(text)
            read = other.read(text)
            event = Event("message", agent, text, when,
                          {"intent": act.intent.value, "price": act.price, "read": read.to_metadata(), "audit": move.audit})
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        self.talk.play(act)

    def stop(self) -> None:
        """Ends the dialogue where it stands (no deal unless one was made)."""
        self.talk.done = True
        self.pending = None

    def ending(self) -> str:
        """How the dialogue stands: in progress, deal, walk-away, turn limit, or stopped (interrupted)."""
        if not self.talk.done:
            return "in progress"
        if self.talk.deal is not None:
            return "deal"
        if self.events and self.events[-1].action == "quit":
            return "walk-away"
        return "turn limit" if self.talk.out_of_turns() else "stopped"

    def dialogue(self) -> Dialogue:
        agents = {str(self.agent_of[r]): self.sides[r].name for r in self.sides}
        return Dialogue(self.uuid, self.scenario, list(self.events), outcome_of(self.talk.deal), agents,
                        {"ended": self.ending()})


def read_right(event: Event) -> bool | None:
    """For a message of a text transcript: did the reader parse the writer's act? As the generator checks its own
    words (`says`): the same intent and price, where a price proposal's kind (propose, counter, insist) may differ
    and an agreement that names no price agrees to the price on the table. None for anything else."""
    meta = event.metadata or {}
    if event.action != "message" or not meta.get("intent") or not isinstance(meta.get("read"), dict):
        return None
    read = meta["read"]
    return says(Act.from_metadata(read), Act.from_metadata(meta))
