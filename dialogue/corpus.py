"""CraigslistBargain dialogue JSON as typed objects: scenario, events, outcome.

Every key the format has but haggler does not model is kept in `extra`, so reading a file
and writing it back gives equal data.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from parser.acts import Act, Intent, Role

SELLER_WALK_AWAY_FRACTION = 0.7
"""Default seller walk-away: below 0.7 × the listing price (DESIGN.md)."""


ACTIONS = ("message", "offer", "accept", "reject", "quit", "None")
"""Event actions; "None" is the padding event luis-acts.json inserts before formal events."""


class CorpusError(ValueError):
    """A dialogue file that is missing, not JSON, or not in the CraigslistBargain shape."""


@dataclass
class Item:
    title: str
    category: str
    price: float
    description: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict) -> Item:
        rest = {k: v for k, v in d.items() if k not in ("Title", "Category", "Price", "Description")}
        desc = d.get("Description") or []
        return cls(d.get("Title") or "", d.get("Category") or "", d["Price"],
                   [desc] if isinstance(desc, str) else list(desc), rest)

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
        return price if self.role == "buyer" else SELLER_WALK_AWAY_FRACTION * price

    @classmethod
    def from_dict(cls, d: dict) -> KB:
        p = d["personal"]
        role = str(p["Role"]).lower()
        if role not in ("buyer", "seller"):
            raise ValueError(f"Role must be buyer or seller, got {p['Role']!r}")
        rest = {k: v for k, v in p.items() if k not in ("Role", "Target", "Bottomline")}
        return cls(role, p["Target"], Item.from_dict(d["item"]), p.get("Bottomline"), rest)  # type: ignore[arg-type]

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
    def from_dict(cls, d: dict) -> Scenario:
        kbs = [KB.from_dict(kb) for kb in d["kbs"]]
        if len(kbs) != 2 or {kb.role for kb in kbs} != {"buyer", "seller"}:
            raise ValueError("scenario.kbs must hold one buyer and one seller")
        return cls(kbs, d.get("uuid", ""), {k: v for k, v in d.items() if k not in ("kbs", "uuid")})

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
        """The act in metadata (messages) or the formal event itself."""
        if self.action == "message":
            if not self.metadata or not self.metadata.get("intent"):
                return None
            return Act(Intent(self.metadata["intent"]), self.metadata.get("price"))
        if self.action == "offer":
            return Act(Intent.OFFER, self.offer_price or 0.0)
        if self.action == "None":
            return None
        return Act(Intent(self.action))

    @classmethod
    def from_dict(cls, d: dict) -> Event:
        if d.get("action") not in ACTIONS:
            raise ValueError(f"unknown event action {d.get('action')!r}")
        return cls(d["action"], int(d["agent"]), d.get("data"), d.get("time"), d.get("metadata"),
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
    def from_dict(cls, d: dict | None) -> Outcome | None:
        if d is None:
            return None
        offer = d.get("offer")
        return cls(d.get("reward", 0), offer.get("price") if isinstance(offer, dict) else None,
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
        return cls(d.get("uuid", ""), Scenario.from_dict(d["scenario"]),
                   [Event.from_dict(e) for e in d.get("events") or []],
                   Outcome.from_dict(d.get("outcome")), d.get("agents") or {},
                   {k: v for k, v in d.items() if k not in cls.FIELDS})

    def to_dict(self) -> dict:
        return {"uuid": self.uuid, "scenario": self.scenario.to_dict(), **self.extra, "agents": self.agents,
                "outcome": self.outcome.to_dict() if self.outcome else None,
                "events": [e.to_dict() for e in self.events]}


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise CorpusError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".jsonl":
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise CorpusError(f"{path}:{n}: not valid JSON ({e.msg})") from None
        return rows
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CorpusError(f"{path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None


def load_dialogues(path: str | Path) -> list[Dialogue]:
    """Reads a CraigslistBargain JSON list (or JSON Lines, one dialogue a line)."""
    path = Path(path)
    raw = _read_json(path)
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise CorpusError(f"{path}: expected a list of dialogues, got {type(raw).__name__}")
    out = []
    for i, d in enumerate(raw):
        try:
            if not isinstance(d, dict):
                raise ValueError(f"expected an object, got {type(d).__name__}")
            out.append(Dialogue.from_dict(d))
        except (KeyError, TypeError, ValueError) as e:
            what = f"missing key {e}" if isinstance(e, KeyError) else str(e)
            raise CorpusError(f"{path}: dialogue {i}: not a CraigslistBargain dialogue ({what})") from None
    return out


def dump_dialogues(dialogues: Iterable[Dialogue], path: str | Path) -> None:
    Path(path).write_text(json.dumps([d.to_dict() for d in dialogues], ensure_ascii=False, indent=1) + "\n",
                          encoding="utf-8")
