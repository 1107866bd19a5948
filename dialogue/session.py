"""The session (the mechanism): two parties alternate turns until a deal, a quit or the turn limit.

A turn is a chat act or a formal event, as in CraigslistBargain: `offer(price)`, `accept`,
`reject`, `quit`. A deal is an offer followed at once by the partner's accept; a reject (or any
other reply) leaves the offer behind and the talk goes on; a quit ends with no deal. After
`turn_limit` turns the session ends with no deal, except that an offer made on the last turn
may still be answered (strategy/protocol.py keeps these rules). Parties exchange acts, no text;
the session records a CraigslistBargain transcript with each act in its event's metadata and the
party's decision record under `audit`.
"""
from __future__ import annotations

from typing import Protocol

from dialogue.corpus import KB, Dialogue, Event, Outcome, Scenario
from parser.acts import Act, Intent, Role, other_role
from strategy.principal import DEFAULT_TURN_LIMIT, Principal
from strategy.protocol import Talk

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


def outcome_of(deal: float | None) -> Outcome:
    return Outcome(1, deal, {"offer": {"price": deal, "sides": ""}}) if deal is not None \
        else Outcome(0, None, {"offer": None})


def run_session(scenario: Scenario, parties: dict[Role, Party], first: Role = "buyer",
                turn_limit: int = DEFAULT_TURN_LIMIT, uuid: str = "") -> Dialogue:
    agent_of = {role: scenario.agent_of(role) for role in parties}
    events: list[Event] = []
    talk = Talk(first, turn_limit)
    while not talk.done:
        role = talk.to_move
        act, audit = parties[role].send()
        events.append(event_of(act, agent_of[role], talk.turn, audit))
        parties[other_role(role)].receive(act)
        talk.play(act)
    agents = {str(agent_of[r]): parties[r].name for r in parties}
    return Dialogue(uuid, scenario, events, outcome_of(talk.deal), agents)
