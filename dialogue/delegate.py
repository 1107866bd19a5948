"""Delegate mode (`haggler chat --delegate`): an agent bargains for the person, who approves any deal.

The person is the principal (their target and walk-away price); before the agent commits to a deal, a
formal offer or an acceptance, the person is asked, and a refusal sends the agent back to the table. At the end
of input, with no one there to approve a deal, the agent walks away.
"""
from __future__ import annotations

import random
from typing import Callable

from dialogue.agents import AgentSide, AgentSpec
from dialogue.corpus import Scenario
from dialogue.generator import Generator
from dialogue.text_session import Move
from parser.acts import Act, Intent, Role, write_price
from strategy.negotiator import Negotiator


class DelegateSide(AgentSide):
    """The person's agent: before it commits to a deal (a formal offer or an acceptance) the person approves;
    a refusal sends it back to the table (a rejection, or a push for a better price instead of its offer)."""

    def __init__(self, spec: AgentSpec, role: Role, scenario: Scenario, negotiator: Negotiator, generator: Generator,
                 rng: random.Random, approve: Callable[[str], bool]) -> None:
        """AgentSide's arguments, and `approve`: asks the person a question (whether to make a deal), True for yes."""
        super().__init__(spec, role, scenario, negotiator, generator, rng)
        self.approve = approve
        self.refused: float | None = None
        """The price of the best deal the person refused: their agent agrees to none as bad for them, in words
        either."""

    def vetted(self, move: Move) -> Move:
        act, state = move.act, self.negotiator.state
        if act.intent is Intent.AGREE and self.refused is not None:
            price = act.price if act.price is not None else state.partner_price
            if price is None or state.principal.at_least_as_good(self.refused, price):
                move.audit["override"] = f"the person refused a deal at {write_price(self.refused)}: {act}"
                return Move(Act(Intent.COUNTER_NOPRICE), move.audit)
        if act.intent is Intent.ACCEPT:
            price = state.partner_price or 0.0
            question = f"your agent wants to accept the offer of {write_price(price)}"
            refused = Act(Intent.REJECT)
        elif act.intent is Intent.OFFER:
            price = act.price  # type: ignore[assignment]
            question = f"your agent wants to make a formal offer of {write_price(price)}"
            refused = Act(Intent.COUNTER_NOPRICE)
        else:
            return move
        try:
            approved = self.approve(question)
        except EOFError:  # no one is there to approve anything
            move.audit["override"] = "end of input: the person is gone"
            return Move(Act(Intent.QUIT), move.audit)
        if approved:
            move.audit["approved"] = "by the person"
            return move
        move.audit["override"] = f"the person refused: {act}"
        if self.refused is None or state.principal.at_least_as_good(price, self.refused):
            self.refused = price
        return Move(refused, move.audit)


YES, NO, QUIT = ("y", "yes"), ("n", "no", ""), ("/quit", "quit", "q")
"""The answers to an approval: an empty line is no (the prompt's default); any other line is asked again."""


def ask_approval(ask: Callable[[str], str], say: Callable[[str], None], auto: bool) -> Callable[[str], bool]:
    """The person's approval of a deal, asked until they answer yes or no; quitting (or the end of input) is an
    EOFError: their agent walks away."""
    def approve(question: str) -> bool:
        if auto:
            say(f"({question}: approved automatically)")
            return True
        prompt = f"{question}. Approve? [y/N] "
        while True:
            try:
                answer = " ".join(ask(prompt).lower().split())
            except KeyboardInterrupt:
                say("\n(not approved)")
                return False
            except EOFError:
                say("\n(end of input: your agent walks away)")
                raise
            if answer in YES:
                return True
            if answer in NO:
                say("(not approved)")
                return False
            if answer in QUIT:
                say("(you quit: your agent walks away)")
                raise EOFError
            prompt = "Approve the deal? Answer y or n (or /quit to walk away): "
    return approve
