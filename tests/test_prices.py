"""Prices as ACTS.md says: the amount proposed now, not any number in the message."""
import pytest

from parser.acts import Act, Intent
from parser.prices import find_amounts
from parser.rules import ActReader, parse_dialogue


def first_price(text: str, listing: float = 1500, role: str = "seller") -> float | None:
    return ActReader(listing).read(role, text).price


@pytest.mark.parametrize("text", ["$1,200", "1200", "1.2k", "1.2K", "twelve hundred", "$1200/month",
                                  "I can do $1200/month", "how about 1,200 dollars?", "1200$ and it's yours"])
def test_ways_of_writing_1200(text):
    assert first_price(text) == 1200


@pytest.mark.parametrize("text, listing, price", [
    ("I paid 500 for it, I'd take 350", 400, 350),
    ("It's listed at 100 but I can do 80", 100, 80),
    ("I bought it new for $900 and I'm asking 600", 650, 600),
    ("five grand and it's yours", 6000, 5000),
    ("two hundred fifty and it's yours", 300, 250),
    ("I'll take $6100 but I'll throw in a gas card for $50", 8500, 6100),
])
def test_the_proposed_amount_wins(text, listing, price):
    assert first_price(text, listing) == price


@pytest.mark.parametrize("text, listing, price", [
    ("Hi, I'm asking one fifty", 150, 150), ("would you take one seventy five?", 200, 175),
    ("two sixty and it's yours", 300, 260), ("I could do one ten", 150, 110), ("hundred even?", 150, 100),
    ("hundred and ten?", 150, 110), ("twenty two fifty a month", 2250, 2250), ("two grand a month?", 2250, 2000),
    ("i can do 1 fifty", 200, 150), ("would you take 2 twenty five?", 300, 225),
])
def test_prices_as_people_say_them(text, listing, price):
    """Number words read as hundreds where English would not add them: "one fifty" is 150, not 51; "two grand" is
    money, never the year 2000."""
    assert first_price(text, listing) == price


@pytest.mark.parametrize("text, listing, price", [
    ("I could do half a grand", 600, 500), ("$2.5 million and it's yours", 2_800_000, 2_500_000),
    ("two million even", 2_800_000, 2_000_000), ("I'd go 2.4 million", 2_800_000, 2_400_000),
    ("$2.2 million tops, it is one in a million", 2_800_000, 2_200_000),
    ("how about a grand and a half", 1800, 1500), ("one and a half grand?", 1800, 1500),
    ("two grand and a half", 2800, 2500), ("a thousand and a half, cash", 1800, 1500),
])
def test_halves_and_millions(text, listing, price):
    """"$2.5 million" is no $2.5, "half a grand" is $500, and "a grand and a half" $1,500 (it once read $1,000)."""
    assert first_price(text, listing) == price


@pytest.mark.parametrize("text", ["thanks a million for showing me the house", "is the vapor barrier 6 mil plastic?",
                                  "two point three million?", "1,5 million?", "half of a million is my budget for repairs",
                                  "I can give you 1 million reasons to buy it", "two million reasons to move here"])
def test_a_million_in_words_that_name_no_price(text):
    """'a million' is mostly an idiom, 'mil' a thickness, and a decimal point or comma in words or digits we cannot
    read leaves no price (where these once read $1,000,000, $6,000,000, $3,000,000 and $5,000,000); nor does a
    million that counts reasons."""
    assert first_price(text, 2_800_000, "buyer") is None


@pytest.mark.parametrize("text", ["I could pay a quarter of a grand", "three quarters of a grand?", "I will pay 3/4 of 380",
                                  "half of the 380 now, the rest next week", "€250", "I paid £250 for it"])
def test_a_part_of_an_amount_or_another_currency_is_no_price(text):
    """These once read $1,000, $1,000, $380, $380, $250 and $250, and an agent answered "Deal at $1,000"."""
    assert first_price(text, 380, "buyer") is None


def test_random_bytes_say_nothing():
    """Control characters and the stand-ins for undecodable bytes are no typed text: 2 in 5 lines of random bytes
    once read as agreement, and an agent made a formal offer at each."""
    import random

    text = random.Random(0).randbytes(20000).decode("utf-8", "replace")
    lines = [line for line in text.split("\n") if len(line.strip()) >= 8][:40]  # "k" may be a typed "ok"
    assert len(lines) == 40
    for line in lines:
        reader = ActReader(380)
        reader.observe("seller", Act(Intent.COUNTER, 369.0))
        assert reader.read("buyer", line) == Act(Intent.UNKNOWN)


@pytest.mark.parametrize("text, price", [("I will pay 3e2 bucks", 300), ("I'd pay 1.2e2", 120), ("$1e9", None),
                                         ("1e999", None)])
def test_scientific_notation_is_read_whole(text, price):
    """'$1e9' used to read as $1 (and '3e2 bucks' as $3): the exponent is part of the number. An amount beyond
    LARGEST_AMOUNT ('1e999' is a float's infinity) is no money."""
    assert first_price(text, 400, "buyer") == price
    assert all(m.value <= 1e15 for m in find_amounts(text))


@pytest.mark.parametrize("text, listing", [("nineteen ninety nine model", 1500), ("a grand total of five", 40),
                                           ("one or two scratches", 150), ("see you at five thirty", 600), ("see you at 5 thirty", 600),
                                           ("can we go fifty fifty on the deposit?", 2250),
                                           ("I turned down a couple hundred already", 300)])
def test_number_words_that_are_not_prices(text, listing):
    assert first_price(text, listing) is None


@pytest.mark.parametrize("text", ["I live at 221 Oak Ave", "my address is 123 main st", "apt 140, buzz me",
                                  "I'm in unit 110", "I'm parked in spot 115"])
def test_an_address_is_no_price(text):
    assert first_price(text, 150, "buyer") is None


@pytest.mark.parametrize("text", ["great, I can come by around 8 tonight", "I can meet at 5 at the starbucks",
                                  "can I pick it up at 6?", "can I come see it at 7 tonight?",
                                  "Yes! are they size 11?", "is it the model 3?"])
def test_an_hour_or_a_size_is_no_price_even_for_a_cheap_item(text):
    """A cheap listing makes small numbers plausible prices; an hour after a visit's words (or before a time of
    day), and a size, are none."""
    assert first_price(text, 25, "buyer") is None


@pytest.mark.parametrize("text, price", [("I'd sell it at 8", 8), ("could you come down to 8?", 8),
                                         ("can you come down by 5?", 5), ("I'd do 85 plus shipping", 85),
                                         ("would you take 85 plus tax?", 85), ("I'd sell it at 8 today", 8),
                                         ("how about we meet halfway at 9?", 9), ("Great model! 25?", 25),
                                         ("the right size. 90 and I pick it up", 90)])
def test_a_price_beside_a_clock_word_or_a_plus_stays_a_price(text, price):
    assert first_price(text, 10 if price < 10 else 100, "buyer") == price


@pytest.mark.parametrize("text, listing", [
    ("It only has 106k miles", 9000),
    ("It has 2 bedrooms and 1 bath", 2000),
    ("It's a 2015 model", 9000),
    ("Call me at 415-555-1234", 500),
    ("The screen is 55 inches and it has 64GB", 60),
    ("It's 27x11x4 when folded", 30),
    ("Pick up at 5pm or 5:30", 10),
])
def test_numbers_that_are_not_prices(text, listing):
    assert first_price(text, listing) is None


@pytest.mark.parametrize("text", ["How about -50?", "I'll give you $3 for it", "I'll pay 900000"])
def test_implausible_amounts_are_not_prices(text):
    assert first_price(text, listing=200, role="buyer") is None


def test_relative_price_from_the_partners_ask():
    acts = parse_dialogue([("seller", "I'm asking 400 for it"), ("buyer", "Would you take 50 less than you asked?")], 400)
    assert acts[1] == Act(Intent.COUNTER, 350)


def test_half_the_listed_price():
    assert first_price("Would you take half the listed price?", listing=300, role="buyer") == 150


def test_percent_off_sets_the_price():
    assert first_price("I can give you 30% off", listing=2250, role="seller") == 1575


def test_split_the_difference():
    acts = parse_dialogue([("seller", "I want 400"), ("buyer", "I can pay 300"), ("seller", "Let's split the difference")], 400)
    assert acts[2] == Act(Intent.COUNTER, 350)


@pytest.mark.parametrize("role, price", [("buyer", 80), ("seller", 90)])
def test_ranges_take_the_speakers_end(role, price):
    assert first_price("Something in the 80 to 90 range?", listing=100, role=role) == price
    assert first_price("I was thinking $80-$90", listing=100, role=role) == price
    for joined in ("I could do 1200-1500", "I could do 1200 - 1500", "1.2k - 1.5k", "1200$ - 1500$",
                   "1200 dollars - 1500"):  # not a phone number's part, nor minus 1,500
        assert first_price(joined, listing=1400, role=role) == {80: 1200, 90: 1500}[price]


def test_a_phone_number_and_a_minus_sign_are_no_range():
    assert [m.value for m in find_amounts("call 555-1234 for $300")] == [300]
    assert [m.value for m in find_amounts("tel555-1234")] == []
    assert [(m.value, m.negative) for m in find_amounts("it was -5 out, and 20 - 5 is 15")] == \
        [(5, True), (20, False), (5, False), (15, False)]


def test_find_amounts_reports_units():
    mentions = find_amounts("It has 60,000 miles and costs $4,500")
    assert [(m.value, m.unit_after, m.dollar) for m in mentions] == [(60000, True, False), (4500, False, True)]


def test_amounts_in_any_case_index_the_original_text():
    text = "İSTANBUL RUG, 5K OBO or Twelve Hundred Dollars"  # "İ" lowercases to two characters
    mentions = find_amounts(text)
    assert [m.value for m in mentions] == [5000, 1200]
    assert text[mentions[0].start:mentions[0].end].strip() == "5K"
    assert text[mentions[1].start:mentions[1].end] == "Twelve Hundred"
    assert mentions[1].dollar


def test_a_run_of_number_words_is_read_without_end():
    """"twenty twenty..." and "one hundred hundred...": each word would scale the last, past what a float holds (an
    OverflowError out of the parser). A word said twice is two amounts."""
    assert [m.value for m in find_amounts("twenty " * 160)] == [20.0] * 160
    assert ActReader(150).read("buyer", "twenty " * 160) == Act(Intent.INFORM)
    assert ActReader(150).read("buyer", "one hundred " + "hundred " * 300).price is None
