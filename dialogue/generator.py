"""The generator: says an act in words, and checks the words say the act.

`LMGenerator` samples renderings from the fine-tuned language model (prompts/generator.j2, KV
cache, a short `max_new_tokens`), puts the act's price where the model wrote the placeholder, and
parses the text back with a fresh ActReader that has read the dialogue so far. A rendering whose
parse differs from the act is resampled (`Sampling.tries` samples in all); after that a template
(prompts/realisations.j2) says it. So the text never states a price other than the act's.
Many acts (from many dialogues) are rendered in one continuous batch (dialogue/decoding.py): an act's tries are
checked in the order they began, a failed one makes way for the act's next, and an act leaves the batch once one
says it, its row taking another act's next try. The sampling is guided towards the act (`Sampling.guidance`): the
prompt's scores are weighed against those of the same prompt without the act.
`TemplateGenerator` is the template step alone. Every Rendering carries its decision record:
which backend produced the text and after how many tries.
"""
from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, Sequence

import jinja2

from dialogue.decoding import CLAUSE_ENDS, Sampling, sample, stream_seed
from dialogue.generator_data import PLACEHOLDER, PROMPTS_DIR, Context, Turn, fill_price, render_prompt, unsayable
from dialogue.lm import DEFAULT_BASE_MODEL, pack_linears
from parser.acts import CHAT_INTENTS, PROPOSALS, Act, Intent, Role, UnknownIntent, other_role, write_price
from parser.rules import plausible_range, same_price

class GeneratorError(ValueError):
    """Bad input to the generator (an unknown act, scenario or model): one clear line."""


def says(parsed: Act, act: Act, table: float | None = None) -> bool:
    """Whether text parsed as `parsed` says `act`: the same intent and price. A proposal of the same price
    counts whatever its kind (propose/counter/insist follow from the context); an agreement naming no
    price agrees to the price on the table: the partner's latest, as the reader has it (`table`, where known)."""
    if act.intent in PROPOSALS:
        return parsed.intent in PROPOSALS and same_price(parsed.price, act.price)
    if act.intent is Intent.AGREE:
        agreed = parsed.price if parsed.price is not None else table
        return parsed.intent is Intent.AGREE and (agreed is None or act.price is None or same_price(agreed, act.price))
    return parsed.intent is act.intent


def binds(parsed: Act, act: Act, table: float | None = None) -> bool:
    """Whether text parsed as `parsed` commits to more than `act` does: agreement to a price other than the act's
    (its own, or where it names none, the one on the table: `says`), or any other price."""
    agreed = parsed.price if parsed.price is not None else table
    return (parsed.intent is Intent.AGREE and agreed is not None and not same_price(agreed, act.price)) or (
        parsed.price is not None and not same_price(parsed.price, act.price))


def check_sayable(act: Act) -> None:
    if act.is_formal:
        said = ", ".join(i.value for i in CHAT_INTENTS)
        raise GeneratorError(f"{act} is a formal event, not something to say; the acts said in words: {said}")


@dataclass(frozen=True)
class Request:
    """One act to say: by whom, in which dialogue. With a seed, the same request says the same words however it is
    batched, up to the model's rounding (else the generator's seed and its count of calls choose)."""
    act: Act
    role: Role
    context: Context
    seed: int | None = None


@dataclass
class Rendering:
    text: str
    act: Act
    backend: str  # "lm" or "template"
    tries: int  # LM samples checked (0 for the template generator)
    faithful: bool  # the text parses back to the act
    parsed: Act | None = None
    seconds: float = 0.0
    refused: tuple[str, ...] = ()  # the LM's tries that did not say the act, in order (`say --verbose` shows them)

    @property
    def record(self) -> dict:
        """The decision record for the transcript's metadata.audit."""
        return {"generator": self.backend, "tries": self.tries, "faithful": self.faithful,
                "parsed": str(self.parsed) if self.parsed else None}


class Generator(Protocol):
    name: str

    def render(self, requests: list[Request]) -> list[Rendering]: ...


STAND_IN = re.compile(r"(?:^|\s)\.{4,}(?=[\s?!,]|$)")
"""A run of dots on its own, where the model, barred from digits, leaves out an amount ("as low as ........");
people's own runs of dots cling to a word ("fine.... if you deliver")."""


def says_just(text: str, parsed: Act, act: Act, listing: float, role: Role, table: float | None = None) -> bool:
    """Whether a rendering, parsed as `parsed`, says the act and nothing it was not given: words (a line of dashes
    parses as inform, but says nothing), no placeholder left, no stand-in for an amount, no broken character (a token
    that is part of one, decoded alone: "about \ufffd?"), no end mid-sentence ("$9,000,"), the act's intent and price,
    no other amount that could be a price ("$120, or one hundred if you pick it up": the parser reads one price,
    the person two), no concession on side terms, and nothing only the other side would say. table: as `says`."""
    return (any(ch.isalnum() for ch in text) and PLACEHOLDER not in text and not STAND_IN.search(text)
            and "\ufffd" not in text and not text.endswith((",", ";", ":")) and says(parsed, act, table)
            and not unsayable(text, act, listing, role))


CUT_POINTS = re.compile(CLAUSE_ENDS.pattern + r"|(?<=\w)(?<!\band)(?<!\bbut)(?<!\bso)"
                        r"(?= (?:and|but|so) (?:i|we|you|it|they|he|she)(?:['’]| will | can | could | would | am | are | is | have ))",
                        re.I)
"""Where a message may be cut back: the end of a sentence or clause, or before a conjunction that begins a clause
("and I will", "but it is"; not "my wife and I love it")."""


def readings(text: str) -> list[str]:
    """The text, then the text cut back at each end of a sentence or clause before its end, longest first, a cut
    clause ending in a full stop: "$2,850, and I will deliver it." -> "$2,850."; "$125 and I'll throw in a case." ->
    "$125.". A try whose later words say too much, or that stops mid-sentence, may say the act in its first ones."""
    cuts = [text[:m.start()].rstrip() + (m.group() if m.group() not in ("", ",") else ".")
            for m in reversed(list(CUT_POINTS.finditer(text)))]
    return list(dict.fromkeys([text] + [cut for cut in cuts if any(ch.isalnum() for ch in cut)]))


def repeats(text: str, context: Context, role: Role) -> bool:
    """Whether the text says again, word for word, a message of more than one word its speaker already sent in this
    dialogue ("$359, it's a great bike for the price." three times over): an agent that repeats itself reads as a
    machine. A bare price or "Deal!" may come again."""
    said = wording(text)
    return len(said.split()) > 1 and any(wording(t.text) == said for t in context.turns if t.role == role and t.text)


def wording(text: str) -> str:
    """A message's words in lower case, apostrophes and punctuation dropped: what `repeats` compares."""
    return " ".join(re.findall(r"[\w$]+", text.lower().replace("'", "").replace("\u2019", "")))


UNBINDING = "Let me think about it."
"""What the template generator says where no phrasing of an act parses back to it and each would be read as more
(an agreement, a price): the parser reads it as a statement after any proposal (inform)."""


class TemplateGenerator:
    """prompts/realisations.j2: a phrasing per act, chosen by seed, checked by parsing back."""
    name = "template"

    def __init__(self, seed: int = 0) -> None:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(PROMPTS_DIR), undefined=jinja2.StrictUndefined)
        self.template = env.get_template("realisations.j2")
        self.seed = seed
        self.calls = 0

    def phrasings(self, act: Act, role: Role) -> list[str]:
        """Every phrasing of the act."""
        check_sayable(act)
        price = write_price(act.price) if act.price is not None else None
        first = self.template.render(intent=act.intent.value, role=role, price=price, seed=0)
        out = [first]
        for i in range(1, 8):
            text = self.template.render(intent=act.intent.value, role=role, price=price, seed=i)
            if text == first:
                break
            out.append(text)
        return out

    def render_one(self, request: Request, tries: int = 0) -> Rendering:
        """The first phrasing that parses back to the act, trying them from the seed's choice on, then UNBINDING.
        Else, marked unfaithful, the first of them that commits to nothing the act does not (`binds`), or failing
        that the seed's choice: after a partner's price, the parser may read any statement as agreement to it ("I am
        still interested.")."""
        start = time.perf_counter()
        options = self.phrasings(request.act, request.role)
        k = (self.seed + self.calls if request.seed is None else request.seed) % len(options)
        options = options[k:] + options[:k]
        self.calls += 1
        reader = request.context.reader()
        table = reader.context.partner_price(request.role)
        misread = []
        for text in options + [UNBINDING]:
            parsed = reader.fork().read(request.role, text)
            if says(parsed, request.act, table):
                return Rendering(text, request.act, "template", tries, True, parsed, time.perf_counter() - start)
            misread.append((text, parsed))
        text, parsed = next(((text, parsed) for text, parsed in misread if not binds(parsed, request.act, table)),
                            misread[0])
        return Rendering(text, request.act, "template", tries, False, parsed, time.perf_counter() - start)

    def render(self, requests: list[Request]) -> list[Rendering]:
        return [self.render_one(r) for r in requests]


SHORTEST_WINDOW = 1024
"""The shortest sliding window (Mistral's attention, or Gemma's) a base model may have: a prompt (its turns cut to
MAX_TURN_CHARS, a few hundred tokens at most) and an act's tries (128 tokens, by default) fit in it."""


@dataclass
class LMGenerator:
    """Samples renderings from a causal LM, batched; checks each by parsing back; falls back to templates.
    The model is packed for inference (`pack_linears`): it is the generator's from then on."""
    model: Any
    tokenizer: Any
    sampling: Sampling = field(default_factory=Sampling)  # tries: an act's LM samples before the template (1 if greedy)
    digits: bool = False  # whether the LM may write digits; else every price comes through the placeholder
    name: str = "lm"

    def __post_init__(self) -> None:
        import torch

        window = None if getattr(self.model.config, "use_sliding_window", True) is False else \
            getattr(self.model.config, "sliding_window", None)
        if window is not None and window < SHORTEST_WINDOW:
            raise GeneratorError(f"the model attends over a sliding window of {window} tokens; the generator keeps "
                                 f"every position of a prompt and its tries, and needs a window of {SHORTEST_WINDOW} "
                                 "or more")
        pack_linears(self.model)
        self.fallback = TemplateGenerator(self.sampling.seed)
        self.calls = 0
        pieces = self.tokenizer.batch_decode([[i] for i in range(len(self.tokenizer))])
        self.digit_ids = [i for i, piece in enumerate(pieces) if any(ch.isnumeric() for ch in piece)]  # 7, ½, ...
        special = set(self.tokenizer.all_special_ids)
        # Digits are banned, so a currency sign can only start a price through the placeholder, or junk ("$$",
        # "$a lot", "£ £"; guidance, which pushes towards talk of prices, makes more of it).
        self.price_ids = [i for i, piece in enumerate(pieces) if i not in special and (
            PLACEHOLDER[0] in piece or any(unicodedata.category(ch) == "Sc" for ch in piece))]
        self.stops = {self.tokenizer.eos_token_id} | {i for i, piece in enumerate(pieces) if "\n" in piece}
        head = self.model.get_output_embeddings() if hasattr(self.model, "get_output_embeddings") else None
        if isinstance(head, torch.nn.Linear) and not getattr(head, "takes_a_fresh_copy", False):  # not packed
            # The model hands the head the last position of each prompt, a view with the prompt's strides: torch's
            # matmul then copies the whole vocabulary matrix once per row (~75 ms a row on a CPU), even for one row,
            # which torch calls contiguous. A fresh copy of the positions has plain strides.
            head.register_forward_pre_hook(
                lambda module, args: (args[0].clone(memory_format=torch.contiguous_format), *args[1:]))
            head.takes_a_fresh_copy = True  # once, however many generators share the model

    def banned(self, act: Act) -> list[int]:
        """The tokens the LM may not write for this act: digits (prices come through the placeholder), and where the
        act has no price, the placeholder and the currency signs."""
        return (self.digit_ids if not self.digits else []) + (self.price_ids if act.price is None else [])

    def render(self, requests: list[Request]) -> list[Rendering]:
        start = time.perf_counter()
        for r in requests:
            check_sayable(r.act)
        readers = [r.context.reader() for r in requests]
        done: list[Rendering | None] = [None] * len(requests)
        tries = [0] * len(requests)
        refused: list[list[str]] = [[] for _ in requests]

        def judge(i: int, raw: str) -> bool:
            """Whether this text says act i: the decoding then drops the act's other tries."""
            tries[i] += 1
            act = requests[i].act
            for text in readings(fill_price(raw, act.price) if act.price is not None else raw):
                parsed = readers[i].fork().read(requests[i].role, text)
                if (says_just(text, parsed, act, requests[i].context.listing_price, requests[i].role,
                              readers[i].context.partner_price(requests[i].role))
                        and not repeats(text, requests[i].context, requests[i].role)):
                    done[i] = Rendering(text, act, "lm", tries[i], True, parsed, refused=tuple(refused[i]))
                    return True
            refused[i].append(fill_price(raw, act.price) if act.price is not None else raw)
            return False

        if requests:
            seeds = [r.seed if r.seed is not None else stream_seed(self.sampling.seed, self.calls, i)
                     for i, r in enumerate(requests)]
            greedy = self.sampling.temperature <= 0  # every try the same text: one is enough
            sampling = replace(self.sampling, tries=1, tries_at_once=1) if greedy else self.sampling
            sample(self.model, self.tokenizer, [render_prompt(r.context, r.role, r.act) for r in requests], judge,
                   sampling, self.stops, [self.banned(r.act) for r in requests],
                   [render_prompt(r.context, r.role, None) for r in requests], seeds)
            self.calls += 1
        for i, d in enumerate(done):
            if d is None:
                done[i] = replace(self.fallback.render_one(requests[i], tries=tries[i]), refused=tuple(refused[i]))
        seconds = time.perf_counter() - start
        for d in done:
            d.seconds = seconds
        return done  # type: ignore[return-value]


def make_generator(kind: str = "lm", base_model: str = DEFAULT_BASE_MODEL, adapter: str | Path | None = "default",
                   seed: int = 0, sampling: Sampling | None = None, dtype: str = "auto") -> Generator:
    """`template`, or `lm`: the base model with an adapter (`default`: the shipped one; None/"none": no adapter)."""
    if kind == "template":
        return TemplateGenerator(seed)
    if kind != "lm":
        raise GeneratorError(f"unknown generator {kind!r}; valid: lm, template")
    from dialogue.lm import ModelError, adapter_path, load_model

    try:
        model, tokenizer = load_model(base_model, adapter_path(adapter), dtype=dtype)
    except ModelError as e:
        raise GeneratorError(str(e)) from None
    return LMGenerator(model, tokenizer, sampling or Sampling(seed=seed))


def say_request(act: str | Act, role: Role, scenario: str, after: Sequence[str] = ()) -> Request:
    """The request `haggler say` makes: an act said in a scenario's dialogue, as its opening message or after the
    messages `after` (in order; the last is the other side's, the ones before it alternate)."""
    from dialogue.corpus import CorpusError
    from dialogue.scenarios import pick_scenario

    try:
        act = act if isinstance(act, Act) else Act.from_string(act.lower())  # typed: COUNTER 120 too
    except UnknownIntent as e:  # the formal ones are no choice here
        raise GeneratorError(str(UnknownIntent(e.name, CHAT_INTENTS))) from None
    except ValueError as e:
        raise GeneratorError(str(e)) from None
    check_sayable(act)
    try:
        item = pick_scenario(scenario)
    except (CorpusError, OSError) as e:
        raise GeneratorError(str(e)) from None
    lowest, highest = plausible_range(item.listing_price)
    if act.price is not None and item.listing_price > 0 and not lowest <= act.price <= highest:
        raise GeneratorError(f"{write_price(act.price)} is no price for a listing of {write_price(item.listing_price)}"
                             f" as the parser reads one (from {write_price(lowest)} to {write_price(highest)}): no "
                             f"words could say {act}")
    if any(not text.strip() for text in after):
        raise GeneratorError("a message to say the act after is empty")
    speakers = [role if (len(after) - i) % 2 == 0 else other_role(role) for i in range(len(after))]
    return Request(act, role, Context(item.item.title, item.listing_price,
                                      tuple(Turn(who, text.strip()) for who, text in zip(speakers, after))))

