"""The generator's data: its prompt (prompts/generator.j2), prices as people write them, and the
(context, act) → utterance examples it is fine-tuned on.

An example is one message of a dialogue: the prompt holds the item, the last turns and the act the
parser read from the message (haggler's parser, in context); the target is the message with the
act's price replaced by PLACEHOLDER, which the generator later fills with the price. Sources are
CraigslistBargain dialogue files (dev.json, luis-acts.json, haggler's transcripts and saved chats,
JSON or JSON Lines) and Hugging Face datasets with `prompt`/`target` columns or dialogue rows.
"""
from __future__ import annotations

import difflib
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import jinja2

from dialogue.annotate import dialogue_acts
from dialogue.corpus import (ACTS_NOT_WORDS, DEFAULT_DATA, CorpusError, Dialogue, dialogues_from, is_dialogue_file,
                             speaks_in_acts, stand_in_act)
from dialogue.held_out import Seen, craigslist_training_dialogues, refuse_held_out, training_dialogues
from parser.acts import Act, Intent, Role, write_price
from parser.prices import find_amounts
from parser.rules import ActReader, parse_dialogue, same_price, stated_prices

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
PLACEHOLDER = "<price>"
CONTEXT_TURNS = 2
"""Turns of context in the prompt: the last two (usually the partner's and our own before it)."""
MAX_TURN_CHARS = 120
MAX_TITLE_CHARS = 60
FORMAL_TEXT = {Intent.OFFER: "(offers {price})", Intent.ACCEPT: "(accepts the offer)",
               Intent.REJECT: "(rejects the offer)", Intent.QUIT: "(quits)"}

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(PROMPTS_DIR), undefined=jinja2.StrictUndefined)


def act_label(act: Act) -> str:
    """The act as the prompt shows it: the intent, and the placeholder where it has a price."""
    return f"{act.intent.value} {PLACEHOLDER}" if act.price is not None else act.intent.value


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


@dataclass(frozen=True)
class Turn:
    role: Role
    text: str  # the message; empty for a formal event
    act: Act | None = None  # set for formal events (and wherever the act is known)

    @property
    def prompt_text(self) -> str:
        """The turn as the prompt shows it: the message, or a formal event in words."""
        if self.act is not None and self.act.is_formal:
            return FORMAL_TEXT[self.act.intent].format(price=write_price(self.act.price or 0))
        return self.text


@dataclass(frozen=True)
class Context:
    """What the generator sees of a dialogue: the item and the turns so far."""
    title: str
    listing_price: float
    turns: tuple[Turn, ...] = ()

    def then(self, turn: Turn) -> Context:
        return Context(self.title, self.listing_price, self.turns + (turn,))

    def reader(self) -> ActReader:
        """A fresh parser that has read the turns so far (formal events observed)."""
        reader = ActReader(self.listing_price)
        parse_dialogue([(t.role, t.act if t.act is not None and t.act.is_formal else t.text) for t in self.turns],
                       reader=reader)
        return reader


def render_prompt(context: Context, role: Role, act: Act | None) -> str:
    """The conditioning format (prompts/generator.j2); without an act (None), the plain prompt guidance weighs
    the act's prompt against."""
    turns = [(t.role, shorten(t.prompt_text, MAX_TURN_CHARS)) for t in context.turns[-CONTEXT_TURNS:]]
    return _env.get_template("generator.j2").render(
        title=shorten(context.title, MAX_TITLE_CHARS) or "an item", listing=write_price(context.listing_price),
        turns=turns, role=role, act=act_label(act) if act is not None else None)


def mask_price(text: str, price: float) -> str | None:
    """The text with every mention of `price` replaced by PLACEHOLDER; None when it never names it."""
    spans = [(m.start, m.end) for m in find_amounts(text) if same_price(m.value, price) and not m.unit_after]
    if not spans:
        return None
    for start, end in reversed(spans):
        text = text[:start] + PLACEHOLDER + text[end:]
    return text


def fill_price(text: str, price: float) -> str:
    """Puts the price where the model wrote the placeholder ("<price>", "$<price>" and "$ <price>" all read $120)."""
    written = write_price(price)
    return re.sub(r"(?:\$+\s*)?" + re.escape(PLACEHOLDER), lambda _: written, text)


def dialogue_contexts(dialogue: Dialogue) -> Iterator[tuple[Context, Role, Act, str]]:
    """(context before it, role, act, text) for each message of the dialogue with a parsed act."""
    acts = dialogue_acts(dialogue)
    context = Context(dialogue.scenario.item.title, dialogue.scenario.listing_price)
    for event, act in zip(dialogue.events, acts):
        role = dialogue.role_of(event.agent)
        if event.is_message and act is not None:
            if event.text.strip() and stand_in_act(event.text) is None:  # not language to learn from
                yield context, role, act, " ".join(event.text.split())
            context = context.then(Turn(role, event.text))
        elif act is not None:
            context = context.then(Turn(role, "", act))


def states_other_price(text: str, act: Act, listing: float) -> bool:
    """Whether a message names an amount that could be a price besides its act's ("40 is kind of low" said as
    counter-noprice): the generator may never say such a text, so it is not one to learn from."""
    return any(not same_price(price, act.price) for price in stated_prices(text, listing))


CONCESSION = re.compile(
    r"\b(?:i|we)(?:'ll| will| can| could| would|'d| am willing to| are willing to)\s+(?:also |even |happily )?"
    r"(?:throw in|deliver|drop (?:it|them) off|bring (?:it|them) (?:to you|over|by)|ship|include|add in|"
    r"install|fix|repair|replace|paint|clean|service|cover|"
    r"give you (?:a |an |the )?(?:free|extra|bonus))\b"
    r"|\bthrow(?:ing)? in\b|\b(?:free|included) (?:delivery|shipping)\b")
"""A concession on side terms ("I'll deliver it", "I'll throw in a new tire", "I will install a new desk", "I will
cover the first month's light bill"): ACTS.md's `inform`, and a promise no act the generator is given carries, so
the model may not make it for the principal."""


OTHER_SIDES_WORDS: dict[Role, re.Pattern] = {
    "buyer": re.compile(
        r"\b(?:lowest|least) i (?:can|could|will|would|'ll) (?:go|do|take|accept)\b|\bi can'?t go (?:any )?lower\b"
        r"|\bi(?:'m| am) selling\b|\b(?:is|'s|seems) (?:a (?:little|bit) |too |way too |really |pretty )low\b"),
    "seller": re.compile(
        r"\b(?:highest|most) i (?:can|could|will|would|'ll) (?:go|do|pay|offer)\b|\bi can'?t go (?:any )?higher\b"
        r"|\bi(?:'m| am) (?:buying|looking to buy)\b|\bmy budget\b"
        r"|\b(?:is|'s|seems) (?:a (?:little|bit) |too |way too |really |pretty )(?:high|steep|expensive|pricey)\b"),
}
"""What only the other side says: a buyer's "$209 is the lowest I can go" or "$152 is a little low", a seller's "my
budget". Such a rendering parses as the act (an insist, a counter) but speaks for the wrong side."""


def unsayable(text: str, act: Act, listing: float, role: Role) -> bool:
    """Whether the generator may never say this message for the act: it names another price, concedes side terms, or
    speaks for the other side. Such a message is no example to learn from either."""
    low = text.lower()
    return (states_other_price(text, act, listing) or bool(CONCESSION.search(low))
            or bool(OTHER_SIDES_WORDS[role].search(low)))


def dialogue_examples(dialogue: Dialogue) -> Iterator[dict[str, Any]]:
    """One example per message of the dialogue: prompt, target (price masked), the message as written, the act,
    and whether the generator may never say it (`unsayable`)."""
    for context, role, act, text in dialogue_contexts(dialogue):
        target = mask_price(text, act.price) if act.price is not None else text
        if target is not None:
            yield {"prompt": render_prompt(context, role, act), "target": target, "text": text, "act": str(act),
                   "unsayable": unsayable(text, act, context.listing_price, role)}


def encode_pair(tokenizer: Any, prompt: str, target: str) -> tuple[list[int], list[int]]:
    """The prompt's tokens, and the target's after it (a space before, the end-of-turn token after): how the generator
    is trained on an example, and how eval-generator scores a message."""
    return (tokenizer(prompt, add_special_tokens=False)["input_ids"],
            tokenizer(" " + target, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id])


def examples(dialogues: Iterable[Dialogue]) -> list[dict[str, Any]]:
    return [ex for d in dialogues for ex in dialogue_examples(d)]


def load_examples(sources: list[str]) -> list[dict[str, Any]]:
    """Examples from every source: `craigslist`, a dialogue file (.json/.jsonl), or a Hugging Face dataset (the rows
    of its validation split, where it has one, marked `held_out`)."""
    out: list[dict[str, Any]] = []
    seen = Seen()
    for source in sources:
        if source == DEFAULT_DATA:
            out += examples(seen.new(craigslist_training_dialogues()))
        elif is_dialogue_file(source):
            dialogues = training_dialogues(source)
            if speaks_in_acts(dialogues):
                raise CorpusError(f"{source}: {ACTS_NOT_WORDS}")
            out += examples(seen.new(dialogues))
        elif Path(source).is_file():
            raise CorpusError(f"{source}: not a dialogue file (.json or .jsonl) nor a dataset saved with "
                              f"save_to_disk (a directory)")
        elif not Path(source).exists() and difflib.get_close_matches(source.lower(), [DEFAULT_DATA], cutoff=0.7):
            raise CorpusError(f"{source}: no such file or dataset; did you mean {DEFAULT_DATA}?")
        else:
            out += _hf_examples(source)
    seen.note()
    return out


def bargains_row_dialogue(row: dict) -> dict:
    """A row of the Hugging Face `craigslist_bargains` dataset (its columns are per-agent and per-event lists) as a
    CraigslistBargain dialogue: its messages; its formal offers and answers, where its act labels name them."""
    info, item = row["agent_info"], row["items"]
    kbs = [{"personal": {"Role": role, "Target": target, "Bottomline": None},
            "item": {"Title": item["Title"][k], "Category": item["Category"][k], "Price": item["Price"][k],
                     "Description": [item["Description"][k]]}}
           for k, (role, target) in enumerate(zip(info["Role"], info["Target"]))]
    events = []
    acts = row.get("dialogue_acts") or {"intent": [], "price": []}
    for j, (agent, text) in enumerate(zip(row["agent_turn"], row["utterance"])):
        intent = acts["intent"][j] if j < len(acts["intent"]) else ""
        if agent not in (0, 1):
            continue
        if text:
            events.append({"action": "message", "agent": agent, "data": text})
        elif intent == "offer" and (acts["price"][j] or 0) > 0:
            events.append({"action": "offer", "agent": agent, "data": {"price": acts["price"][j]}})
        elif intent in ("accept", "reject", "quit"):
            events.append({"action": intent, "agent": agent, "data": None})
    return {"uuid": row.get("uuid", ""), "scenario": {"kbs": kbs}, "events": events}


def _hf_examples(source: str) -> list[dict[str, Any]]:
    """A dataset saved with save_to_disk, or a Hugging Face dataset id the user has cached."""
    if not Path(source).exists() and (Path(source).suffix or source.startswith((".", "/", "~"))):
        raise CorpusError(f"{source}: no such file or directory")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a dataset id is read from the local cache, never downloaded
    import datasets

    try:
        data: Any = datasets.load_from_disk(source) if Path(source).is_dir() else datasets.load_dataset(source)
    except (FileNotFoundError, ValueError, ConnectionError, OSError) as e:
        if not Path(source).exists():
            raise CorpusError(f"{source}: no such file or directory, nor a Hugging Face dataset id in the local cache "
                              f"(haggler downloads nothing at run time)") from None
        raise CorpusError(f"{source}: not a dialogue file or a dataset ({str(e).splitlines()[0]})") from None
    except IndexError:  # datasets' reader, given a saved dataset (or a split) of no rows
        split_of = " (or a split of it)" if (Path(source) / "dataset_dict.json").is_file() else ""
        raise CorpusError(f"{source}: a dataset{split_of} with no rows") from None
    if not isinstance(data, datasets.DatasetDict):
        return _rows_examples(data, source)
    trainable = [name for name in data if name not in ("test", "validation")]
    if list(data) == ["test"]:
        raise CorpusError(f"{source}: its only split is test, held out for evaluation; never train on it")
    if not trainable:
        raise CorpusError(f"{source}: no split to train on ({' and '.join(data)}: test is held out for evaluation, "
                          f"validation for the eval loss)")
    name = "train" if "train" in data else trainable[0]
    if not len(data[name]):
        raise CorpusError(f"{source}: its {name} split has no rows")
    held_out = [dict(row, held_out=True) for row in _rows_examples(data["validation"], f"{source} (validation)")] \
        if "validation" in data else []
    return _rows_examples(data[name], source) + held_out


def _rows_examples(data: Any, source: str) -> list[dict[str, Any]]:
    """The examples of one split: prompt/target rows as they are, dialogue rows read as dialogue files are."""
    columns = set(data.column_names)
    if {"prompt", "target"} <= columns:
        rows = [{"prompt": r["prompt"], "target": r["target"], "act": r.get("act", "")} for r in data]
        bad = next((i for i, r in enumerate(rows) if not all(isinstance(r[k], str) and r[k].strip()
                                                             for k in ("prompt", "target"))), None)
        if bad is not None:
            raise CorpusError(f"{source}: row {bad}: prompt and target must be strings, and not empty")
        return rows
    if {"scenario", "events"} <= columns:
        return examples(refuse_held_out(dialogues_from(data, source, "row", convert=message_texts_as_strings), source))
    if {"agent_info", "agent_turn", "utterance", "items"} <= columns:
        listed = [r for r in data if all(p > 0 for p in r["items"].get("Price") or [0])]  # -1.0: no listing price
        return examples(refuse_held_out(dialogues_from(listed, source, "row", convert=bargains_row_dialogue), source))
    raise CorpusError(f"{source}: a dataset needs prompt/target columns, CraigslistBargain dialogue rows "
                      f"(scenario, events) or craigslist_bargains rows (agent_info, agent_turn, utterance, items); "
                      f"it has {', '.join(sorted(columns))}")


def message_texts_as_strings(row: Any) -> Any:
    """A dialogue row whose messages datasets read as numbers (the message "5395", from JSON) written as text again."""
    if not isinstance(row, dict) or not isinstance(row.get("events"), list):
        return row
    events = [dict(e, data=str(e["data"])) if isinstance(e, dict) and e.get("action") == "message"
              and type(e.get("data")) is int else e for e in row["events"]]
    return dict(row, events=events)


def examples_dataset(sources: list[str]) -> Any:
    """The examples of every source as a datasets.Dataset: prompt, target (its price the placeholder), text (the
    message as written; None where a source holds prompts and targets only), act, unsayable."""
    import datasets

    return datasets.Dataset.from_list([{"prompt": row["prompt"], "target": row["target"], "text": row.get("text"),
                                        "act": row.get("act", ""), "unsayable": bool(row.get("unsayable")),
                                        "held_out": bool(row.get("held_out"))}
                                       for row in load_examples(sources)])


def split(examples: Any, eval_examples: int, seed: int) -> tuple[Any, Any]:
    """A shuffled (train, eval) split of a Dataset: at most `eval_examples` eval rows, drawn from the rows marked
    held_out (a dataset's validation split) where there are any, else a tenth of the rows at most."""
    held_out = examples["held_out"] if len(examples) else []
    given = [i for i, h in enumerate(held_out) if h]
    rest = [i for i, h in enumerate(held_out) if not h]
    random.Random(seed).shuffle(rest)
    if given:
        random.Random(seed).shuffle(given)
        return examples.select(rest), examples.select(given[:eval_examples])
    size = min(eval_examples, len(examples) // 10)
    return examples.select(rest[size:]), examples.select(rest[:size])


