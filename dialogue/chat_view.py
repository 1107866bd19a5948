"""What the person sees in `haggler chat`: the listing, each move, the agent's reasons (/why), the outcome."""
from __future__ import annotations

import re

from dialogue.corpus import Dialogue, Event, Scenario
from dialogue.scoring import score_dialogue
from dialogue.session import principal_of
from parser.acts import Act, Role, write_price


def explain(audit: dict | None, act: Act | None = None) -> str:
    """A decision record in words: what the agent understood, the candidates it weighed, why it chose."""
    if not audit:
        return "(the agent has not moved yet)"
    lines = []
    if "understood" in audit:
        lines.append(f"understood: your last move as {audit['understood']}")
    candidates = audit.get("candidates")
    if candidates:
        lines.append("weighed:")
        lines += [f"  {act:<28} {value}" for act, value in candidate_rows(candidates)]
    chose = audit.get("chose") or (str(act) if act is not None else "")
    lines.append(f"chose ({audit.get('policy', '?')}): {chose}{', ' if chose else ''}"
                 f"because {audit.get('reason', 'no reason given')}")
    if audit.get("chose"):
        lines.append("  (said in words as the agreement it amounts to)")
    if audit.get("guard"):
        lines.append(f"authority guard: {audit['guard']}")
    if audit.get("override"):
        lines.append(f"override: {audit['override']}")
    generator = audit.get("generator")
    if isinstance(generator, dict):
        tries = f", after {generator['tries']} language-model tries" if generator.get("tries") else ""
        lines.append(f"said with: {generator.get('generator')} generator{tries}, "
                     f"{'faithful' if generator.get('faithful') else 'NOT faithful'}")
    belief = audit.get("belief")
    if isinstance(belief, dict) and "partner_walk_away" in belief:
        lines.append(f"believes: the partner's walk-away price is about {write_price(round(belief['partner_walk_away']))}"
                     f" (sd {belief.get('sd', '?')})")
    known = {"understood", "candidates", "policy", "reason", "chose", "guard", "override", "generator", "belief"}
    lines += [f"{k}: {v}" for k, v in audit.items() if k not in known]
    return "\n".join(lines)


def candidate_rows(candidates: list[dict]) -> list[tuple[str, str]]:
    """The candidates a planner weighed ({"act", "value"} each) as (act, value) rows, best first."""
    ranked = sorted(candidates, key=lambda c: -c["value"])
    return [(c["act"], f"value {c['value']:+.3f}") for c in ranked]


ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|O[ -~]|[@-Z\\-_])")
"""Terminal escape sequences (colours, bracketed paste's markers, window titles): their text is not typed words."""
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]")
INVISIBLE = re.compile(r"[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
"""Marks that take no room or move the text around them (zero-width spaces, direction overrides): a line of them
holds no words. Not the joiners within emoji and Persian words."""


def clean(line: str) -> str:
    """A line as words to keep or show: no terminal escapes, control characters, invisible marks or undecodable
    bytes, spaces collapsed (a typed line as a message; a listing's text in the banner, which would else clear the
    screen)."""
    return " ".join(CONTROL.sub(" ", ESCAPES.sub(" ", INVISIBLE.sub("", line))).split())


def describe_scenario(scenario: Scenario, role: Role, who: str = "You are") -> str:
    item, kb = scenario.item, scenario.kb(role)
    lines = [f"Listing: {clean(item.title)} ({clean(item.category) or 'item'}), listed at {write_price(item.price)}"]
    lines += [f"  {clean(d)}" for d in item.description[:3] if clean(d)]
    lines.append(f"{who} the {role}. Private target: {write_price(round(kb.target, 2))}; "
                 f"walk-away price: {write_price(principal_of(kb).limit)}.")  # the guard's limit, in cents
    return "\n".join(lines)


def line_of(event: Event, role: Role, name: str, show_act: bool) -> str:
    who = f"{role} ({name})"
    if event.action == "message":
        act = f"   [{event.act}]" if show_act and event.act is not None else ""
        return f"{who}: {clean(event.text)}{act}"  # a model may echo a listing's escapes
    if event.action == "offer":
        return f"{who}: (offers {write_price(event.offer_price or 0)})"
    return f"{who}: ({event.action}s)" if event.action != "quit" else f"{who}: (walks away)"


def outcome_text(dialogue: Dialogue, names: dict[int, str]) -> str:
    scores = score_dialogue(dialogue)
    price = dialogue.outcome.price if dialogue.outcome and dialogue.outcome.reward else None
    messages = sum(e.is_message for e in dialogue.events)
    why = {"walk-away": ", a walk-away", "turn limit": ", the turn limit reached", "stopped": ", stopped"}.get(
        dialogue.extra.get("ended", ""), "")
    said = f"deal at {write_price(price)}" if price is not None else f"no deal{why}"
    lines = [f"Outcome: {said} ({messages} message{'s' if messages != 1 else ''})"]
    for i, s in enumerate(scores):
        margin = f", margin {s.margin:+.2f}" if s.margin is not None else ""
        lines.append(f"  {names[i]} ({s.role}): utility {round(s.utility, 2) + 0.0:.2f}{margin}")  # + 0.0: never "-0.00"
    return "\n".join(lines)
