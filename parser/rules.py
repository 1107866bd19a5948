"""The rule-based parser: reads a dialogue in order and gives each message one coarse act.

Every pattern here matches lowercased text: `read_message` lowercases a message once.

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
from parser.prices import MAX_TEXT, AmountMention, find_amounts

PLAUSIBLE = (0.2, 2.5)
"""A bare number is a price only between these multiples of the listing price."""
PLAUSIBLE_DOLLAR = (0.08, 4.0)
"""Wider for an amount written as money ($40, 40 dollars)."""


def _rx(*alternatives: str) -> re.Pattern:
    # One leading \b(?=\w) for all word-bounded alternatives (each starts with a word character): Python's re then
    # tries them only at word starts, not at word ends. One ^ for all the anchored ones: a search tries each
    # alternative at every position, and an anchored one fails there, but each costs its try.
    # Case-sensitive, for lowercased text: IGNORECASE makes Python's re two to three times slower.
    bounded = [a[2:] for a in alternatives if a.startswith(r"\b")]
    anchored = [a[1:] for a in alternatives if a.startswith("^")]
    others = [a for a in alternatives if not a.startswith((r"\b", "^"))]
    parts = ([r"\b(?=\w)(?:" + "|".join(bounded) + ")"] if bounded else []) \
        + ([r"^(?:" + "|".join(anchored) + ")"] if anchored else []) + [f"(?:{a})" for a in others]
    return re.compile("|".join(parts))


THOUGHT_UNFAIR = r"\b(?:don'?t|do not) think (?:that|this|it|thats)(?:'?s| is| would be)? (?:a |very )?(?:fair|reasonable|acceptable)\b"
""""I don't think that is fair": no agreement, but a rejection, though "that is fair" agrees."""
NOT_FAIR = r"\b(?:isn'?t|is not|not) (?:a |very )?(?:fair|reasonable|acceptable)\b"
SCORN = "ridiculous|absurd|unreasonable|insulting|an insult"
"""Words that scorn the partner's price ("that's ridiculous"): a push for a better one, from either side."""
AGREE = _rx(
    r"\bdeal\b(?!\s*(?:breaker|with))", r"\bsounds? like a (?:deal|plan|good deal)",
    r"\b(?:that|this|it)(?:'?s| is| will| would)? (?:works?|work for me|fine|fair|acceptable|reasonable)\b",
    r"\bi(?:'ll| will| can| could)? (?:take|accept|do) (?:it|that|this|you up)\b", r"\bi can do that\b",
    r"\b(?:can|could|will|'ll|able to) (?:do|pay|take|accept|manage) (?:that|it)\b",
    r"\b(?:you(?:'ve)? got|you have) (?:a|yourself a) deal", r"\bit'?s a deal\b", r"\bagreed?\b", r"\bi accept\b",
    r"\bwe have a deal\b", r"\blet'?s do (?:it|that)\b", r"\bworks for me\b", r"\bsold\b", r"\bdone\b",
    r"\bthat'?ll work\b", r"\bfair enough\b", r"\bi(?:'m| am) (?:fine|ok|okay|good) with (?:that|it)\b", r"\bwill work\b",
    r"\bthat works\b", r"\bcan live with that\b", r"\bi'?ll take it\b", r"\baccept (?:that|it|this|your)\b",
    r"\bglad you accept", r"\bmore than fair\b", r"\bi can agree\b", r"\bsend (?:me )?(?:the|an|your) offer\b", r"\bput (?:in|through) the offer\b",
    r"\b(?:seems|sounds|is) (?:like )?(?:a )?(?:fair|good|reasonable|great) (?:price|deal|offer)\b",
    r"\b(?:that'?s|thats) (?:a )?(?:very )?(?:fair|good|reasonable|great) (?:price|deal|offer)\b"
    r"(?![^.!?]*(?:\?|\bbut\b|\bfirm\b|\blower\b|\bhigher\b))",
    r"\b(?:that|this|the) price (?:would|will|does|should) work\b", r"\b(?:would|will) work for me\b", r"\b(?:it'?s|its) yours\b",
    r"\bwork with that\b", r"\bworks (?:4|for) me\b", r"\b(?:fine|ok|okay|good) (?:by|with) me\b", r"\byou win\b",
    r"\b(?:you|u)(?:'ve)? got it\b", r"\bi'?ll buy it\b", r"\b(?:i'?m|im|i am) down\b(?! to)", r"\bcount me in\b",
    r"\blet'?s do this\b", r"\blet'?s make it happen\b",
)
"""Words that accept the partner's proposal."""
AGREE_WEAK = _rx(
    r"\bsounds? (?:good|great|fair|fine|reasonable|perfect|ok|okay)\b", r"\bperfect\b", r"\bgreat\b", r"\bawesome\b",
    r"\bexcellent\b", r"\bwonderful\b", r"\bsubmit\b", r"\b(?:that|this|it) would be (?:good|great|fine|perfect)\b", r"\bgo ahead\b", r"\b(?:that|this|it)(?:'s| is) (?:perfect|good)\b",
    r"\b(?<!if )(?:that|this|it)(?:'?s| is) (?:ok|okay|doable)\b", r"\bbut (?:ok(?:ay)?|fine|sure|alright|deal)\W*$",
    r"^\s*(?:(?:ugh|well|hmm+|oh)\W+)?(?:(?:ok(?:ay)?|yes|yeah|yea|ya|yep|yup|sure(?: thing)?|alright|alrighty|all right|cool|"
    r"fine|great|absolutely|for sure|definitely|why not|works)\b[^\w?]*)+(?:(?:thanks?|thank you)\W*)?$",
)
"""Words that accept only in a statement: 'Great, could we pick it up today?' asks, it does not agree."""
NOT_AGREE = _rx(
    r"\b(?:don'?t|not|can'?t|won'?t|never|no)\b[^.?!]{0,30}\b(?:deal|agree|accept|work)\b", r"\bsweeten the deal\b",
    r"\b(?:to|can|could) (?:close|make|reach|seal) (?:this|the|a) deal\b", r"\bno deal\b", r"\bnot (?:a )?deal\b", r"\bnot (?:going to|gonna) work\b", r"\b(?:doesn'?t|does not|won'?t|wouldn'?t|will not|can'?t|cannot) work\b",
    NOT_FAIR, r"\b(?:isn'?t|is not|not) (?:a |very )?good\b", r"\bcan'?t (?:do|take|accept) (?:that|it|this)\b",
    THOUGHT_UNFAIR,
    r"\b(?:don'?t|do not) think (?:i|we) (?:can|could)\b", r"\b(?:can'?t|cannot) (?:go|come) (?:that|so) (?:low|high)\b",
    r"\bcannot (?:do|take|accept) (?:that|it|this)\b", r"\bnot (?:quite|really)?\s*(?:what|where)\b", r"\bbut\b.*\?",
    r"\btoo (?:high|much|low|steep|expensive)\b", r"\bso (?:high|low|steep|expensive)\b", r"\bhow about\b", r"\bwhat about\b", r"\bwould you\b",
    r"\b(?:make|give|cut) me a (?:good |better )?deal\b", r"\bgood deal on\b", r"\b(?:better|best) deal\b[^.!?]*\?",
    r"\b(?:find|look for) (?:another|something else)\b",
    r"\b(?:i'?ll|i will|gonna|going to|have to) keep looking\b", r"\blook (?:elsewhere|somewhere else)\b", r"\bgreat (?:condition|shape|price for|deal on|bike|car|phone|place|location|item|working|running)\b",
)
ASKS = re.compile(r"\W*(?:does|do|did|is|are|was|were|has|have)\b[^.!?]*\?\W*$")
"""A message that is one yes/no question: it asks, and accepts nothing ("Does it work fine?")."""
PUSH_ANY = _rx(
    r"\bbetter (?:price|deal|offer)\b", r"\bdo (?:any )?bett?e?r\b", r"\bmeet (?:me )?(?:in the middle|halfway|half way)\b",
    r"\bmore reasonable\b", r"\bwork (?:with me )?on the price\b", r"\bbest (?:(?:deal|price|offer) )?(?:you|u) can\b", r"\bbest offer\b",
    r"\bdo (?:a (?:little|bit|tad) )?better\b", r"\bwork with me\b", r"\bhelp me out\b",
)
"""Pushing for a better price, whoever says it (counter-noprice)."""
PUSH_BUYER = _rx(
    r"\btoo (?:high|much|steep|expensive|pricey|rich)\b", r"\bto (?:high|steep|expensive|pricey)\b",
    r"\b(?:that'?s|thats|its|it'?s|is|way|bit|little) to (?:high|much|steep|expensive|pricey)\b",
    r"\b(?:go|come|get|bring|drop|move|budge) (?:it )?(?:down|lower|any lower|a bit lower|a little lower)",
    r"\blower (?:the )?(?:price|it|offer)\b", r"\b(?:any|a bit|a little|little|bit|much|go|get|come|do|it) lower\b",
    r"\bnegotia", r"\bwiggle room\b", r"\bflexib", r"\bbudge\b", r"\blowest\b", r"\bbest price\b",
    r"\bout of my (?:price )?range\b", r"\bmy budget\b", r"\bcan'?t afford\b", r"\bcheaper\b", r"\bdiscount\b",
    r"\b(?:bit|little) (?:high|much|steep)\b", r"\boverpriced\b", r"\bnot worth\b", r"\bthe price\b.*\b(?:down|lower|high|steep)\b",
    r"\bprice is\b.{0,30}\b(?:holding me back|high|steep|much)\b", r"\bholding me back\b", r"\bbring it down\b", r"\bless\b",
    r"\bknock\b", r"\b(?:make|give|cut) me a (?:good |better )?deal\b", r"\bgood deal on\b", r"\blower offer\b",
    r"\bfirm on (?:the|your|that) price\b", r"\b(?:more|higher) (?:than|that) (?:i|we) (?:wanted|want|can|could|was hoping|were hoping|would like) to (?:spend|pay)\b",
    r"\bhow firm\b", r"\bfinancial\b", r"\btight (?:budget|on money)\b", r"\bmoney is tight\b", r"\bhow low\b", r"\bnot (?:at all |very |really )?affordable\b", r"\bwhat (?:kind of |sort of )?deal\b", r"\basking (?:so|too) much\b", r"\blower price\b", r"\b(?:any|anything|a) (?:good|better) deal\b",
    r"\babove (?:my|our) budget\b", r"\btalk about the price\b", r"\bare you firm\b", r"\bis (?:the|that|your) price firm\b",
    r"\b(?:kind of|kinda|pretty|very|a bit|a little|way|really|rather|quite) (?:high|steep|expensive|pricey)\b",
    r"\bsteep\b", r"\bpricey\b", r"\b(?:seems|sounds|is|that'?s|thats|it'?s|its) (?:(?:still|a bit|kinda|kind of|pretty|really|very|so|way|too|just|a little|awfully|extremely|quite|rather) )*"
    rf"(?:high|expensive|a lot|alot|rich|crazy|insane|nuts|{SCORN})\b", r"\b(?:seems|sounds) like (?:a lot|alot|too much)\b", r"\bwhy so (?:high|much|expensive)\b",
    r"\blower\W*$", r"\bdrop (?:it|the price)\b(?! off)", r"\bmore than i'?d like\b",
)
PUSH_SELLER = _rx(
    r"\b(?<!go )too low\b", r"\b(?:that'?s|thats|its|it'?s|is|way|bit|little) to low\b",
    r"\blow ?ball", r"\b(?:come|go|move) up\b", r"\bhigher\b", r"\bnot enough\b",
    r"\b(?:kind of|kinda|pretty|very|a bit|a little|way|really|rather|quite|bit|awfully|extremely|so) low\b", r"\bworth (?:more|a lot more)\b", r"\bmore for it\b", r"\blow offer\b", r"\b(?:offer|pay|give) (?:me )?(?:a |an )?(?:bit |little |tad )?more\b", r"\btoo (?:small|little)\b", r"\blower than (?:i|we)\b",
    r"\bother (?:offers?|buyers?)\b", r"\bbump (?:it|that|your offer) up\b", r"\b(?:willing to )?pay more\b",
    r"\btoo cheap\b", r"\b(?:seems|is|that'?s|thats|it'?s|its) (?:(?:still|a bit|kinda|kind of|pretty|really|very|so|way|too|just|a little|awfully|extremely|quite|rather) )*low\b",
    r"\bneed (?:a (?:bit|little|tad) )?more\b", r"\bunder what\b",
    r"\b(?:that'?s|thats|that is) (?:(?:just|really|so|a bit|kind of|kinda|pretty|quite|rather|way) )*"
    rf"(?:crazy|insane|nuts|{SCORN})\b",
    r"\b(?:seems|sounds|is|it'?s|its) (?:(?:just|really|so|a bit|kind of|kinda|pretty|quite|rather|way) )*"
    rf"(?:{SCORN})\b",
)
NOT_PUSH = _rx(r"\b(?:not|isn'?t|ain'?t|wasn'?t) (?:(?:too|so|that|very|really|all that) )?(?:high|much|steep|expensive|pricey|low|a lot)\b")
"""A push denied: "that's not too expensive", "120 isn't too high"."""
DISAGREE = _rx(
    r"^\W*(?:(?:lol|haha|lmao|ha|um+|uh+|hmm+|oh|well)\W+)?(?:no|nah)\b(?! (?:problem|prob|worries)\b)", r"\bnope\b", r"\?+\s*no+[\s.!]*$", r"\bnah\b", r"\b(?:hard )?pass\W*$",
    r"\b(?:gonna|going to|i'?ll|i will|have to|gotta|think i'?ll) pass\b", r"\bforget (?:it|about it)\b", r"\bnot a chance\b",
    r"\bnot happening\b", r"\bnever (?:pay|take|sell|accept|do)\b", r"\bi don'?t know about (?:that|this|it)\b",
    r"\bnot sure (?:i|we) (?:can|could)\b", r"\brather keep\b", r"\blook (?:elsewhere|somewhere else)\b", r"\b(?:i'?ll|i will|gonna|going to|have to) keep looking\b", r"\b(?:that'?s|thats) a no\b",
    r"\bfind (?:another|something else)\b", r"\b(?:can'?t|can not) (?:do|go|accept|take|sell|afford|budge|pay)\b", r"\bcannot (?:do|go|accept|take|sell)\b",
    r"\bnot (?:going to|gonna) (?:work|happen|do)\b", r"\bno way\b", r"\bnot interested\b", r"\bi'?ll pass\b",
    r"\bwon'?t (?:work|do|go|accept|take|sell)\b", r"\bsorry\b(?! (?:was|i was|for the|for being|about the|to hear|my))", r"\bunfortunately\b", r"\bi don'?t think so\b",
    r"\bno thanks\b", r"\bnot possible\b", NOT_FAIR,
    THOUGHT_UNFAIR, r"\bnot an option\b", r"\bdecline\b", r"\bwouldn'?t\b", r"\bno can do\b",
    r"\bnot enough\b", r"\bunable\b", r"\brefuse\b", r"\bno deal\b",
    r"\bdon'?t think (?:i|we) can\b", r"\b(?:gotta|have to|going to|i'?ll) (?:quit|walk away)\b",
    r"\b(?:will not|won'?t|not) be able to (?:do|go|accept|take|sell|afford|pay|meet)\b", r"\b(?:can'?t|cannot) meet\b",
)
UNFAIR = _rx(NOT_FAIR, rf"\b(?:crazy|insane|{SCORN})\b")
"""A verdict on the partner's price: not fair, or scorned."""
PONDER = _rx(
    r"\blet me (?:think|see|check|ask|talk|consider|sleep on)\b", r"\bthink (?:about|on) (?:it|that|this)\b",
    r"\bthink (?:it|that|this) over\b", r"\bcheck with\b", r"\bi'?ll (?:think|consider|let you know|get back)\b",
    r"\bgive me (?:a |some )?(?:minute|min|sec|second|moment|bit|time)\b",
)
"""Time to think: neither agreement nor refusal ("let me think about it", "I'll let you know")."""
HEDGE = _rx(r"\bmaybe\b", r"\bperhaps\b", r"\bnot (?:so |too |really )?sure\b", r"\bi (?:don'?t|do not) know\b",
            r"\bmight\b", r"\b(?:i'?ll|i will|i'?d|let me|i could|i may) consider\b", r"\bidk\b")
"""Doubt: not agreement ('"maybe" is not agreement', ACTS.md; "I might take 90"), though it can soften a refusal."""
PUSHBACK = _rx(
    r"\bsteep\b", r"\bpricey\b", r"\bexpensive\b", r"\bstretch\b", r"\bcome on\b", r"\b(?:still|awfully|extremely|pretty|very|so|way|kinda) high\b", r"\bhard bargain\b", r"\bgetting closer\b",
    r"\bwe'?re (?:getting )?close\b", r"\balmost there\b", r"\btoo (?:much|high|low)\b", r"\bway to+ (?:low|high|much)\b",
    r"\b(?:that'?s|that is|thats|it'?s) (?:still )?(?:a lot|a bit much|quite a bit|a lot of money)\b",
)
"""Pushback that names no price: never agreement, though after a proposal the model leans to agree() for it."""
BOTTOM_LINE = _rx(r"\blowest\b", r"\bbest (?:price|offer|deal)\b", r"\bhow low\b", r"\bbottom (?:line|dollar)\b")
"""Asking for the partner's bottom line: no greeting, though it opens a dialogue ("Hi, what's the lowest you'd go?")."""
YES_ALONE = re.compile(r"\W*(?:yes|yeah|yea|yep|yup|sure|of course|absolutely|definitely)"
                       r"(?:\W+(?:i|we) (?:would|will|can|could)|\W+please)?[^\w?]*")
"""A bare yes: to the partner's proposal it accepts; to a question it answers."""
PRICE_REFUSED = _rx(
    r"\bno deal\b", r"\bnot (?:at|for)\b", r"\bnot (?:paying|taking|selling|doing)\b", r"\bnever\b", r"\brather (?:keep|not)\b",
    r"\b(?:doesn'?t|does not|isn'?t|is not|won'?t|wont|ain'?t|not) (?:gonna |going to )?(?:work|happen|cut it|fly|do it)\b",
)
"""A refusal of the price the message names, in its clause: "120 doesn't work for me", "not at 90"."""
SAID_NO = re.compile(r"[\s,.!]*(?:(?:dollars|bucks)[\s,.!]*)?(?:no|nah|nope)\b"
                     r"(?!\s*(?:problems?|worries|rush|less|more|lower|higher|later|need|questions?|complaints?|returns?|doubt|prob|sweat))")
"""No right after the partner's price: "90 no", "90, nah"."""
DISBELIEF = re.compile(r"\s*(?:(?:dollars|bucks)\s*)?(?:[?!]*\?|[,.]*\s*(?:seriously|really|for real|lol|lmao|haha|nice try|come on|c'?mon)\b)")
"""What follows the partner's price repeated in disbelief: "120? come on", "90, seriously?"."""
BARE_LEAD = re.compile(r"\W*(?:(?:what|wow|whoa|really|hmm+|haha|lol|seriously|uh|um|oh|only|just)\W+)*")
"""What may come before it in its sentence: nothing but an exclamation ("wow, $90?! It's brand new")."""
PAST_PRICE = re.compile(r"\b(?:better|more|higher|above|over|beyond|less|lower|below|under|cheaper) than\s*\$?\s*$"
                        r"|\b(?:above|over|beyond|below|under)\s*\$?\s*$")
"""Before the partner's price, a push past it: "can you do better than", "would you go above"."""
PRICE_PUSH = _rx(r"\b(?:not|too) (?:enough|little|much|low|high)\b", r"\blow ?ball", r"\byour (?:best|lowest|final)\b", r"\bstretch\b",
                 r"\bnot worth\b")
"""A push for a better price than the one the message names: "90 is not enough", "120 is your best?" (read with
NOT_PUSH's denials taken out: "120 isn't too high")."""
QUESTION_START = re.compile(r"\W*(?:wait\W+)?(?:does|do|did|is|was)\b")
"""A question that asks rather than proposes: "does 120 include...", "is that 120 with the case?" (not "would you...")."""
TERMS_QUESTION = re.compile(r"\binclud|\bbefore tax\b|\bcash only\b|\bor \$?\d")
"""A question about the price's terms: "does 120 include the case", "is that 120 before tax?", "120 or 150?"."""
AFFIRM = _rx(r"\b(?:yes|yeah|yep|yup|ok(?:ay)?|(?<!not )(?<!not so )(?<!not too )sure|alright|all right|fine)\b")
"""A yes-word, which keeps agreement beside doubt, time to think or pushback ("steep, but ok")."""
FINAL = _rx(r"\bfirm\W*$", r"\bstick (?:with|to) my (?:original |first )?(?:offer|price)\b", r"\bfinal (?:offer|price|answer)\b", r"\b(?:is|am|i'?m|that'?s|it'?s) (?:pretty |very |quite )?firm\b", r"\bfirm (?:on|at)\b", r"\b(?:that'?s|is) (?:the )?(?:lowest|best|highest|most) i\b",
            r"\btake it or leave it\b", r"\bnot going (?:any )?(?:lower|higher)\b", r"\bcan'?t go (?:any )?(?:lower|higher)\b",
            r"\bas low as i\b", r"\bas high as i\b")
INQUIRE = _rx(r"\?", r"\bwondering\b", r"\b(?:is it|are they|is this|are these) (?!\w+ing\b)", r"\bhow (?:many|much|old|long|big|far|low)\b", r"\b(?:like|want|wanted|love) to know\b", r"\bmore (?:information|info|details)\b", r"\b(?:is there|are there(?! including)|does it|do you|did you|has it|have you|can you|could you|would you|will you) ",
    r"\btell me (?:a bit |a little |more )?about\b", r"^\s*(?:is|are|does|do|did|can|could|would|will|what|why|how|when|where|which|who|any|has|have)\b",
              r"\bi was wondering\b", r"\bi'?d like to know\b", r"\btell me (?:more|about)\b", r"\bcurious\b")
PRICE_ASK = _rx(r"\bwhat (?:are you|you are|you'?re|were you|was you) (?:thinking|looking|hoping|willing)", r"\bwhat price\b",r"\bwhat(?:'s| is| would be)? (?:your|the) (?:price|offer|lowest|best|budget|asking)\b",
                r"\bhow much\b", r"\bwhat (?:are|would) you (?:offer|pay|willing|thinking|looking)\b", r"(?:^|[.!,]\s*|please |just |go ahead and |why don'?t you )make (?:me )?an offer\b",
                r"\bwhat(?:'s| is) your (?:price|offer)\b", r"\bname (?:a|your) price\b")
UNKNOWN = _rx(r"^\s*(?:thanks?|thank you|thx|ty|bye|goodbye|see you|lol|haha|ok|okay|k|cool|sure|hmm+|um+|huh|whoa|wow|yikes|oh|ah|yes|yeah|yep|no problem|np|you too|welcome|you'?re welcome|your welcome|brb|jk|lmf?ao|rofl)[\s.!,:)]*$",
              # keyboard mashing; the two kinds of word never match the same word, so a line is read one way only
              r"^\W*(?:(?:asdf|qwert)\w*|[bcdfghjklmnpqrstvwxz]{3,})(?:\W+(?:(?:asdf|qwert)\w*|[bcdfghjklmnpqrstvwxz]{3,}))*\W*$",
              r"^[\W_]*$")
THANKS = _rx(r"^\s*(?:thanks?|thank you|thx|ty)\b.*$")
REFERENCE_BEFORE = _rx(
    r"\b(?:unit|apt|apartment|suite|building|bldg|room|spot|space|lot|code|address is|live at|located at|"
    r"paid|bought (?:it|them|this|mine)?\s*(?:for|at)?|listed (?:at|for)?|listing (?:price )?(?:is|of|at)?|retails?(?: for| at)?|"
    r"msrp|new (?:it|they|one|ones)?\s*(?:is|are|was|were|costs?|sells?|go(?:es)? for|for)|worth|value[ds]? (?:at|is)?|"
    r"originally|original(?:ly)? (?:price|cost)|costs?|cost me|spent|kbb|blue book|asking(?: price)? (?:is|was)|"
    r"you(?:'re| are) asking|you asked|you want|you said|you offered|your (?:price|offer|asking)(?: of| is| was)?|"
    r"saw (?:one|it|them)|online for|elsewhere for|others? (?:for|at)|other (?:one|ones|offers?|buyers?)|deposit(?: of| is)?|"
    r"fee(?: of| is)?|tax|gift card|gas card|shipping|delivery fee|extra|additional|plus|"
    r"offered(?: me| us)?|(?:another|other|his|her|their) (?:offer|bid) (?:of|at)|approved|authori[sz]ed(?: (?:to )?(?:pay|paying|sell|selling|spend|spending)(?: for| up to)?)?|sold (?:me )?(?:one|it|them|mine)\b[^.?!$]{0,30}? for|"
    r"already|vs\.?|instead of|from|down from|up from|on the market for|going for|renting for|rents? for|poured|put|invested|"
    r"(?:are|were|worth|is worth|costs?) (?:over|about|around|more than)|found (?:a|one|it|another)\b[^.?!,]{0,30}? for|(?:other|similar|another|visited|looked at|seen)\b[^.?!$]{0,40}? for|(?:deposit|fee)s?(?: of| is| to| at| down to)?|rated (?:for|at)(?: up to)?|holds? up to|capacity(?: of)?(?: up to)?|paid\b[^.?!$]{0,20}? (?:was|is)|(?:way|much|far|giving me|offering|offered|paying) (?:more|less|higher|lower) than|books? (?:out )?(?:at|for)|going rate (?:is|was)|market (?:rate|value|price) (?:is|was)|rates? (?:is|are)|original(?:ly)?(?: \w+)? (?:price|cost)(?: (?:is|was))?|(?:son|daughter|kid|child|he|she)(?:'s| is)(?: only)?|comparable|similar (?:ones?|items?|cars?|places?)(?: (?:are|go|sell))?(?: for)?)\s*(?:(?:around|about|roughly|approximately|like)\s*)?(?:\$\s*)?$"
)
"""Words before an amount that make it a reference, not the speaker's proposal."""
REFERENCE_AFTER = _rx(
    r"^\s*(?:(?:for|in) [^.,?!]{0,20}?)?\s*(?:is|was|seems|sounds|would be|will be|may be|might be|is still|'s)?\s*(?:a (?:bit|little) |way |far |much |really |still |kind of |kinda |pretty |just |so |too )*"
    r"(?:too|so)?\s*(?:high|low|much|steep|expensive|cheap|ridiculous|crazy|insane|a lot|pricey|rich)\b",
    r"^\s*(?:security |damage )?(?:deposit|fee|down ?payment)\b",
    r"^\s*(?:is|was|'s|seems) (?:way |far |much |a bit |a little |still )?(?:more|less|over|under|out of|lower|higher|below|above)\b(?! than fair)",
    r"^\s*(?:is )?(?:the|your) (?:best|lowest|highest)(?: price| offer)? (?:you|u)\b", r"^\s*\?\s*(?:no|nah|are you|you)\b",
    r"^\s*(?:new|retail|brand new|originally|msrp|when new|online|elsewhere|at the store|in stores)\b",
    r"^\s*(?:for|at) (?:a|one) (?:new|brand)", r"^\s*(?:is|was) (?:what )?(?:i|we) paid\b",
    r"^\s*(?!(?:to|and|or|then|so|if|i|we|you|they|it|can|will|would|could)\b)[a-z]+\.? (?:st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|ct|court|pkwy)\b",
)
RELATIVE_LESS = re.compile(r"^\s*(?:dollars?|bucks|\$)?\s*(?:less|lower|off|cheaper|under|down(?! the (?:street|road|block))|discount)\b")
RELATIVE_MORE = re.compile(r"^\s*(?:dollars?|bucks|\$)?\s*(?:more|higher|extra|over|up)\b")
RELATIVE_LESS_BEFORE = re.compile(r"\b(?:take|knock|come)\s+(?:off|down)\s+(?:a max of |up to |another |an extra |about )?\$?\s*$"
                                  r"|\b(?:drop|lower|reduce|bring|knock) (?:it |the price )?(?:down )?by\s*\$?\s*$")
RELATIVE_MORE_BEFORE = re.compile(r"(?:add|additional|another|raise (?:it|my offer) by|increase (?:it|my offer) by|go up by)\s*(?:an?\s*)?(?:additional\s*|extra\s*)?\$?\s*$")
GO_UP = re.compile(r"\bgo up\s*\$?\s*$")
PERCENT_OFF = re.compile(r"(\d{1,2}(?:\.\d+)?)\s*(?:%|percent)\s*(?:off|less|discount|lower|below|down)")
HALF = re.compile(r"\bhalf (?:the |of the |of )?(?:listed |listing |asking |original |full )?(?:price|cost|amount)\b|\bhalf off\b|\b50 ?% off\b")
SIDE_TERMS = re.compile(r"\b(?:first|last|second|next|one|a) (?:month|week)'?s?\b|\b(?:deliver\w*|shipping|deposit|"
                        r"fees?|installation|utilities|parking|rent for)\b")
SPLIT = re.compile(r"\b(?:split the difference|meet (?:you |me )?(?:in the middle|halfway|half way)|meet in between|middle ground)\b")
OK_WORDS = _rx(r"^\W*(?:ok(?:ay)?|yes|yeah|yep|sure|fine|alright|all right|deal|very good|good|great|perfect)\b")
YES_NO = re.compile(r"^\W*(?:yes|yeah|yep|yup|no|nope|nah|of course|absolutely|definitely|sure)\b")
PLEASANTRY = re.compile(
    r"^\W*(?:yes,? |yeah,? )?(?:i'?m |i am |im |doing |very |pretty |real |really )*(?:good|great|fine|well|ok|okay|not bad|alright|interested)\b"
    r"[\s,.!]*(?:(?:thanks?|thank you)(?: for asking)?)?[\s,.!]*(?:(?:and )?(?:and|how about|how are) (?:you|u)(?: doing)?(?: today)?)?\W*$"
    r"|^\W*(?:yes,? |yeah,? )?i am\W*$")
"""'Good, thanks, and you?', 'Yes I am': the answers of an opening exchange."""
PRICE_CUE_BEFORE = re.compile(
    r"\b(?:do|take|accept|pay|offer|for|at|about|around|is|be|give|sell|go|than|only|asking|want|need|get|say|does)\s*\$?\s*$")
"""What comes before a year-like number (2000) that makes it money: 'how about 2000', 'I can do 2000'."""
NEGATED_BEFORE = re.compile(r"\b(?:can'?t|cannot|won'?t|wouldn'?t|not|never)\s+(?:do|take|accept|go|pay|guarantee|sell it for|sell for|go (?:down )?to)\s*\$?\s*$"
                            r"|\d\s*(?:k|\$|dollars|bucks)?\s*[,;]?\s+not\s*\$?\s*$")  # "1300, not 1100"
WORD = re.compile(r"\w+")
CONDITIONAL = re.compile(r"\bif\b[^.?!]*$")
SERVICE_QUESTION = _rx(
    r"\b(?:do (?:you|u) have )?any (?:other |more )?questions(?: about it| for me)?\s*\?", r"\b(?:are you )?still interested\s*\?",
    r"\bneed i say more\s*\?", r"\bwhat'?s up\s*\?", r"\byou know what\s*\?", r"\b(?:you know|ok|okay)\s*\?",
)
"""Questions that close a statement without asking anything about the deal: the statement is what counts."""
BARE_AMOUNT = re.compile(r"\W*\d[\d,.]*k?\s*(?:\$|dollars|bucks)?\W*")
OFFER_CUE_BEFORE = re.compile(r"\b(?:how about|what about|would you take|will you take|would you do|could you do|"
                              r"can you do|i(?:'ll| will| can| could|'d| would) (?:do|pay|give you|offer)|"
                              r"my offer is|i offer)\s*\$?\s*$")
"""Words that make the number after them an offer, however low ("how about 50?" on a $380 listing): it is then
plausible as an amount written with $ is."""
THAN_ASKED = re.compile(r"than (?:you(?:'re| are)? ask|your (?:ask|price|offer|listing)|the (?:ask|list|price))")
NEGATED_PRICE = _rx(r"\b(?:can'?t|cannot|won'?t|wouldn'?t|not|never|no way|don'?t think (?:i|we) (?:can|could))\b.{0,25}\b(?:do|take|accept|pay|go|sell|for)\b")
GREETING_PARTS = _rx(
    r"\b(?:hi+|hello+|helo|hallo|hey+|howdy|greetings|yo|hiya|heya)\b(?: there| partner)?",
    r"\bgood ?(?:morning|afternoon|evening|day)\b(?: to you)?", r"\bnice to meet you\b", r"\bsure thing\b",
    r"\bhow (?:are )?(?:you|u|we|ya)(?: doing)?(?: today| this \w+)?\b", r"\bhope you(?:'re| are) (?:doing )?well\b[^.?!]*",
    r"^\W*(?:great|good|fine|well),? (?:and )?(?:you|u)\b", r"\bhow can i help(?: you)?\b", r"\b(?:are )?you looking for an? \w+",
    r"\b(?:what )?questions (?:do )?you have\b", r"\bif you have (?:any )?questions\b[^.?!]*", r"\b(?:seems )?you may have (?:any )?questions\b",
    r"\bhappy to (?:assist|help)\b", r"\btake your time\b", r"\b(?:it'?s )?just what i(?: am|'m| was) looking for\b", r"\bhow'?s it going\b", r"\bwhat'?s up\b", r"\band (?:you|u)\b", r"\bvery well\b",
    r"\b(?:i'?m|i am|im) (?:doing )?(?:good|well|fine|great)\b", r"\bdoing (?:well|good|great|fine)\b",
    r"\b(?:thanks|thank you) for (?:asking|contacting|reaching out|your interest|messaging|viewing|looking|checking|stopping)[^.?!,]*",
    # interest: "I'm interested in your bike", "are you interested in the board I have for sale?"
    r"\b(?:(?:i'?m|i am|im|i'?d be|are you|you'?re|you are|you were|were you|maybe you'?re|you)(?: very| really| so| still)? )?"
    r"in(?!vested)[a-z]{1,5}sted\b(?: in (?:the |your |this |these |that |my |our )?\w+(?: \w+){0,4}"
    r"(?: (?:that )?(?:i|you) (?:have|had))?(?: for sale)?)?",
    r"\b(?:would you like|(?:are )?you (?:ready|looking|lookin ?g|wanting|here)|looking|want|wanting) to (?:buy|get|rent|purchase)\b[^.?!,]*",
    r"^\W*(?:do )?you need an? \w+", r"\bwould love to (?:buy|make a deal)\b[^.?!]*",
    r"\b(?:how|what) (?:can|may) i (?:help|do for) you(?: with)?(?: today)?\b", r"\bcan i help you(?: with)?\b",
    r"\bwhat would you like to know(?: about [^.?!,]*)?", r"\bwhat do you think(?: about| of)?(?: it| the \w+)?\b",
    r"\b(?:let me know if |did |do )?you have any (?:other )?questions(?: about [^.?!,]*| for me)?", r"\bany (?:other )?(?:questions|interested buyers)(?: (?:i can|for me)(?: answer)?| about [^.?!,]*)?",
    r"\b(?:i )?(?:have|had) (?:a few|some|a couple(?: of)?|few) questions(?: for you)?",
    r"\b(?:i'?m|i am) selling (?:my|the|this|a|an|some) \w+(?: \w+)?\b", r"\bi'?m looking to sell it to someone[^.?!]*",
    r"^\W*i have (?:an?|the|this|these|some|\d+) [^.?!,]{0,30} for sale\b", r"\bi see you (?:guys )?have\b[^.?!]*",
    r"\b(?:saw|seen|viewed|read) your (?:advertisement|ad|post|listing)\b(?: for [^.?!,]{0,30})?",
    r"\bi (?:really )?(?:like|love) (?:the|your|this|these)? ?\w+(?: \w+)?\W*$",
    r"\b(?:these|this|it|they|the)(?: \w+)? (?:looks?|is|are|sounds?)(?: and (?:looks?|sounds?))? (?:great|nice|awesome|beautiful|cool|perfect)\b",
    r"\bare you here to \w+(?: an?| the)? \w+", r"\bi can'?t use it\b",
)
"""Greetings, pleasantries and 'are you interested?': what an opening message is made of."""
FILLER = _rx(r"\b(?:ok|okay|well|so|and|but|yes|sure|great|thanks|thank you|please|just|i have|have)\b")
SMALL_TALK = _rx(r"\bglitch", r"\bhit\b", r"\bsupposed to negotiate\b", r"\brefresh", r"\bshowing up\b", r"\bthe system\b",r"\bsorry to hear\b", r"\bpoor (?:guy|thing|you)\b", r"\bgood luck\b", r"\bhave a (?:good|great|nice)\b",
                 r"\bmust be new\b", r"^(?:it )?(?:looks?|sounds?|does look) (?:nice|cool|great|good)\W*$", r"^\W*(?:lol|haha|hehe|oops)\b")


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
