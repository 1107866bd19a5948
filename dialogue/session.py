"""The session protocol (the mechanism): two parties alternate turns until a deal, a quit or the turn limit.

A turn is a chat act or a formal event, as in CraigslistBargain: `offer(price)`, `accept`,
`reject`, `quit`. A deal is an offer followed at once by the partner's accept; a reject (or any
other reply) leaves the offer behind and the talk goes on; a quit ends with no deal. After
`turn_limit` turns the session ends with no deal, except that an offer made on the last turn
may still be answered. Parties exchange acts, no text; the session records a CraigslistBargain
transcript with each act in its event's metadata and the party's decision record under `audit`.
"""
from __future__ import annotations

from typing import Protocol

from dialogue.corpus import KB, Dialogue, Event, Outcome, Scenario
from parser.acts import Act, Intent, Role, other_role
from strategy.principal import DEFAULT_TURN_LIMIT, Principal

FORMAL_ACTIONS = {Intent.OFFER: "offer", Intent.ACCEPT: "accept", Intent.REJECT: "reject", Intent.QUIT: "quit"}


class Party(Protocol):
    """One side of a session; haggler's is strategy.negotiator.Negotiator."""
    name: str

    def send(self) -> tuple[Act, dict]: ...

    def receive(self, act: Act) -> None: ...


def principal_of(kb: KB, turn_limit: int = DEFAULT_TURN_LIMIT) -> Principal:
    return Principal(kb.role, float(kb.target), kb.walk_away, float(kb.item.price), turn_limit)


def event_of(act: Act, agent: int, turn: int, audit: dict) -> Event:
    action = FORMAL_ACTIONS.get(act.intent)
    if action is None:
        return Event("message", agent, str(act), turn,
                     {"intent": act.intent.value, "price": act.price, "audit": audit})
    data = {"price": act.price, "sides": ""} if act.intent is Intent.OFFER else None
    return Event(action, agent, data, turn, {"audit": audit})


def run_session(scenario: Scenario, parties: dict[Role, Party], first: Role = "buyer",
                turn_limit: int = DEFAULT_TURN_LIMIT, uuid: str = "") -> Dialogue:
    agent_of = {role: scenario.agent_of(role) for role in parties}
    events: list[Event] = []
    deal: float | None = None
    offer: float | None = None  # made on the previous turn, awaiting this turn's answer
    role = first
    for turn in range(turn_limit + 1):
        if turn == turn_limit and offer is None:
            break
        act, audit = parties[role].send()
        events.append(event_of(act, agent_of[role], turn, audit))
        parties[other_role(role)].receive(act)
        if act.intent is Intent.ACCEPT and offer is not None:
            deal = offer
            break
        if act.intent is Intent.QUIT:
            break
        offer = act.price if act.intent is Intent.OFFER else None
        role = other_role(role)
    outcome = Outcome(1, deal, {"offer": {"price": deal, "sides": ""}}) if deal is not None else Outcome(0, None, {"offer": None})
    agents = {str(agent_of[r]): parties[r].name for r in parties}
    return Dialogue(uuid, scenario, events, outcome, agents)
