"""The rule-based parser: reads a dialogue in order and gives each message one coarse act.

Its phrases (parser/phrases.py) match lowercased text: `read_message` lowercases a message once.

Intent depends on context (ACTS.md): the first price of the dialogue is `propose`, a speaker's
repeated price is `insist`, `agree` refers to the partner's latest proposal. `ActReader` keeps
that context; feed it every event in order (`read` for text, `observe` for formal events and
for acts whose text the reader never saw).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from typing import Iterable

from parser.acts import PRICE_INTENTS, Act, Intent, Role, other_role
from parser.intent_model import IntentModel, MessageView, shipped_model
from parser.phrases import (AFFIRM, AGREE, AGREE_WEAK, ASKS, BARE_AMOUNT, BARE_LEAD, BOTTOM_LINE, CONDITIONAL,
                             DISAGREE, DISBELIEF, FILLER, FINAL, GO_UP, GREETING_PARTS, HALF, HEDGE, INQUIRE,
                             NEGATED_BEFORE, NEGATED_PRICE, NOT_AGREE, NOT_PUSH, OFFER_CUE_BEFORE, OK_WORDS,
                             PAST_PRICE, PERCENT_OFF, PLEASANTRY, PONDER, PRICE_ASK, PRICE_CUE_BEFORE, PRICE_PUSH,
                             PRICE_REFUSED, PUSHBACK, PUSH_ANY, PUSH_BUYER, PUSH_SELLER, QUESTION_START,
                             REFERENCE_AFTER, REFERENCE_BEFORE, RELATIVE_LESS, RELATIVE_LESS_BEFORE, RELATIVE_MORE,
                             RELATIVE_MORE_BEFORE, SAID_NO, SERVICE_QUESTION, SIDE_TERMS, SMALL_TALK, SPLIT,
                             TERMS_QUESTION, THANKS, THAN_ASKED, UNFAIR, UNKNOWN, WORD, YES_ALONE, YES_NO)
from parser.prices import MAX_TEXT, AmountMention, find_amounts

PLAUSIBLE = (0.2, 2.5)
"""A bare number is a price only between these multiples of the listing price."""
PLAUSIBLE_DOLLAR = (0.08, 4.0)
"""Wider for an amount written as money ($40, 40 dollars)."""


@dataclass
class DialogueContext:
    """What the reader knows of the dialogue so far."""
    listing_price: float
    last_price: dict[str, float] = field(default_factory=dict)  # each role's latest proposed price
    last_proposer: Role | None = None  # who made the latest proposal
    any_price: bool = False
    deal_price: float | None = None  # set once an agreement or accept has happened
    n_messages: int = 0
    last_intent: dict[str, Intent] = field(default_factory=dict)  # each role's latest act
    last_text: dict[str, str] = field(default_factory=dict)  # each role's latest message (none after a formal act)

    def partner_price(self, role: Role) -> float | None:
        return self.last_price.get(other_role(role))


class ActReader:
    """Reads one dialogue's messages in order, each into an Act.

    `learned` uses the shipped intent model for messages without a price, `model` another one; without either,
    the rules alone read.
    """

    def __init__(self, listing_price: float | None, learned: bool = True, model: IntentModel | None = None) -> None:
        self.context = DialogueContext(float(listing_price) if listing_price and listing_price > 0 else 0.0)
        self.model = model if model is not None else shipped_model() if learned else None

    def read(self, role: Role, text: str) -> Act:
        return self.read_with_view(role, text)[0]

    def fork(self) -> ActReader:
        """A reader in the same state that reads on independently; it shares the read-only intent model, so a
        fork costs microseconds (the generator forks one for every phrasing it checks)."""
        twin = copy.copy(self)
        c = self.context
        twin.context = replace(c, last_price=dict(c.last_price), last_intent=dict(c.last_intent),
                               last_text=dict(c.last_text))
        return twin

    def __deepcopy__(self, memo: dict) -> ActReader:
        return self.fork()

    def read_with_view(self, role: Role, text: str) -> tuple[Act, MessageView | None]:
        act, view = read_message(text, role, self.context, self.model)
        self.observe(role, act)
        self.context.n_messages += 1
        if isinstance(text, str):
            self.context.last_text[role] = text
        return act, view

    def observe(self, role: Role, act: Act) -> None:
        """Updates the context with an act: a parsed message, a formal event, or our own act."""
        c = self.context
        c.last_intent[role] = act.intent
        c.last_text.pop(role, None)
        if act.intent in PRICE_INTENTS and act.price is not None:
            c.last_price[role] = act.price
            c.last_proposer = role
            c.any_price = True
        elif act.intent == Intent.AGREE:
            c.deal_price = act.price if act.price is not None else c.partner_price(role)
            if act.price is not None:
                c.last_price[role] = act.price
        elif act.intent == Intent.ACCEPT:
            c.deal_price = c.partner_price(role)


def parse_dialogue(turns: Iterable[tuple[Role, str | Act | None]], listing_price: float | None = None,
                   reader: ActReader | None = None) -> list[Act | None]:
    """The act of each turn of a dialogue, read in order: (role, text) for a message is parsed, (role, Act) for a
    formal event is observed and kept, (role, None) for an event that is neither is passed over. `reader`: one to
    read with, left having read them all (else a fresh one for the listing price)."""
    if reader is None:
        reader = ActReader(listing_price)
    out: list[Act | None] = []
    for role, turn in turns:
        if isinstance(turn, Act):
            reader.observe(role, turn)
        out.append(turn if turn is None or isinstance(turn, Act) else reader.read(role, turn))
    return out


def _plausible(m: AmountMention, listing: float, bare: bool = False) -> bool:
    """`bare`: the message is the amount alone, or an offer's words come before it: it can only be a price."""
    if m.negative or m.value <= 0:
        return False
    if listing <= 0:
        return m.value < 1e7
    lowest, highest = plausible_range(listing, dollar=m.dollar or bare)
    return lowest <= m.value <= highest


def plausible_range(listing: float, dollar: bool = True) -> tuple[float, float]:
    """The prices a message can name for this listing, to the cent (0.08 x $380 is $30.40): an amount written as
    money ($40, 40 dollars), or a bare number."""
    lo, hi = PLAUSIBLE_DOLLAR if dollar else PLAUSIBLE
    return round(lo * listing, 2), round(hi * listing, 2)


def stated_prices(text: str, listing: float) -> list[float]:
    """Every amount in the text that could be a price for this listing, proposed or only mentioned (not a count
    with a unit, nor a year)."""
    return [m.value for m in find_amounts(text)
            if not m.unit_after and not m.looks_like_year and _plausible(m, listing)]


def _is_reference(text: str, m: AmountMention) -> bool:
    before = text[max(0, m.start - 40):m.start]
    before = before.rstrip().rstrip("$")
    after = text[m.end:m.end + 40]
    return bool(REFERENCE_BEFORE.search(before) or REFERENCE_AFTER.search(after))


@dataclass(frozen=True)
class _Candidate:
    price: float
    mention: AmountMention | None
    relative: bool = False


def _relative(text: str, m: AmountMention, role: Role, c: DialogueContext) -> float | None:
    """'50 less than you asked', '$20 off', 'add another 50': an amount relative to a price on the table."""
    after = text[m.end:m.end + 30]
    before = text[max(0, m.start - 30):m.start]
    own, partner = c.last_price.get(role), c.partner_price(role)
    asked = THAN_ASKED.search(after)
    if RELATIVE_LESS.match(after) or RELATIVE_LESS_BEFORE.search(before):
        if asked or role == "buyer":
            base = partner if partner is not None else c.listing_price
        else:
            base = own if own is not None else c.listing_price
        return base - m.value if base else None
    small = m.value < PLAUSIBLE[0] * c.listing_price  # "I can go up 20", where "I can go up 110" names the price
    if RELATIVE_MORE.match(after) or RELATIVE_MORE_BEFORE.search(before) or (small and GO_UP.search(before)):
        if asked or role == "seller":
            base = partner
        else:
            base = own
        return base + m.value if base is not None else None
    return None


def _candidates(text: str, role: Role, c: DialogueContext) -> tuple[list[_Candidate], list[AmountMention]]:
    """Prices the speaker may be proposing now, and the money amounts that are only references."""
    listing = c.listing_price
    proposals: list[_Candidate] = []
    references: list[AmountMention] = []
    mentions = find_amounts(text)
    if not mentions and "%" not in text and "percent" not in text and "half" not in text and "split" not in text \
            and "middle" not in text:
        return proposals, references
    for i, m in enumerate(mentions):
        if m.unit_after:
            continue
        rel = _relative(text, m, role, c) if m.value < max(listing, 1) else None
        if rel is not None:
            if listing <= 0 or PLAUSIBLE[0] * listing <= rel <= PLAUSIBLE[1] * listing:
                proposals.append(_Candidate(rel, m, relative=True))
            continue
        if m.looks_like_year and not (listing and 0.6 * listing <= m.value <= 1.4 * listing
                                      and PRICE_CUE_BEFORE.search(text, max(0, m.start - 25), m.start)):
            continue
        offered = (len(mentions) == 1 and BARE_AMOUNT.fullmatch(text) is not None) \
            or OFFER_CUE_BEFORE.search(text, max(0, m.start - 30), m.start) is not None
        if not _plausible(m, listing, bare=offered):
            continue
        restates_listing = bool(listing) and same_price(m.value, listing)
        own = c.last_price.get(role)
        seller_ask = restates_listing and role == "seller" and (own is None or same_price(own, listing))
        buyer_quotes = restates_listing and role == "buyer" and not c.any_price
        if (_is_reference(text, m) and not seller_ask) or buyer_quotes:
            references.append(m)
            continue
        proposals.append(_Candidate(m.value, m))
    affirmed = [p for p in proposals if not (p.mention and NEGATED_BEFORE.search(text, max(0, p.mention.start - 25), p.mention.start))]
    if not affirmed:  # "I can't do 150" proposes nothing; "if you can't do 8000, no deal" still holds to 8000
        affirmed = [p for p in proposals if p.mention and CONDITIONAL.search(text, max(0, p.mention.start - 30), p.mention.start)]
    proposals = _resolve_ranges(text, affirmed, role)
    pm = PERCENT_OFF.search(text) if "%" in text or "percent" in text else None
    if pm and not proposals and not _on_side_terms(text, pm):
        base = c.partner_price(role) if role == "buyer" and c.partner_price(role) else (c.last_price.get(role) or listing)
        if base:
            proposals.append(_Candidate(round(base * (1 - float(pm[1]) / 100), 2), None, relative=True))
    half = HALF.search(text) if "half" in text else None
    if not proposals and half and listing and not _on_side_terms(text, half):
        base = listing if re.search(r"list|asking|original|full", text) else (c.partner_price(role) or listing)
        proposals.append(_Candidate(base / 2, None, relative=True))
    if not proposals and ("split" in text or "middle" in text or "half" in text) and SPLIT.search(text) and role in c.last_price and c.partner_price(role) is not None:
        proposals.append(_Candidate(round((c.last_price[role] + c.partner_price(role)) / 2, 2), None, relative=True))
    return proposals, references


def _on_side_terms(text: str, discount: re.Match) -> bool:
    """Whether a discount ("half off", "30% off") is on side terms in its clause ("first month half off", "half
    off delivery"): ACTS.md's inform, not a price."""
    first, last = _bounds(text, discount.start(), discount.end(), CLAUSE_STOPS)
    return bool(SIDE_TERMS.search(text, first, last))


def _resolve_ranges(text: str, cands: list[_Candidate], role: Role) -> list[_Candidate]:
    """'80 to 90', '80-90', 'between 80 and 90': the buyer's low end, the seller's high end."""
    out: list[_Candidate] = []
    for cand in cands:
        prev = out[-1] if out else None
        if prev and prev.mention and cand.mention and not prev.relative and not cand.relative:
            gap = text[prev.mention.end:cand.mention.start]
            if re.fullmatch(r"\s*[.,]*\s*(?:-|–|to|or|and|/)\s*\$?\s*", gap) and (
                    re.search(r"\bbetween\s*\$?\s*$", text[max(0, prev.mention.start - 12):prev.mention.start])
                    or gap.replace("$", "").strip(" .,") in ("-", "–", "to", "or", "/")):
                lo, hi = sorted((prev.price, cand.price))
                out[-1] = _Candidate(lo if role == "buyer" else hi, cand.mention)
                continue
        out.append(cand)
    return out


def _choose(cands: list[_Candidate], text: str) -> _Candidate:
    """The speaker's proposal: the last amount, unless a conditional alternative follows it."""
    if len(cands) > 1:
        last = cands[-1]
        between = text[cands[-2].mention.end:last.mention.start] if cands[-2].mention and last.mention else ""
        if re.search(r"\b(?:otherwise|or else|if not)\b", between):
            return cands[-2]
    return cands[-1]


def same_price(a: float | None, b: float | None) -> bool:
    """Two prices the same (neither missing): to the cent, or a price in whole dollars that rounds the other, to the
    half dollar but on a cheap item to a quarter of a percent ("$40" is "$39.99" and "$2,000" is "$2,000.49"; "$42" is
    not "$41.75", and "$47.98" is not "$47.91": whoever writes cents means them)."""
    if a is None or b is None:
        return False
    if round(a, 2) == round(b, 2):
        return True
    whole = float(round(a, 2)).is_integer() or float(round(b, 2)).is_integer()
    return whole and abs(a - b) <= min(0.5, 0.0025 * max(abs(a), abs(b)))


SENTENCE_STOPS, CLAUSE_STOPS = ".!?\n", ",.;!?\n"
"""The characters that end a sentence, and a clause, where `_bounds` looks for the stretch of text around a price
(any of them, wherever it stands)."""


def _bounds(text: str, start: int, end: int, stops: str) -> tuple[int, int]:
    """Where the stretch of text around text[start:end] begins, and where the stop after it is (no stop: the end)."""
    first = max(text.rfind(ch, 0, start) for ch in stops) + 1
    last = min((i for i in (text.find(ch, end) for ch in stops) if i >= 0), default=len(text))
    return first, last


def _sentence_of(text: str, m: AmountMention | None) -> str:
    if m is None:
        return text
    first, last = _bounds(text, m.start, m.end, SENTENCE_STOPS)
    return text[first:last + 1]


NOISE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")
"""What no one types: control characters, the stand-in for bytes that were no text, private-use characters. A
message of a tenth or more of them says nothing (random bytes once read as agreement two times in five)."""


def read_message(text: str, role: Role, c: DialogueContext,
                 model: IntentModel | None = None) -> tuple[Act, MessageView | None]:
    """The act, and for a message that names no price what the intent model sees of it."""
    if not isinstance(text, str):
        return Act(Intent.UNKNOWN), None
    text = text[:MAX_TEXT].replace("\u2019", "'")
    stripped = text.strip()
    if not stripped or len(NOISE.findall(stripped)) * 10 >= len(stripped):
        return Act(Intent.UNKNOWN), None
    low = stripped.lower()
    partner = c.partner_price(role)
    own = c.last_price.get(role)
    # A proposal of the partner's is open: theirs is the latest, or ours already matches it.
    partner_open = partner is not None and (c.last_proposer == other_role(role) or same_price(own, partner))
    settled = c.deal_price is not None
    cands, references = _candidates(low, role, c)
    if cands:
        return _priced_act(cands, low, c, partner, own), None
    act = _unpriced_act(low, role, c, partner_open, settled, own)
    view = MessageView(low, role, act.intent, c.n_messages, c.last_intent.get(other_role(role)), c.last_intent.get(role),
                       partner_open, settled, c.any_price)
    # A held price is the rules' call (too rare to learn); so is a message without a word ("-5", "12:30", "..."),
    # where the model would see nothing but the dialogue's state and guess from it.
    if model is not None and act.price is None and any(ch.isalpha() for ch in low):
        act = _act_of_intent(model.predict(view), act, role, c, own, low)
    return act, view


def _priced_act(cands: list[_Candidate], low: str, c: DialogueContext, partner: float | None,
                own: float | None) -> Act:
    """A message that names a price: its intent follows from the prices on the table."""
    chosen = _choose(cands, low)
    price = chosen.price
    sentence = _sentence_of(low, chosen.mention)
    if same_price(price, partner) and same_price(price, own):  # both sides named it: agreed if said so
        ok = AGREE.search(low) or AGREE_WEAK.search(low) or OK_WORDS.search(low) or re.search(r"\bit is\b", low)
        return Act(Intent.AGREE, partner) if ok else Act(Intent.INSIST, own)
    if same_price(price, partner):
        return _at_partner_price(low, sentence, chosen.mention, partner)
    if not c.any_price:
        return Act(Intent.PROPOSE, price)
    if same_price(price, own):
        return Act(Intent.INSIST, own)
    return Act(Intent.COUNTER, price)


def _at_partner_price(low: str, sentence: str, mention: AmountMention | None, partner: float) -> Act:
    """A message naming the partner's price accepts it, unless it refuses it, repeats it in disbelief ("$90?! It's
    brand new", ACTS.md), pushes past it ("can you do better than 90?"), doubts it ("90 maybe, let me think") or asks
    about its terms ("does 120 include the case?"). A word of acceptance outweighs all but a refusal."""
    before = low[max(0, mention.start - 30):mention.start] if mention else ""
    after = low[mention.end:mention.end + 30] if mention else ""
    clause = _clause(low, mention.start, mention.end) if mention else sentence
    if NEGATED_PRICE.search(sentence) or PRICE_REFUSED.search(clause) or SAID_NO.match(after) \
            or re.search(r"\?\s*(?:no|nah|not|are you|you'?re|that'?s|seriously|lol|way)\b", low):
        return Act(Intent.DISAGREE)
    if AGREE.search(low) or AGREE_WEAK.search(low) or OK_WORDS.search(low) or AFFIRM.search(low):
        return Act(Intent.AGREE, partner)
    if PAST_PRICE.search(before) or PRICE_PUSH.search(_without_denied_pushes(sentence)):
        return Act(Intent.COUNTER_NOPRICE)
    said_alone = mention is not None and not WORD.search(clause.replace(low[mention.start:mention.end], " "))
    if _doubts(low, None if said_alone else clause):  # "90... idk": doubt about a price said on its own
        return Act(Intent.INFORM)
    lead = low[_bounds(low, mention.start, mention.end, SENTENCE_STOPS)[0]:mention.start] if mention else ""
    if BARE_LEAD.fullmatch(lead) and DISBELIEF.match(after):
        return Act(Intent.DISAGREE)
    if QUESTION_START.match(sentence) or ("?" in sentence and TERMS_QUESTION.search(sentence)):
        return Act(Intent.INQUIRE)
    return Act(Intent.AGREE, partner)


def _held_price(role: Role, c: DialogueContext, own: float | None) -> float | None:
    """The price a side holds to: its own latest, else a seller's listing price."""
    return own if own is not None else (c.listing_price if role == "seller" and c.listing_price else None)


def _not_agreement(low: str, rule_act: Act) -> bool:
    """Whether a message the model reads as agreement is none: the rules read a refusal, or it shows doubt, time to
    think or pushback (the rules' push for a better price, or PUSHBACK) with no yes-word beside it. After a proposal
    the model leans to agree() for all of these."""
    if rule_act.intent is Intent.DISAGREE:
        return True
    pushback = rule_act.intent is Intent.COUNTER_NOPRICE or bool(PUSHBACK.search(low))
    return _doubts(low) or (pushback and not AFFIRM.search(low))


def _doubts(low: str, clause: str | None = None) -> bool:
    """Doubt or time to think, with no yes-word beside it: "maybe", "I might be able to do that", "let me think".
    Given the clause that accepts or names the price, doubt counts there only ("Deal, I might come by tonight"), and
    time to think anywhere ("90 could work, let me talk to my husband")."""
    near = low if clause is None else clause
    return not AFFIRM.search(low) and bool(PONDER.search(low) or HEDGE.search(near))


def _without_denied_pushes(low: str) -> str:
    """The text with NOT_PUSH's denials taken out, for the push patterns to read."""
    return NOT_PUSH.sub(" ", low) if "not" in low or "n't" in low else low


def _clause(low: str, start: int, end: int) -> str:
    """The clause of low[start:end]: from the punctuation before it to the punctuation after it."""
    first, last = _bounds(low, start, end, CLAUSE_STOPS)
    return low[first:last]


def _act_of_intent(intent: Intent, rule_act: Act, role: Role, c: DialogueContext, own: float | None,
                   low: str) -> Act:
    """The act for the model's intent, where the rules' act stands instead: an agreement that is none
    (`_not_agreement`), a refusal that is time to think, a greeting with no greeting's words (`_greets`) or that asks
    for the partner's bottom line, a question beside a refusal, an answer that is a bare yes to a proposal, an insist
    with no price to hold."""
    if intent is rule_act.intent:
        return rule_act
    if intent is Intent.AGREE and _not_agreement(low, rule_act):
        return rule_act
    if intent is Intent.DISAGREE and PONDER.search(low):
        return rule_act
    if intent is Intent.GREET and rule_act.intent is Intent.INFORM and not _greets(low):
        return rule_act
    if intent is Intent.GREET and rule_act.intent is Intent.COUNTER_NOPRICE and (BOTTOM_LINE.search(low)
                                                                               or PUSHBACK.search(low)):
        return rule_act  # "Hi, what's the lowest you'd go?", "its very pricey": pushing outranks greeting (ACTS.md)
    if intent is Intent.INFORM and rule_act.intent in (Intent.DISAGREE, Intent.COUNTER_NOPRICE) and UNFAIR.search(low):
        return rule_act  # the model, which never saw these words, reads a verdict on the price as a statement
    if intent is Intent.INQUIRE and rule_act.intent is Intent.DISAGREE:
        return rule_act  # "Sorry I can't. What condition is it in?": refusing outranks asking (ACTS.md)
    if rule_act.intent is Intent.AGREE and _yes_to_a_price(low, role, c):
        return rule_act  # the model reads a bare yes as an answer
    if intent is Intent.INSIST:
        held = _held_price(role, c, own)
        return Act(Intent.INSIST, held) if held is not None and c.any_price else rule_act
    return Act(intent)


def _yes_to_a_price(low: str, role: Role, c: DialogueContext) -> bool:
    """A bare yes to the partner's price: "Yes." to "Would you take 120?", not to "120. Does it work?"."""
    partner = other_role(role)
    if c.last_intent.get(partner) not in PRICE_INTENTS or YES_ALONE.fullmatch(low) is None:
        return False
    said = c.last_text.get(partner)  # none for a formal offer
    return said is None or bool(find_amounts(re.split(r"(?<=[.!?])\s+", said.strip())[-1]))


def _greets(low: str) -> bool:
    """Whether a message has a greeting's words: the intent model reads most openings as greet ("I paid 500 for it",
    "First month half off"), and an opening that states something is inform (ACTS.md)."""
    return bool(GREETING_PARTS.search(low) or PLEASANTRY.match(low))


def _unpriced_act(low: str, role: Role, c: DialogueContext, partner_open: bool, settled: bool,
                  own: float | None) -> Act:
    """The rules' act for a message that names no price."""
    partner_said = c.last_intent.get(other_role(role))
    if partner_open and not settled and _yes_to_a_price(low, role, c):
        return Act(Intent.AGREE)
    if "?" not in low and YES_NO.match(low):
        if partner_said == Intent.INQUIRE:
            return Act(Intent.INFORM)  # an answer to a question
        if partner_said == Intent.GREET and len(low.split()) <= 3:
            return Act(Intent.GREET)  # "Yep." to "Are you interested?"
    # Agreement needs something to agree to: a proposal of the partner's, or a deal already made.
    accepted = (partner_open or settled) and (AGREE.search(low) or ("?" not in low and AGREE_WEAK.search(low)))
    agree_words = bool(accepted) and not NOT_AGREE.search(low) and not ASKS.match(low) \
        and not _doubts(low, _clause(low, accepted.start(), accepted.end()))
    if not agree_words and FINAL.search(low):
        held = _held_price(role, c, own)
        if held is not None:
            return Act(Intent.INSIST if c.any_price else Intent.PROPOSE, held)
    if agree_words:
        return Act(Intent.AGREE)
    pushed = _without_denied_pushes(low)
    if PUSH_ANY.search(pushed) or (PUSH_BUYER if role == "buyer" else PUSH_SELLER).search(pushed):
        return Act(Intent.COUNTER_NOPRICE)
    if partner_open and not settled and c.last_intent.get(other_role(role)) != Intent.INQUIRE and DISAGREE.search(low):
        return Act(Intent.DISAGREE)
    if PRICE_ASK.search(low):
        return Act(Intent.INQUIRE)
    # Greetings open a dialogue; later, or in a long message, they are never the point: skip the costly search.
    may_greet = len(low) < 100 and (c.n_messages < 6 or len(low) < 40)
    without_greeting, n_greetings = GREETING_PARTS.subn(" ", low) if may_greet else (low, 0)
    rest = FILLER.sub(" ", without_greeting).strip(" \t\n.,!:;-)(")
    if (n_greetings and len(WORD.findall(rest)) <= 2) or (c.n_messages < 6 and len(low) < 60 and PLEASANTRY.match(low)):
        return Act(Intent.GREET)
    if THANKS.match(low) and len(low) < 40:
        return Act(Intent.UNKNOWN)
    if INQUIRE.search(SERVICE_QUESTION.sub(" ", rest) if "?" in rest else rest):
        return Act(Intent.INQUIRE)
    if UNKNOWN.search(rest) or SMALL_TALK.search(rest):
        return Act(Intent.UNKNOWN)
    return Act(Intent.INFORM)
