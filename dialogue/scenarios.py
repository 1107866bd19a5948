"""Where scenarios come from: the shipped set, a dialogue file, scraped listings, or the train CSV.

A source is named by a string: `builtin` (data/scenarios.json), a CraigslistBargain dialogue
file (its scenarios), a listings file (`listings/craigslist_*.json`), or `train-scenarios.csv`.
`builtin:3` or `FILE:3` picks one scenario.
"""
from __future__ import annotations

import csv
import difflib
import json
import random
import sys
from pathlib import Path

from dialogue.corpus import (DATA_DIR, KB, LARGEST, SELLER_WALK_AWAY_FRACTION, CorpusError, Item, Scenario,
                             ShapeError, check_file, load_dialogues, read_json)
from parser.acts import write_price
from strategy.principal import CENT

BUILTIN_SCENARIOS = DATA_DIR / "scenarios.json"
BUYER_TARGET_FRACTIONS = (0.5, 0.7, 0.9)


def make_scenario(title: str, category: str, price: float, description: list[str], buyer_target: float,
                  uuid: str = "", seller_target: float | None = None) -> Scenario:
    """Seller target the listing price unless given; walk-aways default."""
    item = Item(title, category, float(price), description)
    seller_target = float(price) if seller_target is None else float(seller_target)
    return Scenario([KB("buyer", round(float(buyer_target), 2), item), KB("seller", seller_target, item)], uuid,
                    {"category": category})


def _price(x: object) -> float | None:
    """A price from a cent to LARGEST, else None (true is no price, though Python counts it as 1; a price under a
    cent is said as $0)."""
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and CENT <= x <= LARGEST else None


PRICED = f"a price from $0.01 to {LARGEST:.0e}"


def scenarios_from_listings(rows: list[dict], seed: int = 0, source: str = "listings") -> list[Scenario | None]:
    """A scenario a listing with a price (None for the others, which are skipped), in the order of `rows`: its
    `buyer_target` where it has one, else listing × one of BUYER_TARGET_FRACTIONS, seeded; its `seller_target` where
    it has one, else the price; its `id` as the uuid, else SOURCE_i. A target that is not a price up to the
    listing's, or a seller's below its walk-away price, is a ValueError."""
    rng = random.Random(seed)
    out: list[Scenario | None] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"listing {i} must be an object, not {type(row).__name__}")
        price = _price(row.get("price"))
        if price is None:
            out.append(None)
            continue
        desc = row.get("description") or []
        desc = [desc] if isinstance(desc, str) else desc
        fields = {"title": row.get("title") or "", "category": row.get("category") or ""}
        if not (isinstance(desc, list) and all(isinstance(line, str) for line in desc)):
            raise ValueError(f"listing {i}: description must be a string or a list of strings")
        if not all(isinstance(v, str) for v in fields.values()):
            raise ValueError(f"listing {i}: title and category must be strings")
        target = _target(row, "buyer_target", i, price)
        if target is None:
            target = max(CENT, round(price * rng.choice(BUYER_TARGET_FRACTIONS), 2))
        scenario = make_scenario(fields["title"], fields["category"], price, desc, target,
                                 str(row.get("id") or f"{source}_{i}"), _target(row, "seller_target", i, price))
        seller = scenario.kb("seller")
        if seller.target < seller.walk_away:
            raise ValueError(f"listing {i}: seller_target {row['seller_target']!r} is below the seller's walk-away "
                             f"price, {write_price(seller.walk_away)} ({SELLER_WALK_AWAY_FRACTION:.0%} of the "
                             f"listing's price)")
        out.append(scenario)
    return out


def _target(row: dict, key: str, i: int, price: float) -> float | None:
    """A listing's own target (a number, or a CSV cell's text of one) up to its price; None where it has none."""
    raw = row.get(key)
    if raw is None or raw == "":
        return None
    try:
        target = _price(float(raw) if isinstance(raw, str) else raw)
    except ValueError:
        target = None
    if target is None or not CENT <= target <= price:  # a target under a cent is written as $0: no price
        raise ValueError(f"listing {i}: {key} {raw!r} is not a price from $0.01 to the listing's price, "
                         f"{write_price(price)}")
    return target


def scenarios_from_csv(path: Path, seed: int = 0) -> list[Scenario | None]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = [{"title": r.get("title"), "category": r.get("category"), "description": r.get("description"),
                     "price": _float(r.get("list_price")), "buyer_target": r.get("buyer_target"),
                     "seller_target": r.get("seller_target"), "id": r.get("scenario_id")} for r in csv.DictReader(f)]
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: not UTF-8 text; not a scenarios CSV") from None
    except csv.Error as e:  # a field over the csv module's limit, a NUL byte
        raise CorpusError(f"{path}: not a scenarios CSV ({e})") from None
    if rows and all(r["price"] is None for r in rows):
        raise CorpusError(f"{path}: no list_price column with numbers; not a scenarios CSV")
    return listings_of(path, rows, seed)


def listings_of(path: Path, rows: list[dict], seed: int) -> list[Scenario | None]:
    """scenarios_from_listings, a bad listing a CorpusError naming the file."""
    try:
        scenarios = scenarios_from_listings(rows, seed, source=path.stem)
    except ValueError as e:
        raise CorpusError(f"{path}: {e}") from None
    skipped = scenarios.count(None)
    if rows and skipped == len(rows):
        raise CorpusError(f"{path}: none of its {len(rows)} listings has {PRICED}")
    if skipped:
        print(f"note: {path}: {skipped} of {len(rows)} listings have no {PRICED.removeprefix('a ')}, and were skipped",
              file=sys.stderr)
    return scenarios


def _float(x: str | None) -> float | None:
    try:
        return float(x) if x else None
    except ValueError:
        return None


def load_scenarios(source: str | Path, seed: int = 0) -> list[Scenario]:
    """All scenarios of a source (see the module docstring)."""
    return [s for s in numbered_scenarios(source, seed) if s is not None]


def numbered_scenarios(source: str | Path, seed: int = 0) -> list[Scenario | None]:
    """All scenarios of a source in their places in it: None for a listing skipped (it has no price)."""
    source = str(source)
    if not source.strip():
        raise CorpusError("no scenarios given: use builtin, or a file of dialogues or listings")
    if source == "builtin":
        return [Scenario.from_dict(s) for s in json.loads(BUILTIN_SCENARIOS.read_text(encoding="utf-8"))]
    path = Path(source)
    if not path.exists() and (numbered := one_of(source)):
        raise CorpusError(f"{source}: a source here is a whole set of scenarios (builtin, or a file), without "
                          f":{numbered[1]}")
    if not path.exists() and difflib.get_close_matches(source.lower(), ["builtin"], cutoff=0.7):
        raise CorpusError(f"{source}: no such file; did you mean builtin?")
    if path.suffix.lower() == ".csv":
        check_file(path)
        return scenarios_from_csv(path, seed)
    raw = read_json(path)
    first = raw[0] if isinstance(raw, list) and raw else None
    if isinstance(first, dict) and "kbs" in first:  # a list of bare scenarios, like data/scenarios.json
        try:
            return [Scenario.from_dict(s, f"scenario {i}") for i, s in enumerate(raw)]
        except ShapeError as e:
            raise CorpusError(f"{path}: {e}") from None
        except (KeyError, TypeError, ValueError) as e:
            raise CorpusError(f"{path}: not a list of scenarios ({e})") from None
    if isinstance(first, dict) and "scenario" not in first and ("price" in first or "title" in first):
        return listings_of(path, raw, seed)
    return [d.scenario for d in load_dialogues(path)]


def one_of(spec: str) -> tuple[str, str] | None:
    """(SRC, N) where the spec names one scenario of a source, SRC:N (SRC builtin or a file, N a number)."""
    source, colon, index = spec.rpartition(":")
    return (source, index) if colon and index.isdecimal() and (source == "builtin" or Path(source).is_file()) else None


def pick_scenario(spec: str, seed: int = 0) -> Scenario:
    """`builtin:3`, `path/to/file.json:3`, or a source alone (its first scenario)."""
    source, colon, index = spec.rpartition(":")
    if not colon or not (index.isdecimal() or source == "builtin" or Path(source).is_file()):
        source, index = spec, "0"
    if not source.strip():
        raise CorpusError("no scenario given: use builtin:N or FILE:N")
    if numbered := one_of(source):
        raise CorpusError(f"{spec}: one scenario's number at most ({numbered[0]}:N)")
    scenarios = numbered_scenarios(source, seed)
    if not scenarios:
        raise CorpusError(f"{source}: no scenarios in it")
    digits = index.lstrip("0") or "0"  # int() refuses over 4,300 digits: a number that long is past any file's
    n = int(digits) if index.isdecimal() and len(digits) <= len(str(len(scenarios))) else len(scenarios)
    if n < len(scenarios) and (scenario := scenarios[n]) is not None:
        return scenario
    from dialogue.generator_data import shorten  # a spec thousands of characters long is echoed shortened

    if n < len(scenarios):
        raise CorpusError(f"{shorten(spec, 60)}: listing {n} has no {PRICED.removeprefix('a ')}; it is no scenario")
    what = "index out of range" if index.lstrip("-").isdecimal() else \
        f"{shorten(index, 60)!r} is not a scenario's number"
    raise CorpusError(f"{shorten(spec, 60)}: {what}; {source}:N takes N from 0 to {len(scenarios) - 1}")
