"""The authority guard: the one place every policy's act passes before it leaves an agent.

No offer, proposal or acceptance worse for the principal than its walk-away price gets out:
a price beyond it (or not a number) is clamped to the walk-away price (in cents, rounded the principal's way), a
price below a cent to a cent (with no price within authority, a refusal), and an agreement or an acceptance of such
a price (or of nothing) becomes a refusal. What it changed is recorded.
"""
from __future__ import annotations

from dataclasses import dataclass

from parser.acts import PRICE_INTENTS, Act, Intent, format_price
from strategy.state import NegotiationState


@dataclass(slots=True)
class Decision:
    """A policy's next act and a few words on why (the decision record of metadata.audit)."""
    act: Act
    reason: str
    guard: str | None = None
    """What the guard changed, if anything."""
    record: dict | None = None
    """More of the decision record, for policies that weigh alternatives (kept under metadata.audit)."""


def guard(decision: Decision, state: NegotiationState) -> Decision:
    act, principal = decision.act, state.principal
    intent = act.intent
    if intent in PRICE_INTENTS:
        if principal.within_authority(act.price):  # type: ignore[arg-type]
            return decision
        price = principal.nearest_allowed(act.price)  # type: ignore[arg-type]
        if not principal.within_authority(price):  # a walk-away under a cent: no price at all
            return Decision(Act(Intent.DISAGREE), decision.reason, f"refused {intent} {format_price(act.price)}: "
                            f"no price is within authority", decision.record)
        to = "walk-away" if price == principal.limit else "the least price"
        return Decision(Act(intent, price), decision.reason,
                        f"clamped {intent} {format_price(act.price)} to {to} {format_price(price)}", decision.record)
    if intent is Intent.AGREE:
        price = act.price if act.price is not None else state.partner_price
        if price is not None and principal.within_authority(price):
            return decision
        what = f"agree to {format_price(price)}" if price is not None else "agree: no price to agree to"
        return Decision(Act(Intent.DISAGREE), decision.reason, f"refused {what}", decision.record)
    if intent is Intent.ACCEPT:
        offer = state.partner_offer
        if offer is not None and principal.within_authority(offer):
            return decision
        refusal = Act(Intent.REJECT) if offer is not None else Act(Intent.DISAGREE)
        what = f"accept of {format_price(offer)}" if offer is not None else "accept: no offer to accept"
        return Decision(refusal, decision.reason, f"refused {what}", decision.record)
    return decision
