"""CraigslistBargain dialogue JSON as typed objects: scenario, events, outcome.

Every key the format has but haggler does not model is kept in `extra`, so reading one of
CraigslistBargain's own files and writing it back gives equal data (a file of other shapes is
written in theirs: a null title as "", a description string as a list of one).
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from dialogue.files import write_whole
from parser.acts import Act, Intent, Role, in_cents

SELLER_WALK_AWAY_FRACTION = 0.7
"""Default seller walk-away: below 0.7 × the listing price (DESIGN.md)."""


LARGEST = 1e12
"""The largest number a dialogue file may hold: prices are handled in whole cents, exact in a float up to 2**53."""


DATA_DIR = Path(__file__).resolve().parent.parent / "data"
"""What haggler ships in data/: the builtin scenarios and the generator's adapter (the learned policies' folder is
strategy.policies.POLICY_DIR)."""


CRAIGSLIST = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "craigslist"
"""CraigslistBargain, beside the checkout: ../shared/data/craigslist."""


DEFAULT_DATA = "craigslist"
"""The training data's name on the command line: `held_out.craigslist_training_dialogues()`."""


ACTIONS = ("message", "offer", "accept", "reject", "quit", "None")
"""Event actions; "None" is the padding event luis-acts.json inserts before formal events."""


class CorpusError(ValueError):
    """A dialogue file that is missing, not JSON, or not in the CraigslistBargain shape."""


class ShapeError(ValueError):
    """A field of the wrong type or value; the message names the field, e.g. `events[3].agent`."""


_TYPE_NAMES = {dict: "a dict", list: "a list", str: "a string", type(None): "null"}


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _TYPE_NAMES[type(value)]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 30:
        return "an integer over 1e30"
    return "null" if value is None else repr(value) if len(repr(value)) <= 30 else f"a {type(value).__name__}"


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if key else where


def _check(value: Any, types: type | tuple[type, ...], where: str, key: str = "") -> Any:
    """`value` if it is one of `types`, else a ShapeError naming the field `where.key`."""
    if isinstance(value, types):
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise ShapeError(f"{_name(where, key)} holds a lone surrogate (\\ud800 to \\udfff)") from None
        return value
    want = " or ".join(_TYPE_NAMES[t] for t in (types if isinstance(types, tuple) else (types,)))
    raise ShapeError(f"{_name(where, key)} must be {want}, not {_describe(value)}")


def _number(value: Any, where: str, key: str, optional: bool = False) -> Any:
    """`value` if it is a number of at most LARGEST in size (or null when `optional`), else a ShapeError naming
    the field."""
    if value is None and optional:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            size = abs(float(value))
        except OverflowError:  # an integer past a float's range
            size = 2 * LARGEST
        if size <= LARGEST:
            return value
        if math.isfinite(size):
            raise ShapeError(f"{_name(where, key)} must be at most {LARGEST:.0e} in size, not {_describe(value)}")
    raise ShapeError(f"{_name(where, key)} must be a number{' or null' if optional else ''}, not {_describe(value)}")


def _positive(value: Any, where: str, key: str, optional: bool = False) -> Any:
    """A price: `_number`, above 0."""
    if _number(value, where, key, optional) is not None and value <= 0:
        raise ShapeError(f"{_name(where, key)} must be above 0, not {value}")
    return value


def _key(d: dict, key: str, where: str, parent: str = "") -> Any:
    if key not in d:
        raise ShapeError(f"{_name(where, parent)}: missing key {key!r}")
    return d[key]


@dataclass
class Item:
    title: str
    category: str
    price: float
    description: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict, where: str = "item") -> Item:
        _check(d, dict, where)
        rest = {k: v for k, v in d.items() if k not in ("Title", "Category", "Price", "Description")}
        desc = _check(d.get("Description"), (str, list, type(None)), where, "Description") or []
        for n, line in enumerate(desc if isinstance(desc, list) else []):
            _check(line, str, where, f"Description[{n}]")
        price = _positive(_key(d, "Price", where), where, "Price")
        return cls(_check(d.get("Title"), (str, type(None)), where, "Title") or "",
                   _check(d.get("Category"), (str, type(None)), where, "Category") or "",
                   price, [desc] if isinstance(desc, str) else list(desc), rest)

    def to_dict(self) -> dict:
        return {"Category": self.category, **self.extra, "Price": self.price,
                "Description": self.description, "Title": self.title}


@dataclass
class KB:
    """One side's private knowledge: its role and targets, and the item as it sees it."""
    role: Role
    target: float
    item: Item
    bottomline: float | None = None
    extra_personal: dict[str, Any] = field(default_factory=dict)

    @property
    def walk_away(self) -> float:
        """The explicit bottomline, else the default of DESIGN.md."""
        if self.bottomline is not None:
            return float(self.bottomline)
        price = float(self.item.price)
        return price if self.role == "buyer" else in_cents(SELLER_WALK_AWAY_FRACTION * price, up=True)

    @classmethod
    def from_dict(cls, d: dict, where: str = "kb") -> KB:
        _check(d, dict, where)
        p = _check(_key(d, "personal", where), dict, where, "personal")
        role = _check(_key(p, "Role", where, "personal"), str, where, "personal.Role").lower()
        if role not in ("buyer", "seller"):
            raise ShapeError(f"{where}.personal.Role must be buyer or seller, not {p['Role']!r}")
        rest = {k: v for k, v in p.items() if k not in ("Role", "Target", "Bottomline")}
        target = _positive(_key(p, "Target", where, "personal"), where, "personal.Target")
        bottomline = _positive(p.get("Bottomline"), where, "personal.Bottomline", optional=True)
        item = Item.from_dict(_key(d, "item", where), f"{where}.item")
        return cls(role, target, item, bottomline, rest)  # type: ignore[arg-type]

    def to_dict(self) -> dict:
        return {"personal": {"Bottomline": self.bottomline, "Role": self.role, "Target": self.target,
                             **self.extra_personal},
                "item": self.item.to_dict()}


@dataclass
class Scenario:
    kbs: list[KB]
    uuid: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def item(self) -> Item:
        return self.kbs[0].item

    @property
    def listing_price(self) -> float:
        return float(self.item.price)

    def kb(self, role: Role) -> KB:
        return next(kb for kb in self.kbs if kb.role == role)

    def agent_of(self, role: Role) -> int:
        return next(i for i, kb in enumerate(self.kbs) if kb.role == role)

    @classmethod
    def from_dict(cls, d: dict, where: str = "scenario") -> Scenario:
        _check(d, dict, where)
        kbs = [KB.from_dict(kb, f"{where}.kbs[{n}]")
               for n, kb in enumerate(_check(_key(d, "kbs", where), list, where, "kbs"))]
        if len(kbs) != 2 or {kb.role for kb in kbs} != {"buyer", "seller"}:
            raise ShapeError(f"{where}.kbs must hold one buyer and one seller")
        buyer, seller = sorted(kbs, key=lambda kb: kb.role)
        if buyer.item.price != seller.item.price:
            raise ShapeError(f"{where}: the buyer's item.Price ({buyer.item.price:g}) and the seller's "
                             f"({seller.item.price:g}) differ; both see one listing")
        for kb in kbs:
            if (1 if kb.role == "seller" else -1) * (kb.target - kb.walk_away) < 0:
                why = "its Bottomline" if kb.bottomline is not None else \
                    "the default where Bottomline is null; set personal.Bottomline"
                raise ShapeError(f"{where}: the {kb.role}'s Target {kb.target:g} is "
                                 f"{'below' if kb.role == 'seller' else 'above'} its walk-away price "
                                 f"{kb.walk_away:g} ({why})")
        uuid = _check(d.get("uuid"), (str, type(None)), where, "uuid") or ""
        return cls(kbs, uuid, {k: v for k, v in d.items() if k not in ("kbs", "uuid")})

    def to_dict(self) -> dict:
        return {**self.extra, "uuid": self.uuid, "kbs": [kb.to_dict() for kb in self.kbs]}


@dataclass
class Event:
    action: str  # one of ACTIONS
    agent: int
    data: Any = None  # the text of a message; {"price", "sides"} for an offer
    time: Any = None
    metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    FIELDS = ("action", "agent", "data", "time", "metadata")

    @property
    def is_message(self) -> bool:
        return self.action == "message"

    @property
    def text(self) -> str:
        return self.data if isinstance(self.data, str) else ""

    @property
    def offer_price(self) -> float | None:
        if self.action == "offer" and isinstance(self.data, dict) and self.data.get("price") is not None:
            return float(self.data["price"])
        return None

    @property
    def act(self) -> Act | None:
        """The act in metadata (messages) or the formal event itself; None for an offer without a price (two of
        dev.json's: an offer of nothing is no offer of $0)."""
        if self.action == "message":
            if not self.metadata or not self.metadata.get("intent"):
                return None
            return Act.from_metadata(self.metadata)
        if self.action == "offer":
            return Act(Intent.OFFER, self.offer_price) if self.offer_price is not None else None
        if self.action == "None":
            return None
        return Act(Intent(self.action))

    @classmethod
    def from_dict(cls, d: dict, where: str = "event") -> Event:
        _check(d, dict, where)
        action, agent, data, metadata = d.get("action"), _key(d, "agent", where), d.get("data"), d.get("metadata")
        if action not in ACTIONS:
            raise ShapeError(f"{where}: missing key 'action'" if "action" not in d else
                             f"{where}: unknown event action {action!r}")
        if type(agent) is not int or agent not in (0, 1):
            raise ShapeError(f"{where}.agent must be 0 or 1, not {_describe(agent)}")
        if action == "message":
            _check(data, str, where, "data")
        elif action == "offer" and _check(data, (dict, type(None)), where, "data"):
            _number(data.get("price"), where, "data.price", optional=True)
        if _check(metadata, (dict, type(None)), where, "metadata"):
            _check(metadata.get("intent"), (str, type(None)), where, "metadata.intent")
            _number(metadata.get("price"), where, "metadata.price", optional=True)
        return cls(action, agent, data, d.get("time"), metadata,
                   {k: v for k, v in d.items() if k not in cls.FIELDS or (k == "metadata" and v is None)})

    def to_dict(self) -> dict:
        d = {"action": self.action, **self.extra, "data": self.data, "agent": self.agent, "time": self.time}
        if self.metadata is not None:
            d["metadata"] = self.metadata
        return d


@dataclass
class Outcome:
    reward: int = 0
    price: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict | None, where: str = "outcome") -> Outcome | None:
        if _check(d, (dict, type(None)), where) is None:
            return None
        offer = _check(d.get("offer"), (dict, type(None)), where, "offer")
        return cls(_number(d.get("reward", 0), where, "reward"),
                   _number(offer.get("price"), where, "offer.price", optional=True) if offer is not None else None,
                   {k: v for k, v in d.items() if k != "reward"})

    def to_dict(self) -> dict:
        d = {"reward": self.reward, **self.extra}
        if self.price is not None or "offer" in d:
            d["offer"] = None if self.price is None else {**(d.get("offer") or {"sides": ""}), "price": self.price}
        return d


@dataclass
class Dialogue:
    uuid: str
    scenario: Scenario
    events: list[Event]
    outcome: Outcome | None = None
    agents: dict[str, str] = field(default_factory=lambda: {"0": "human", "1": "human"})
    extra: dict[str, Any] = field(default_factory=dict)

    FIELDS = ("uuid", "scenario", "events", "outcome", "agents")

    def role_of(self, agent: int) -> Role:
        return self.scenario.kbs[agent].role

    @classmethod
    def from_dict(cls, d: dict) -> Dialogue:
        if "scenario" not in d:
            raise ShapeError("not a CraigslistBargain dialogue (missing key 'scenario')")
        events = _check(d.get("events"), (list, type(None)), "events") or []
        return cls(_check(d.get("uuid"), (str, type(None)), "uuid") or "", Scenario.from_dict(d["scenario"]),
                   [Event.from_dict(e, f"events[{n}]") for n, e in enumerate(events)],
                   Outcome.from_dict(d.get("outcome")), _check(d.get("agents"), (dict, type(None)), "agents") or {},
                   {k: v for k, v in d.items() if k not in cls.FIELDS})

    def to_dict(self) -> dict:
        return {"uuid": self.uuid, "scenario": self.scenario.to_dict(), **self.extra, "agents": self.agents,
                "outcome": self.outcome.to_dict() if self.outcome else None,
                "events": [e.to_dict() for e in self.events]}


def _json_msg(e: json.JSONDecodeError) -> str:
    return e.msg.removesuffix(" at")  # "Unterminated string starting at": the position follows


TOO_LONG = f"a number of over {sys.get_int_max_str_digits()} digits"


def check_file(path: Path) -> None:
    """A CorpusError unless `path` is a regular file."""
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "not a regular file" if path.exists() else "no such file"
        raise CorpusError(f"{path}: {what}")


def read_json(path: Path) -> Any:
    try:
        check_file(path)
        data = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"{path}: cannot read: {(e.strerror or str(e)).lower()}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:  # read on, its bytes would change names and uuids unseen
        line = data.count(b"\n", 0, e.start) + 1
        raise CorpusError(f"{path}: not UTF-8 text ({e.reason} at line {line})") from None
    if not text.strip():
        raise CorpusError(f"{path}: empty")
    if is_json_lines(path):
        return json_lines(path, text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data" and one_json_line(text):  # JSON Lines, in a file not named .jsonl
            return json_lines(path, text)
        raise CorpusError(f"{path}: not valid JSON ({_json_msg(e)} at line {e.lineno} column {e.colno})") from None
    except RecursionError:
        raise CorpusError(f"{path}: JSON nested too deeply to read") from None
    except ValueError:  # the only other: an integer too long to convert
        raise CorpusError(f"{path}: not valid JSON here ({TOO_LONG})") from None


def one_json_line(text: str) -> bool:
    """Whether the text's first line is a JSON object alone (as in JSON Lines; not an object written over lines)."""
    try:
        return isinstance(json.loads(text.lstrip().partition("\n")[0]), dict)
    except ValueError:
        return False


def json_lines(path: Path, text: str) -> list[Any]:
    """The values of a JSON Lines text, a line each (blank lines skipped)."""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise CorpusError(f"{path}:{n}: not valid JSON ({_json_msg(e)} at column {e.colno})") from None
            except RecursionError:
                raise CorpusError(f"{path}:{n}: JSON nested too deeply to read") from None
            except ValueError:
                raise CorpusError(f"{path}:{n}: not valid JSON here ({TOO_LONG})") from None
    return rows


def load_dialogues(path: str | Path) -> list[Dialogue]:
    """Reads a CraigslistBargain JSON list (or JSON Lines, one dialogue a line)."""
    path = Path(path)
    raw = read_json(path)
    if isinstance(raw, dict) and not {"scenario", "events"} & raw.keys():
        keys = ", ".join(list(raw)[:5]) + (", ..." if len(raw) > 5 else "")
        raise CorpusError(f"{path}: expected CraigslistBargain dialogues (a list of them, or one, with 'scenario' "
                          f"and 'events'), got {f'an object with keys {keys}' if keys else 'an empty object'}")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise CorpusError(f"{path}: expected a list of dialogues, got {_describe(raw)}")
    return dialogues_from(raw, str(path), "dialogue")


def dialogues_from(rows: Iterable[Any], source: str, unit: str,
                   convert: Callable[[Any], Any] = lambda row: row) -> list[Dialogue]:
    """Dialogues from decoded rows (each in CraigslistBargain's shape once converted); a bad row is a CorpusError
    naming the source, the row (`unit` i) and what is wrong with it."""
    out = []
    for i, row in enumerate(rows):
        try:
            d = convert(row)
            if not isinstance(d, dict):
                raise ValueError(f"expected an object, got {_describe(d)}")
            out.append(Dialogue.from_dict(d))
        except ShapeError as e:
            raise CorpusError(f"{source}: {unit} {i}: {e}") from None
        except (KeyError, IndexError, TypeError, ValueError) as e:
            what = f"missing key {e}" if isinstance(e, KeyError) else str(e)
            raise CorpusError(f"{source}: {unit} {i}: not a CraigslistBargain dialogue ({what})") from None
    return out


def dialogues_json(dialogues: Iterable[Dialogue]) -> str:
    """A dialogue file's text: the CraigslistBargain JSON list, one key a line."""
    return json.dumps([d.to_dict() for d in dialogues], ensure_ascii=False, indent=1) + "\n"


def dialogue_file_text(dialogues: Iterable[Dialogue], path: str | Path) -> str:
    """A dialogue file's text for its name: JSON Lines where it ends in .jsonl (as read_json reads it), else a JSON
    list (`dialogues_json`)."""
    if is_json_lines(path):
        return "".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in dialogues)
    return dialogues_json(dialogues)


def dump_dialogues(dialogues: Iterable[Dialogue], path: str | Path) -> None:
    """A dialogue file (`dialogue_file_text`)."""
    text = dialogue_file_text(dialogues, path)
    try:
        write_whole(Path(path), text)
    except OSError as e:
        raise CorpusError(f"{path}: cannot write: {(e.strerror or str(e)).lower()}") from None


def stand_in_act(text: str) -> Act | None:
    """The act an act-level transcript writes as a message's text, else None."""
    try:
        return Act.from_string(text)
    except ValueError:
        return None


def speaks_in_acts(dialogues: Iterable[Dialogue]) -> bool:
    """Whether every message of the dialogues (one at least) is an act written out, as an act-level tournament
    writes them ("propose(price=152)"): no words to learn from or to score."""
    texts = [e.text for d in dialogues for e in d.events if e.is_message]
    return bool(texts) and all(stand_in_act(text) is not None for text in texts)


ACTS_NOT_WORDS = ("its messages are acts written out (\"propose(price=152)\"), not words: an act-level tournament's; "
                  "a tournament played with --mode text writes words")


DIALOGUE_FILES = (".json", ".jsonl")
"""The suffixes of dialogue files (any case): a JSON list, or JSON Lines."""


def is_dialogue_file(source: str | Path) -> bool:
    return Path(source).suffix.lower() in DIALOGUE_FILES


def is_json_lines(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".jsonl"
