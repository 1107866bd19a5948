"""The generator: says an act in words, and checks the words say the act.

`LMGenerator` samples renderings from the fine-tuned language model (prompts/generator.j2, KV
cache, a short `max_new_tokens`), puts the act's price where the model wrote the placeholder, and
parses the text back with a fresh ActReader that has read the dialogue so far. A rendering whose
parse differs from the act is resampled (`max_tries` samples in all); after that a template
(prompts/realisations.j2) says it. So the text never states a price other than the act's.
Many acts (from many dialogues) are rendered in one batched `generate` call, with a few candidates
each that share the prompt's keys and values: each candidate is checked as soon as it ends, and an act
is done once one says it or all have ended (a batch waits for its slowest act).
`TemplateGenerator` is the template step alone. Every Rendering carries its decision record:
which backend produced the text and after how many tries.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import jinja2

from dialogue.generator_data import PLACEHOLDER, PROMPTS_DIR, Context, fill_price, render_prompt, write_price
from dialogue.lm import threads_for_lm
from parser.acts import Act, Intent, Role
from parser.rules import same_price

PROPOSALS = frozenset({Intent.PROPOSE, Intent.COUNTER, Intent.INSIST})
"""Price proposals: which of the three a proposal is depends on the dialogue, not the words (ACTS.md)."""


class GeneratorError(ValueError):
    """Bad input to the generator (an unknown act, scenario or model): one clear line."""


def says(parsed: Act, act: Act) -> bool:
    """Whether text parsed as `parsed` says `act`: the same intent and price. A proposal of the same price
    counts whatever its kind (propose/counter/insist follow from the context); an agreement naming no
    price agrees to the price on the table."""
    if act.intent in PROPOSALS:
        return parsed.intent in PROPOSALS and same_price(parsed.price, act.price)
    if act.intent is Intent.AGREE:
        return parsed.intent is Intent.AGREE and (parsed.price is None or act.price is None
                                                 or same_price(parsed.price, act.price))
    return parsed.intent is act.intent


@dataclass(frozen=True)
class Request:
    """One act to say: by whom, in which dialogue."""
    act: Act
    role: Role
    context: Context


@dataclass
class Rendering:
    text: str
    act: Act
    backend: str  # "lm" or "template"
    tries: int  # LM samples checked (0 for the template generator)
    faithful: bool  # the text parses back to the act
    parsed: Act | None = None
    seconds: float = 0.0

    @property
    def record(self) -> dict:
        """The decision record for the transcript's metadata.audit."""
        return {"generator": self.backend, "tries": self.tries, "faithful": self.faithful,
                "parsed": str(self.parsed) if self.parsed else None}


class Generator(Protocol):
    name: str

    def render(self, requests: list[Request]) -> list[Rendering]: ...


def parse_back(request: Request, text: str) -> Act:
    """The act a fresh parser reads from `text` after the dialogue so far."""
    return request.context.reader().read(request.role, text)


class TemplateGenerator:
    """prompts/realisations.j2: a phrasing per act, chosen by seed, checked by parsing back."""
    name = "template"

    def __init__(self, seed: int = 0) -> None:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(PROMPTS_DIR), undefined=jinja2.StrictUndefined)
        self.template = env.get_template("realisations.j2")
        self.seed = seed
        self.calls = 0

    def phrasings(self, act: Act, role: Role) -> list[str]:
        """Every phrasing of the act, the seed's choice first."""
        if act.is_formal:
            raise GeneratorError(f"{act} is a formal event, not something to say")
        price = write_price(act.price) if act.price is not None else None
        first = self.template.render(intent=act.intent.value, role=role, price=price, seed=0)
        out = [first]
        for i in range(1, 8):
            text = self.template.render(intent=act.intent.value, role=role, price=price, seed=i)
            if text == first:
                break
            out.append(text)
        k = (self.seed + self.calls) % len(out)
        return out[k:] + out[:k]

    def render_one(self, request: Request, tries: int = 0) -> Rendering:
        """The first phrasing that parses back to the act (else the seed's choice, marked unfaithful)."""
        start = time.perf_counter()
        options = self.phrasings(request.act, request.role)
        self.calls += 1
        reader_state = request.context.reader()
        parsed = None
        for text in options:
            parsed = reader_state.fork().read(request.role, text)
            if says(parsed, request.act):
                return Rendering(text, request.act, "template", tries, True, parsed, time.perf_counter() - start)
        parsed = reader_state.fork().read(request.role, options[0])
        return Rendering(options[0], request.act, "template", tries, False, parsed, time.perf_counter() - start)

    def render(self, requests: list[Request]) -> list[Rendering]:
        return [self.render_one(r) for r in requests]


@dataclass
class LMConfig:
    max_new_tokens: int = 32
    temperature: float = 0.5
    top_k: int = 40
    candidates: int = 2  # samples per act in one generate call; it stops once each act has a finished one
    max_tries: int = 4  # LM samples per act before the template fallback
    digits: bool = False  # whether the LM may write digits; else every price comes through the placeholder
    seed: int = 0


@dataclass
class LMGenerator:
    """Samples renderings from a causal LM, batched; checks each by parsing back; falls back to templates."""
    model: Any
    tokenizer: Any
    config: LMConfig = field(default_factory=LMConfig)
    name: str = "lm"

    def __post_init__(self) -> None:
        import torch

        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.fallback = TemplateGenerator(self.config.seed)
        self.calls = 0
        pieces = self.tokenizer.batch_decode([[i] for i in range(len(self.tokenizer))])
        self.digit_ids = [i for i, piece in enumerate(pieces) if any(ch.isdigit() for ch in piece)]
        special = set(self.tokenizer.all_special_ids)
        self.placeholder_ids = [i for i, piece in enumerate(pieces) if PLACEHOLDER[0] in piece and i not in special]
        head = self.model.get_output_embeddings() if hasattr(self.model, "get_output_embeddings") else None
        if head is not None:
            # The model hands the head the last position of each prompt, a view with the prompt's strides: torch's
            # matmul then copies the whole vocabulary matrix once per row (~75 ms a row on a CPU), even for one row,
            # which torch calls contiguous. A fresh copy of the positions has plain strides.
            head.register_forward_pre_hook(
                lambda module, args: (args[0].clone(memory_format=torch.contiguous_format), *args[1:]))

    def sample(self, prompts: list[str], n: int, judge: Callable[[int, str], bool],
               priced: list[bool] | None = None) -> None:
        """Samples n continuations per prompt in one batched generate call, and hands each to judge(prompt's index,
        text cut at the end of its line) as soon as it ends. A prompt is done once judge says so or all n of its
        continuations have ended; generation stops when every prompt is done. A prompt whose act has no price
        (priced[i] false) may not write the placeholder."""
        import torch

        torch.manual_seed(self.config.seed + self.calls)
        self.calls += 1
        batch = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        device = getattr(self.model, "device", None)
        if device is not None:
            batch = batch.to(device)
        ids, mask = batch["input_ids"], batch["attention_mask"]
        judging = Judging(ids.shape[1], n, self.tokenizer, judge)
        with torch.inference_mode(), threads_for_lm():
            # Each prompt is read once: its n candidates share its keys and values (the prompt-reuse pattern of
            # transformers' cache docs); generate then reads only the prompt's last token.
            head = mask[:, :-1]
            cache = self.model(input_ids=ids[:, :-1], attention_mask=head, position_ids=(head.cumsum(-1) - 1).clamp(0),
                               use_cache=True, logits_to_keep=1).cache
            cache.batch_repeat_interleave(n)
            out = self.model.generate(
                input_ids=ids.repeat_interleave(n, 0), attention_mask=mask.repeat_interleave(n, 0), cache=cache,
                do_sample=False, logits_processor=[
                    Forbid([not p for p in priced or [True] * len(prompts) for _ in range(n)], self.placeholder_ids),
                    TopKSampler(self.config.top_k, self.config.temperature)],
                max_new_tokens=self.config.max_new_tokens, pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=self.tokenizer.eos_token_id, stopping_criteria=[judging],
                suppress_tokens=None if self.config.digits else self.digit_ids)
        judging.finish(out)

    def render(self, requests: list[Request]) -> list[Rendering]:
        start = time.perf_counter()
        for r in requests:
            if r.act.is_formal:
                raise GeneratorError(f"{r.act} is a formal event, not something to say")
        readers = [r.context.reader() for r in requests]
        prompts = [render_prompt(r.context, r.role, r.act) for r in requests]
        done: list[Rendering | None] = [None] * len(requests)
        tries = [0] * len(requests)
        while todo := [i for i, d in enumerate(done) if d is None and tries[i] < self.config.max_tries]:
            def judge(k: int, raw: str, todo: list[int] = todo) -> bool:
                """Whether act todo[k] is settled: said by this text, or out of tries."""
                i = todo[k]
                if done[i] is not None or tries[i] == self.config.max_tries:
                    return True
                tries[i] += 1
                act = requests[i].act
                text = fill_price(raw, act.price) if act.price is not None else raw
                parsed = readers[i].fork().read(requests[i].role, text)
                if text and PLACEHOLDER not in text and says(parsed, act):
                    done[i] = Rendering(text, act, "lm", tries[i], True, parsed)
                return done[i] is not None or tries[i] == self.config.max_tries

            self.sample([prompts[i] for i in todo], self.config.candidates, judge,
                        [requests[i].act.price is not None for i in todo])
        for i, d in enumerate(done):
            if d is None:
                done[i] = self.fallback.render_one(requests[i], tries=tries[i])
        seconds = time.perf_counter() - start
        for d in done:
            d.seconds = seconds
        return done  # type: ignore[return-value]


@dataclass(frozen=True)
class Forbid:
    """A logits processor: the rows flagged may not write these tokens."""
    rows: list[bool]
    tokens: list[int]

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        rows = [r for r, flagged in enumerate(self.rows) if flagged]
        if rows and self.tokens:
            rows_at, tokens_at = torch.tensor(rows, device=scores.device), torch.tensor(self.tokens, device=scores.device)
            scores[rows_at[:, None], tokens_at[None, :]] = float("-inf")
        return scores


@dataclass(frozen=True)
class TopKSampler:
    """Samples the next token from the top k at a temperature, as generate's do_sample does, but by the Gumbel-max
    trick on the k scores: torch.multinomial over the whole vocabulary costs ~0.85 ms a row on a CPU, more than a
    batch's decoding step gains. As a logits processor it leaves one token possible, which generate then takes."""
    k: int
    temperature: float

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        top, index = scores.topk(min(self.k, scores.shape[-1]), dim=-1)
        uniform = torch.rand(top.shape, device=top.device).clamp_(min=1e-20)
        choice = (top.float() / self.temperature - torch.log(-torch.log(uniform))).argmax(dim=-1, keepdim=True)
        return torch.full_like(scores, float("-inf")).scatter_(-1, index.gather(-1, choice), 0.0)


class Judging:
    """generate's stopping criterion for n candidates a prompt: each candidate is judged once it ends, and a prompt
    is done once the judge says so or all its candidates ended. `finish` judges what generate's last step left:
    candidates that ended unseen, and for a prompt none of whose candidates ended, its first, cut to whole
    sentences where max_new_tokens cut it."""

    def __init__(self, width: int, n: int, tokenizer: Any, judge: Callable[[int, str], bool]) -> None:
        self.width, self.n, self.tokenizer, self.judge = width, n, tokenizer, judge
        self.judged: set[int] = set()
        self.settled: set[int] = set()

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        new = input_ids[:, self.width:]
        for row in (new == self.tokenizer.eos_token_id).any(dim=1).nonzero().flatten().tolist():
            if row not in self.judged:
                self.judged.add(row)
                self.examine(row, new[row], complete=True)
        done = [i in self.settled or all(r in self.judged for r in self.rows(i)) for i in range(new.shape[0] // self.n)]
        return torch.tensor(done, device=input_ids.device).repeat_interleave(self.n)

    def rows(self, prompt: int) -> range:
        return range(prompt * self.n, prompt * self.n + self.n)

    def examine(self, row: int, tokens: Any, complete: bool) -> None:
        prompt = row // self.n
        if prompt not in self.settled:
            ends = (tokens == self.tokenizer.eos_token_id).nonzero()
            tokens = tokens[:ends[0, 0]] if len(ends) else tokens
            text = _first_line(self.tokenizer.decode(tokens, skip_special_tokens=True), complete)
            if self.judge(prompt, text):
                self.settled.add(prompt)

    def finish(self, out: Any) -> None:
        self(out, None)
        for prompt in range(out.shape[0] // self.n):
            if not any(r in self.judged for r in self.rows(prompt)):
                self.examine(prompt * self.n, out[prompt * self.n, self.width:], complete=False)


def _first_line(text: str, complete: bool) -> str:
    """The text up to the end of its line; cut back to the last whole sentence where max_new_tokens cut it."""
    line, newline, _ = text.partition("\n")
    line = line.strip()
    if not complete and not newline:
        end = max(line.rfind(c) for c in ".!?")
        if end > 0:
            line = line[:end + 1]
    return line


def make_generator(kind: str = "lm", base_model: str = "smollm2", adapter: str | Path | None = "default",
                   seed: int = 0, config: LMConfig | None = None, dtype: str = "auto") -> Generator:
    """`template`, or `lm`: the base model with an adapter (`default`: the shipped one; None/"none": no adapter)."""
    if kind == "template":
        return TemplateGenerator(seed)
    if kind != "lm":
        raise GeneratorError(f"unknown generator {kind!r}; valid: lm, template")
    from dialogue.lm import DEFAULT_ADAPTER, ModelError, load_model

    if adapter == "default":
        adapter = DEFAULT_ADAPTER
    elif adapter in (None, "none"):
        adapter = None
    try:
        model, tokenizer = load_model(base_model, adapter, dtype=dtype)
    except ModelError as e:
        raise GeneratorError(str(e)) from None
    return LMGenerator(model, tokenizer, config or LMConfig(seed=seed))


def say_request(act: str | Act, role: Role, scenario: str) -> Request:
    """The request `haggler say` makes: an act as the opening message of a scenario's dialogue."""
    from dialogue.corpus import CorpusError
    from dialogue.scenarios import pick_scenario

    try:
        act = act if isinstance(act, Act) else Act.from_string(act)
    except ValueError as e:
        raise GeneratorError(str(e)) from None
    if act.is_formal:
        raise GeneratorError(f"{act} is a formal event, not something to say")
    try:
        item = pick_scenario(scenario)
    except (CorpusError, OSError) as e:
        raise GeneratorError(str(e)) from None
    return Request(act, role, Context(item.item.title, item.listing_price))


def say(generator: Generator, act: str | Act, role: Role, scenario: str) -> Rendering:
    """One rendering of an act as the opening message of a scenario's dialogue (`haggler say`)."""
    return generator.render([say_request(act, role, scenario)])[0]
