"""Finding the amounts of money in a message.

`find_amounts` lists every number that could be money ($1,200, 1200, 1.2k, twelve hundred,
375$), with what surrounds it (`AmountMention`: a dollar sign, a unit after it, whether it looks
like a year), so the parser can tell a price from mileage, years, sizes and phone numbers. Which
amount is *the* price of a message is the parser's decision (rules.py), since it depends on the
dialogue. The patterns match lowercased text (IGNORECASE makes Python's re two to three times
slower).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

MAX_TEXT = 2000
"""Only the first characters of a message are read: nobody haggles in the 2,001st."""

_NUMBER = re.compile(
    r"(?=[-$\d])"  # a cheap test of each position before the optional groups are tried there
    r"(?P<neg>-\s*)?(?P<dollar>\$\s*)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<dec>\.\d+)?(?P<exp>e[-+]?\d+)?"
    r"(?P<suffix>\s*(?:k\b|grand\b|thousand\b|hundred\b|million\b))?"
    r"(?P<dollar_after>\s*(?:\$|dollars?\b|bucks\b|usd\b))?"
)

UNITS_AFTER = re.compile(
    r"\s*(?:-\s*)?(?:k\s*)?(?:miles?|mi\b|kms?\b|kilomet|mpg|gb\b|gigs?\b|tb\b|mb\b|ghz|mhz|hz\b|inch|in\.|\"|''|'|"
    r"ft\b|feet|foot|sq\b|sqft|square|bed|br\b|bd\b|ba\b|bath|years?\b|yrs?\b|yo\b|year-old|months?\b|mos?\b|weeks?\b|"
    r"wks?\b|days?\b|hours?\b|hrs?\b|mins?\b|minutes?\b|pm\b|am\b|%|percent|mph|lbs?\b|pounds|cc\b|mm\b|cm\b|"
    r"speeds?\b|seats?\b|seater|people|persons?\b|times\b|x\b|x\s*\d|th\b|st\b|nd\b|rd\b|owners?\b|doors?\b|cyl|hp\b|"
    r"watts?\b|w\b|volts?\b|v\b|pieces?\b|pcs\b|drawers?\b|shelves|kids|dogs?\b|cats?\b|units?\b|floors?\b|"
    r"stor(?:y|ies)\b|blocks?\b|megapixel|mp\b|p\b|gen\b|generation|series|"
    r"plus\b(?!\s*(?:shipping|s&h|tax|fees?|delivery))|pro\b|s\b|stars?\b|models?\b|"
    r"rooms?\b|bedrooms?\b|bathrooms?\b|tires?\b|wheels?\b|gears?\b|mile|euros?\b|games?\b|items?\b|chairs?\b|cards?\b|books?\b|sets?\b|"
    r":\d|/\d|\.\d+\.\d)"
)
"""What follows a number that is not money: mileage, sizes, counts, times, model numbers."""

_DIGIT = re.compile(r"\d")
_JOINED = re.compile(r"\d[-/.:)]|\d\s\d")
_RANGE_GAP = re.compile(r"\s*(?:-|–|to|or)\s*")
_NOT_MONEY = re.compile(
    r"\(?\d{3}\)?[-.\s]\d{3}[-.\s]\d{4}"  # phone numbers
    r"|(?<!\d)\d{3}[-.]\d{4}\b"
    r"|\b\d{1,4}/\d{1,4}(?:/\d{2,4})?\b"  # dates and fractions
    r"|\b\d+\.\d+\.\d+"  # versions
    r"|\b\d{1,2}:\d{2}\b"  # times
)
_MILES = re.compile(r"\s*(?:miles?|mi\b|km)")
_FRACTION_OF = re.compile(
    r"(?:\bhalf|\bquarters?|\bthirds?|\d\s*/\s*\d+|\d\s*%|\bpercent)\s+of\s+(?:the\s+|a\s+|an\s+)?$")
"""What makes the amount after it a part of one ("3/4 of 380", "a quarter of a grand", "half of the 380"): no price."""
_OTHER_CURRENCY = "€£¥₹"
_COUNTED = re.compile(r"\s*(?:reasons?|ways|things|times|people|questions|views)\b")
"""What a number with a multiplier counts where it is no money ("1 million reasons", "2k views")."""
_HAS_NUMBER_WORD = re.compile(r"hundred|thousand|grand|twenty|thirty|fou?rty|fifty|sixty|seventy|eighty|ninety|teen|ten"
                              r"|eleven|twelve|million")
"""A cheap first look (plain literals) before the word-by-word reading of number words."""

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_MULTIPLIERS = {"hundred": 100, "thousand": 1000, "grand": 1000, "k": 1000, "million": 10**6}
_SPOKEN_MULTIPLIERS = ("hundred", "thousand", "grand")
"""Those that follow 'a' in a price: 'a grand', 'half a grand' (not 'a k', nor 'a million', mostly an idiom: 'thanks a
million', 'one in a million')."""
_THOUSANDS = ("thousand", "grand")
_AND_A_HALF = re.compile(r"and\s+a\s+half\b")
"""After a thousand ('a grand and a half': 1,500), or before one ('one and a half grand')."""
_WORD = re.compile(r"[a-z]+")
_LAST_WORD = re.compile(r"\b([a-z]+)\W*$")
_CLOCK_BEFORE = {"at", "after", "before", "until", "till", "by", "around"}
_CLOCK_AFTER = re.compile(r"\s*(?:o'?clock|-?ish\b|tonight|today|tomorrow|this (?:morning|afternoon|evening)|"
                          r"in the (?:morning|afternoon|evening))")
_VISIT_BEFORE = re.compile(r"\b(?:pick(?:ing)? (?:\w+ )?up|come(?! down| up)|coming(?! down| up)|"
                           r"meet(?! (?:\w+ )?(?:halfway|half way|in the middle))|stop by|"
                           r"swing by|be there|get there|drop (?:\w+ )?off|see it|look at it|head over|free|available)"
                           r"\b[^.?!,;]{0,16}$")
"""'I can come by around 8', 'meet at 5 at the starbucks', 'at 6 tonight': an hour, where a number from 1 to 12 follows
a clock preposition after a visit's words, or is followed by a time of day (and no sale's words come before it)."""
_SALE_BEFORE = re.compile(r"\b(?:sell|let (?:it|them) go|take|do|pay|offer|give|price|go)\b(?: \w+){0,3}\s*$")
"""'I'd sell it at 8 today': a price, though a time of day follows it."""
_LABELLED = re.compile(r"\b(?:size|sizes|sz|model|version|gen|apt|suite)\s*#?\s*$")
"""A word that names the number after it as no price: 'size 11', 'model #3'."""


@dataclass(frozen=True)
class AmountMention:
    value: float
    start: int
    end: int
    dollar: bool  # written with $, "dollars" or "bucks"
    unit_after: bool  # followed by a unit that is not money (miles, GB, years...)
    negative: bool = False
    words: bool = False  # written in words ("twelve hundred")

    @property
    def looks_like_year(self) -> bool:
        return not self.dollar and self.value.is_integer() and 1950 <= self.value <= 2030


LARGEST_AMOUNT = 1e15
"""Larger amounts, such as '1e999' (a float's infinity), are no money."""


def _value(m: re.Match) -> float:
    value = float(m["num"].replace(",", "") + (m["dec"] or "") + (m["exp"] or ""))  # "3e2": 300
    suffix = (m["suffix"] or "").strip().lower()
    if suffix in ("k", "grand", "thousand"):
        value *= 1000
    elif suffix == "million":
        value *= 10**6
    elif suffix == "hundred":
        value *= 100
    return value


def _digit_mentions(text: str) -> list[AmountMention]:
    out = []
    not_money: list[tuple[int, int]] | None = None
    for m in _NUMBER.finditer(text):
        start, end, first = m.start("num"), m.end(), m.start()
        before = text[first - 1] if first else ""
        # Parts of phone numbers, dates, model names ("s7", "1080p"), or decimals split by regex.
        if before and (before.isalpha() or before in "#:/.") and not m["dollar"]:
            continue
        if before == "," and text[first - 2:first - 1].isdigit():  # "1,5 million": not a number we can read
            continue
        value = _value(m)
        if not value <= LARGEST_AMOUNT:
            continue
        if not_money is None:
            not_money = [span.span() for span in _NOT_MONEY.finditer(text)] if _JOINED.search(text) else []
        if any(a <= start < b for a, b in not_money):
            continue
        unit_after = not (m["suffix"] or m["dollar_after"] or m["dollar"]) \
            and (bool(UNITS_AFTER.match(text, end)) or _labelled_number(text, m) or _hour(text, m))
        if m["suffix"] and (_MILES.match(text, end) or _COUNTED.match(text, end)):
            unit_after = True
        out.append(AmountMention(value, start, end, bool(m["dollar"] or m["dollar_after"]), unit_after,
                                 negative=bool(m["neg"]) and not before.isalnum()
                                 and not (out and not text[out[-1].end:first].strip())))  # "1.2k - 1.5k": a range
    return out


def _word_mentions(text: str) -> list[AmountMention]:
    """'twelve hundred', 'two hundred fifty', 'five grand', 'fifty bucks', and as people say prices: 'one fifty'
    (150), 'twenty two fifty' (2,250), 'hundred even'."""
    out = []
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words):
        w = words[i][0]
        word_before = words[i - 1][0] if i else ""
        starts = (w in _NUMBER_WORDS and word_before != "point") \
            or (w == "hundred" and not text[:words[i].start()].rstrip()[-1:].isdigit()  # "2 hundred": the digits'
                and word_before not in ("couple", "few", "several", "many")) \
            or (w == "a" and i + 1 < len(words) and words[i + 1][0] in _SPOKEN_MULTIPLIERS) \
            or (w == "half" and i + 2 < len(words) and words[i + 1][0] == "a" and words[i + 2][0] in _SPOKEN_MULTIPLIERS)
        if not starts:
            i += 1
            continue
        spoken = word_before not in _CLOCK_BEFORE  # "one fifty" is 150, but "at five thirty" is a time
        total, current, j = 0, 0, i
        while j < len(words) and total + current < 10**9:  # "one hundred hundred hundred...": no float holds it
            t = words[j][0]
            gap = text[words[j - 1].end():words[j].start()] if j > i else ""
            if j > i and gap.strip(" -") not in ("", "and"):
                break
            if t in _NUMBER_WORDS:
                value, previous = _NUMBER_WORDS[t], words[j - 1][0] if j > i else None
                if previous not in _NUMBER_WORDS or (previous.endswith("ty") and value < 10):
                    current += value  # "two hundred fifty", "twenty two"
                elif value >= 10 and spoken and t != previous:
                    current = current * 100 + value  # as people say prices: "one fifty", "twenty two fifty"
                else:
                    break
            elif t == "half" and j == i:
                current = 0.5  # "half a grand"
            elif t == "a" and (j == i or words[j - 1][0] == "half"):
                current = current or 1
            elif t in _MULTIPLIERS and (j > i or t == "hundred"):  # "hundred even?"
                current = (current or 1) * _MULTIPLIERS[t]
                if _MULTIPLIERS[t] >= 1000:
                    total, current = total + current, 0
            elif t == "and" and j > i and _AND_A_HALF.match(text, words[j].start()) and (
                    words[j - 1][0] in _THOUSANDS or words[j - 1][0] in _NUMBER_WORDS
                    and j + 3 < len(words) and words[j + 3][0] in _THOUSANDS):
                if current:  # "one and a half grand": the thousand multiplies 1.5
                    current += 0.5
                else:  # "a grand and a half": the thousand is counted, half of one more
                    total += _MULTIPLIERS[words[j - 1][0]] / 2
                j += 2
            elif t == "and" and j > i:
                pass
            else:
                break
            j += 1
        value = total + current
        last = words[j - 1]
        span_words = [x[0] for x in words[i:j]]
        if value >= 20 or any(x in _MULTIPLIERS for x in span_words):
            after = text[last.end():]
            dollar = bool(re.match(r"\s*(?:dollars?|bucks)\b", after)) or "grand" in span_words
            out.append(AmountMention(float(value), words[i].start(), last.end(), dollar,
                                     bool(UNITS_AFTER.match(after) or _COUNTED.match(after)) and not dollar,
                                     words=True))
        i = max(j, i + 1)
    return out


def lowercase(text: str) -> str:
    """The text in lower case, each character where it was (the rare letter whose lower case is longer stays)."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def _word_before(text: str, start: int) -> str:
    """The word just before text[start:] ('' where there is none)."""
    m = _LAST_WORD.search(text, max(0, start - 12), start)
    return m[1] if m else ""


def _labelled_number(text: str, m: re.Match) -> bool:
    """A number a word just before it names as no price: 'size 11', 'model 3' (not 'Great model! 250?')."""
    return _LABELLED.search(text, max(0, m.start() - 12), m.start()) is not None


def _hour(text: str, m: re.Match) -> bool:
    """A clock hour, not money: see _VISIT_BEFORE."""
    if m["dec"] or not 1 <= int(m["num"].replace(",", "")) <= 12:
        return False
    clock = _LAST_WORD.search(text, max(0, m.start() - 12), m.start())
    if clock is None or clock[1] not in _CLOCK_BEFORE:
        return False
    before = max(0, clock.start() - 40), clock.start(1)
    return bool(_VISIT_BEFORE.search(text, *before)
                or (_CLOCK_AFTER.match(text, m.end()) and not _SALE_BEFORE.search(text, *before)))


def _digits_then_tens(text: str, mentions: list[AmountMention]) -> list[AmountMention]:
    """'1 fifty' (150), '2 twenty five' (225): a number under 100 in digits, then tens or teens in words, as people
    say a price (not after a clock preposition: 'at 5 thirty' is a time)."""
    out: list[AmountMention] = []
    for m in mentions:
        prev = out[-1] if out else None
        if prev is not None and m.words and not prev.words and not prev.dollar and not prev.unit_after \
                and prev.value.is_integer() and 1 <= prev.value < 100 and 10 <= m.value < 100 \
                and text[prev.end:m.start] == " " and _WORD.match(text, m.start)[0] in _NUMBER_WORDS \
                and _word_before(text, prev.start) not in _CLOCK_BEFORE:
            out[-1] = replace(m, value=prev.value * 100 + m.value, start=prev.start)
            continue
        out.append(m)
    return out


def _no_dollars(text: str, m: AmountMention) -> bool:
    """Whether the amount is a part of one ("3/4 of 380") or in another currency ("€250")."""
    return bool(" of " in text[max(0, m.start - 12):m.start] and _FRACTION_OF.search(text, 0, m.start)
                or m.start and text[m.start - 1] in _OTHER_CURRENCY)


def find_amounts(text: str) -> list[AmountMention]:
    """Every number in the text that might be money, in reading order (positions index `text`)."""
    text = lowercase(text[:MAX_TEXT])
    mentions = _digit_mentions(text) if _DIGIT.search(text) else []
    if _HAS_NUMBER_WORD.search(text):
        mentions += _word_mentions(text)
    mentions.sort(key=lambda m: m.start)
    mentions = [replace(m, unit_after=True) if not m.unit_after and _no_dollars(text, m) else m for m in mentions]
    if mentions and any(m.words for m in mentions) and any(not m.words for m in mentions):
        mentions = _digits_then_tens(text, mentions)
    # "5-6 years", "3 or 4 miles": the unit of a range's second end is the first end's too.
    for i in range(len(mentions) - 2, -1, -1):
        first, second = mentions[i], mentions[i + 1]
        if second.unit_after and not first.unit_after and _RANGE_GAP.fullmatch(text, first.end, second.start):
            mentions[i] = replace(first, unit_after=True)
    return mentions
