"""The phrases the rule-based parser reads (parser/rules.py): regular expressions, each named by what its match
signals. Every pattern matches lowercased text: `read_message` lowercases a message once."""
from __future__ import annotations

import re


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
