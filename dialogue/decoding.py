"""Continuous batching on a CPU: samples a causal LM's continuations of many prompts in one batch, and hands each
prompt's tries to a judge in the order they began, until one is judged to say what the prompt asks.

The prompts are read in packed passes (no padding: positions restart at each prompt, and each attends only within
itself), and their keys and values are laid out left-padded, a row per try, with room for the new positions. Then
each step feeds every row one token. A row ends at the end of its line (eos or a newline) or at max_new_tokens. A
prompt's tries are judged in order, so its text is its first try that is judged yes, whichever ended first: the
same text as one try at a time, since each try draws its own noise, wherever it runs. A row whose try has ended
starts another in place (its old positions masked out, the prompt's keys and values written in where the row held
another prompt's): its own prompt's next try if that prompt has none running, else the next try of the prompt with
the fewest running. So the batch keeps its width while any prompt is unsettled, and once a few prompts are settled,
the rest run their next tries at once, on rows that would stand idle; only then do rows leave (the rows past the
kept ones move into the gaps). HF's `generate` can neither restart nor drop a row, so a batch of many prompts would
wait for its slowest prompt's every try, one after another.

With guidance, each try has a twin row that reads its prompt's plain form (the prompt without what conditions it),
whose keys and values come from the prompt's own where the plain form begins it. The two rows read the same new
tokens, drawn from plain + guidance * (prompt - plain): classifier-free guidance (Sanchez et al. 2023, "Stay on
topic with classifier-free guidance"), which makes the tries follow the condition more closely; a try's first
`guidance_from` tokens are drawn from the prompt's scores alone.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterator, Sequence

from dialogue.lm import device_of, threads_for_lm


@dataclass
class Sampling:
    max_new_tokens: int = 32
    temperature: float = 0.5  # 0: greedy
    top_k: int = 40
    # Each prompt's tries running from the start (two rows each, with guidance). The text does not depend on it: it
    # is the first try, in order, that the judge accepts. More than one gains a single render nothing, since most
    # first tries say the act (80 dev acts, one vs two: mean 547 vs 536 ms, median 456 vs 471); a batch puts its
    # settled prompts' rows to work on the others' next tries anyway.
    tries_at_once: int = 1
    tries: int = 4  # a prompt's tries in all
    # Classifier-free guidance: next-token scores plain + guidance * (prompt - plain); 1: none. Chosen by first tries
    # on the human-vs-bot dialogues, which no adapter was trained on (1.0 / 1.5 / 2.0 / 2.5 / 3.0: 0.806 / 0.853 /
    # 0.864 / 0.876 / 0.874 of 1,500 acts); from 2.5 on, more renderings stop at a comma ("$9,000,"), said then up to
    # that comma, with a full stop. A try's first `guidance_from` tokens are drawn without guidance: guided from the
    # first, 42% of price acts are said as a bare price ("$8,000?"); from the second, at 3.5, 1%, but test.json's
    # first tries fall to 0.892 and more words slip (the adapter's card has the table), so 0 stays the default.
    guidance: float = 2.5
    guidance_from: int = 0
    # A try ends where the model would write a banned token with this probability or more (at the temperature, or
    # where it is the top token, greedy), cut back to its last end of a sentence or clause: barred from a number it
    # wanted, it wrote junk instead, which the parser often read as the act ("ive lived here for ire", "iphone iphone
    # iphone iphones": 44 of 1,461 renderings of the human-vs-bot acts, none at 0.5). 1: never.
    banned_mass: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "top_k", "tries_at_once", "tries"):
            if getattr(self, name) < 1:
                raise ValueError(f"Sampling.{name} must be at least 1, not {getattr(self, name)}")
        if self.guidance_from < 0:
            raise ValueError(f"Sampling.guidance_from must be 0 or more, not {self.guidance_from}")
        if self.temperature < 0:
            raise ValueError(f"Sampling.temperature must be 0 (greedy) or more, not {self.temperature}")
        if not 0 < self.banned_mass <= 1:
            raise ValueError(f"Sampling.banned_mass must be above 0 and at most 1, not {self.banned_mass}")


def stream_seed(*key: object) -> int:
    """A seed for the stream named by `key` (as the tournaments name theirs, `"seed:scenario:repeat"`)."""
    return random.Random(":".join(map(str, key))).getrandbits(63)


class Tries:
    """Each prompt's tries: started in order, judged in order. A prompt is settled when a try is judged yes or
    all `limit` were judged no; a try that ends before the tries begun before it waits for them."""

    def __init__(self, prompts: int, limit: int, judge: Callable[[int, str], bool]) -> None:
        self.limit, self.judge = limit, judge
        self.started, self.judged = [0] * prompts, [0] * prompts
        self.ended: list[dict[int, str]] = [{} for _ in range(prompts)]
        self.settled: set[int] = set()

    def start(self, p: int) -> int:
        self.started[p] += 1
        return self.started[p] - 1

    def end(self, p: int, k: int, text: str) -> None:
        self.ended[p][k] = text
        while p not in self.settled and self.judged[p] in self.ended[p]:
            text = self.ended[p].pop(self.judged[p])
            self.judged[p] += 1
            if self.judge(p, text) or self.judged[p] == self.limit:
                self.settled.add(p)

    def next_prompt(self, running: Counter, own: int) -> int | None:
        """The prompt whose next try a free row starts: of those with tries left, the one with the fewest running,
        the row's own prompt first among equals (its keys and values are in place); None if none has tries left."""
        ready = [p for p in range(len(self.started)) if p not in self.settled and self.started[p] < self.limit]
        return min(ready, key=lambda p: (running[p], p != own, p), default=None)


def sample(model: Any, tokenizer: Any, prompts: list[str], judge: Callable[[int, str], bool], sampling: Sampling,
           stops: Collection[int], banned: Sequence[Sequence[int]] = (), plain: Sequence[str] = (),
           seeds: Sequence[int] = ()) -> None:
    """Samples continuations of each prompt until judge(prompt's index, its text up to the end of its line) says
    yes or `sampling.tries` were judged; each prompt's tries are judged in the order they began. A try ends at a
    token in `stops`, at max_new_tokens, or where the model would write a banned token with probability
    `sampling.banned_mass` or more (the last two cut back to its last end of a sentence or clause). banned[i]: tokens
    prompt i may not write. plain[i]: prompt i without what conditions it (its act), for guidance; a try then has a
    twin row that reads plain[i] and the same new tokens, and its scores push the try away from what the plain prompt
    alone would say. seeds[i]: the seed of prompt i's draws (else the sampling's seed and the prompt's place), so a
    prompt and seed give the same tries whatever else is in the batch."""
    import torch

    if not prompts:
        return
    guided = sampling.guidance != 1 and bool(plain)
    if guided and len(plain) != len(prompts):
        raise ValueError("a plain prompt for each prompt, or none")
    if seeds and len(seeds) != len(prompts):
        raise ValueError("a seed for each prompt, or none")
    encoded = tokenizer(list(prompts) + (list(plain) if guided else []), add_special_tokens=False)["input_ids"]
    if min(map(len, encoded)) < 2:
        raise ValueError("every prompt needs two tokens or more")
    device = device_of(model)
    seeds = seeds or [stream_seed(sampling.seed, p) for p in range(len(prompts))]
    k = min(sampling.top_k, model.config.vocab_size)
    noise = torch.stack([gumbel((sampling.tries, sampling.max_new_tokens, k), torch.Generator(device).manual_seed(seed),
                                device) for seed in seeds])  # each try's own, wherever it runs
    ban = torch.zeros(len(prompts), model.config.vocab_size, dtype=torch.bool, device=device)
    for i, tokens in enumerate(banned):
        ban[i, list(tokens)] = True
    tries = Tries(len(prompts), sampling.tries, judge)
    at_once = max(1, min(sampling.tries_at_once, sampling.tries))
    with torch.inference_mode(), threads_for_lm():
        prompt = [p for p in range(len(prompts)) for _ in range(at_once)]
        batch = Batch(model, encoded, 2 if guided else 1, prompt, [tries.start(p) for p in prompt],
                      room=sampling.tries * sampling.max_new_tokens + 1)
        while batch.prompt:
            scores = batch.scores()
            if guided:
                scores = guide(scores, sampling, batch.new)
            banned_here = ban[batch.prompt]
            wants_banned = (wants(scores, banned_here, sampling.temperature, sampling.banned_mass).tolist()
                            if sampling.banned_mass < 1 and banned_here.any() else [False] * len(batch.prompt))
            drawn = draw(scores.masked_fill_(banned_here, float("-inf")), k, sampling.temperature,
                         noise[batch.prompt, batch.attempt, [len(n) for n in batch.new]])
            batch.feed(drawn)
            ended = end_tries(batch, drawn.tolist(), wants_banned, tries, tokenizer, stops, sampling.max_new_tokens)
            free = ended | {c for c, p in enumerate(batch.prompt) if p in tries.settled}
            if free:
                refill(batch, free, tries)


def guide(scores: Any, sampling: Sampling, new: list[list[int]]) -> Any:
    """Each try's scores from its twin rows' (the prompt's, then the plain prompt's): plain + guidance * (prompt -
    plain), or for a try's first `guidance_from` tokens, the prompt's alone."""
    import torch

    scores = scores.view(len(new), 2, -1)
    weight = sampling.guidance if not sampling.guidance_from else torch.tensor(
        [sampling.guidance if len(n) >= sampling.guidance_from else 1.0 for n in new], device=scores.device)[:, None]
    return scores[:, 1].lerp_(scores[:, 0], weight)


def end_tries(batch: Batch, drawn: list[int], wants_banned: list[bool], tries: Tries, tokenizer: Any,
              stops: Collection[int], max_new_tokens: int) -> set[int]:
    """Each row's drawn token added to its try (unless the try wanted a banned one: it ends before the junk it would
    draw), and each try that ended handed to `tries`, its text to the end of its line. Returns the rows whose try
    ended, or whose prompt was settled before the token was drawn."""
    ended = set()
    for c, token in enumerate(drawn):
        p = batch.prompt[c]
        if p in tries.settled:
            ended.add(c)
            continue
        complete = False
        if not wants_banned[c]:
            batch.new[c].append(token)
            complete = token in stops
        if complete or wants_banned[c] or len(batch.new[c]) == max_new_tokens:
            text = tokenizer.decode(batch.new[c], skip_special_tokens=True)
            tries.end(p, batch.attempt[c], first_line(text, complete=complete))
            ended.add(c)
    return ended


def refill(batch: Batch, free: set[int], tries: Tries) -> None:
    """Each free row starts the next try of the prompt `tries` chooses for it; the rows left with none leave."""
    keep = [c for c in range(len(batch.prompt)) if c not in free]
    running = Counter(batch.prompt[c] for c in keep)
    for c in sorted(free):
        p = tries.next_prompt(running, own=batch.prompt[c])
        if p is None:
            continue
        batch.restart(c, p, tries.start(p))
        running[p] += 1
        keep.append(c)
    if len(keep) < len(batch.prompt):
        batch.keep(fill_gaps(sorted(keep)))


class Batch:
    """The rows of a continuous batch: row c runs prompt[c]'s try attempt[c], which has drawn the tokens new[c] so
    far. Each row is read by `twins` model rows (the prompt's, then with guidance its plain form's), fed the same
    tokens. A model row holds the token it reads next, that token's position, its attention mask (the head's columns,
    then each position fed since) and, in `cache`, its keys and values. encoded: the prompts' tokens, then (with
    guidance) the plain prompts'."""

    def __init__(self, model: Any, encoded: list[list[int]], twins: int, prompt: list[int], attempt: list[int],
                 room: int) -> None:
        import torch

        device = device_of(model)
        self.model, self.twins = model, twins
        n = len(encoded) // twins
        self.heads_of = [[p + k * n for k in range(twins)] for p in range(n)]  # each prompt's model rows' heads
        self.heads = PromptHeads(model, [ids[:-1] for ids in encoded])
        width = self.heads.width
        self.last = torch.tensor([ids[-1] for ids in encoded], device=device)
        self.last_position = torch.tensor([len(ids) - 1 for ids in encoded], device=device)
        self.head_mask = (torch.arange(width, device=device) >= width - self.last_position[:, None]).long()
        self.prompt, self.attempt, self.new = prompt, attempt, [[] for _ in prompt]
        rows = [h for p in prompt for h in self.heads_of[p]]
        self.cache = self.heads.cache(rows, room)
        index = torch.tensor(rows, device=device)
        self.token, self.position = self.last[index], self.last_position[index]
        self.mask = torch.cat([self.head_mask[index], self.head_mask.new_ones(len(rows), 1)], dim=1)  # and the token

    def scores(self) -> Any:
        """Each model row's scores for the token after the one it reads."""
        return self.model(input_ids=self.token[:, None], attention_mask=self.mask, position_ids=self.position[:, None],
                          cache=self.cache, use_cache=True).logits[:, -1].float()

    def feed(self, drawn: Any) -> None:
        """Each row's drawn token, for its model rows to read next."""
        import torch

        self.token, self.position = drawn.repeat_interleave(self.twins), self.position + 1
        self.mask = torch.cat([self.mask, self.mask.new_ones(len(self.mask), 1)], dim=1)

    def restart(self, c: int, p: int, attempt: int) -> None:
        """Row c starts prompt p's try `attempt`: the row's earlier tries masked out, and where it held another
        prompt's, p's keys and values written in."""
        rows, heads = list(range(c * self.twins, (c + 1) * self.twins)), self.heads_of[p]
        if p != self.prompt[c]:
            self.heads.write(self.cache, rows, heads)
            self.mask[rows, :self.heads.width] = self.head_mask[heads]
        self.mask[rows, self.heads.width:-1] = 0
        self.token[rows], self.position[rows] = self.last[heads], self.last_position[heads]
        self.prompt[c], self.attempt[c], self.new[c] = p, attempt, []

    def keep(self, keep: list[int]) -> None:
        """Keeps the rows `keep`, in that order (fill_gaps's), and drops the others."""
        import torch

        kept = [c * self.twins + j for c in keep for j in range(self.twins)]
        index = torch.tensor(kept, dtype=torch.long, device=self.token.device)
        moved = [r for r, row in enumerate(kept) if row != r]
        source, target = index[moved], torch.tensor(moved, dtype=torch.long, device=self.token.device)
        for layer in self.cache.layers:
            layer.keep_rows(len(kept), source, target)
        self.token, self.position, self.mask = self.token[index], self.position[index], self.mask[index]
        self.prompt, self.attempt = [self.prompt[c] for c in keep], [self.attempt[c] for c in keep]
        self.new = [self.new[c] for c in keep]


def fill_gaps(keep: list[int]) -> list[int]:
    """The rows to keep (in order), reordered so that the first len(keep) places keep theirs and only those
    past them move, into the gaps: the cache then moves a few rows, not every row it keeps."""
    k = len(keep)
    movers = iter(r for r in keep if r >= k)
    kept = set(keep)
    return [r if r in kept else next(movers) for r in range(k)]


PREFILL_TOKENS = 1024
"""The most heads' tokens read in one packed pass. Attention by segments costs the same per token in passes of any
length (64 prompts, 3,629 tokens: 2.50 s in one pass, 2.55 s in passes of 1,024, on a 2-core CPU), but a model that
reads the pass's mask pays its square (0.55 ms a token in passes of 500 to 1,000 tokens; 3,854 tokens in one pass,
3.5 ms a token)."""


class PromptHeads:
    """The keys and values of the heads' tokens (each prompt but its last token), read in packed passes of up to
    PREFILL_TOKENS tokens, where a head that begins another (a plain prompt's, in its prompt's) is not read again: it
    takes the other's first keys and values. Written into cache rows left-padded to `width`: row r's columns read its
    head's positions, right-aligned; its pad columns (masked out) read the head's first position, so every column
    holds finite numbers."""

    def __init__(self, model: Any, heads: list[list[int]]) -> None:
        import torch

        device = device_of(model)
        packed: list[list[int]] = []
        source = []  # each head's place in `packed`
        for head in heads:
            j = next((j for j, other in enumerate(packed) if other[:len(head)] == head), None)
            if j is None:
                packed.append(head)
                j = len(packed) - 1
            source.append(j)
        starts = [0]
        for head in packed:
            starts.append(starts[-1] + len(head))
        self.width = width = max(map(len, heads))
        passes: list[list[list[int]]] = [[]]
        for head in packed:
            if passes[-1] and sum(map(len, passes[-1])) + len(head) > PREFILL_TOKENS:
                passes.append([])
            passes[-1].append(head)
        per_pass = []  # each pass's keys and values, a layer at a time
        for chunk in passes:
            ids = torch.tensor([[t for head in chunk for t in head]], device=device)
            positions = torch.tensor([[i for head in chunk for i in range(len(head))]], device=device)
            belongs = torch.tensor([j for j, head in enumerate(chunk) for _ in head], device=device)
            causal = (belongs[:, None] == belongs[None, :]).tril()[None, None]  # each head sees only itself
            ends = list(itertools.accumulate(map(len, chunk)))
            with attention_by_segments(model):
                out = model(input_ids=ids, attention_mask=causal, position_ids=positions, use_cache=True,
                            logits_to_keep=1, segments=list(zip([0] + ends[:-1], ends)))
            per_pass.append([(layer.keys[0], layer.values[0]) for layer in out.cache.layers])
        self.layers = [(torch.cat([k for k, _ in layer], dim=1), torch.cat([v for _, v in layer], dim=1))
                       for layer in zip(*per_pass)]  # as one packed pass would lay them out
        self.read = torch.tensor([[starts[source[h]] + max(0, i - width + len(head)) for i in range(width)]
                                  for h, head in enumerate(heads)], device=device)

    def cache(self, rows: list[int], room: int) -> Any:
        """A cache whose row r holds head rows[r], with room for `room` more positions."""
        from transformers.cache_utils import Cache

        layers = []
        for keys, values in self.layers:
            h, _, d = keys.shape
            # the room is written before it is read
            buffers = [states.new_empty(len(rows), h, self.width + room, d) for states in (keys, values)]
            layers.append(roomy_layer()(*buffers, length=self.width))
        cache = Cache(layers=layers)
        self.write(cache, list(range(len(rows))), rows)
        return cache

    def write(self, cache: Any, rows: list[int], heads: list[int]) -> None:
        """Puts heads[i]'s keys and values in the first `width` columns of cache row rows[i]."""
        for layer, packed in zip(cache.layers, self.layers):
            for buffer, states in zip(layer.buffers, packed):
                buffer[rows, :, :self.width] = states[:, self.read[heads]].transpose(0, 1)


PLAIN_ATTENTION = {"llama"}
"""Model types whose attention is plain causal attention (no window, soft cap or sinks): attention by segments
stands in for it. Other models read the packed pass's mask."""


@contextlib.contextmanager
def attention_by_segments(model: Any) -> Iterator[None]:
    """The model's attention, while in the block, reads each segment of a packed pass (`segments`, a (start, end)
    pair a prompt, passed to the model's forward) on its own: one causal SDPA a prompt, where one masked attention
    over the pass costs the square of its length (8 prompts, 518 tokens: 0.49 s a pass masked, 0.36 s by segment,
    on a 2-core CPU). Only for the model types in PLAIN_ATTENTION."""
    config = model.config
    if getattr(config, "model_type", None) not in PLAIN_ATTENTION:
        yield
        return
    before, config._attn_implementation = config._attn_implementation, segment_attention()
    try:
        yield
    finally:
        config._attn_implementation = before


@functools.cache
def segment_attention() -> str:
    """Registers the attention by segments with transformers (once) and returns its name."""
    import torch
    from transformers import AttentionInterface

    def attention(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, scaling: float | None = None,
                  segments: Sequence[tuple[int, int]] = (), **kwargs: Any) -> tuple[Any, None]:
        out = torch.cat([torch.nn.functional.scaled_dot_product_attention(
            query[:, :, s:e], key[:, :, s:e], value[:, :, s:e], is_causal=True, scale=scaling, enable_gqa=True)
            for s, e in segments], dim=2)
        return out.transpose(1, 2).contiguous(), None

    AttentionInterface.register("haggler_segments", attention)
    return "haggler_segments"


def gumbel(shape: tuple[int, ...], rng: Any, device: Any) -> Any:
    """Standard Gumbel noise: argmax(scores + noise) is a sample of softmax(scores)."""
    import torch

    return -torch.log(-torch.log(torch.rand(shape, generator=rng, device=device).clamp_(min=1e-20)))


def draw(logits: Any, k: int, temperature: float, noise: Any) -> Any:
    """A token a row from the top k at the temperature (the argmax at 0), by the Gumbel-max trick on the k scores,
    with noise[row] (k values from `gumbel`) as the row's randomness: torch.multinomial over the whole vocabulary
    costs ~0.85 ms a row on a CPU, more than a batch step gains."""
    top, index = logits.topk(min(k, logits.shape[-1]), dim=-1)
    if temperature <= 0:
        return index[:, 0]
    return index.gather(-1, (top / temperature + noise[:, :top.shape[-1]]).argmax(dim=-1, keepdim=True))[:, 0]


def wants(logits: Any, banned: Any, temperature: float, mass: float) -> Any:
    """Per row, whether the model would write a banned token with probability `mass` or more at the temperature
    (greedy: whether one is its top token)."""
    if temperature <= 0:
        return banned.gather(-1, logits.argmax(dim=-1, keepdim=True))[:, 0]
    probabilities = (logits / temperature).softmax(dim=-1)
    return probabilities.masked_fill_(~banned, 0).sum(dim=-1) >= mass


CLAUSE_ENDS = re.compile(r"[.!?,](?=\s|$)")
"""Where a sentence or a clause ends (not the comma of "$1,200")."""


def first_line(text: str, complete: bool) -> str:
    """The text up to the end of its line; where the try was cut off (max_new_tokens, or a banned token it wanted),
    cut back to the last end of a sentence or of a clause ("Yes, it is still available, I have had it for" -> "Yes,
    it is still available,"; nothing, if none ended: a fragment says nothing whole)."""
    line, newline, _ = text.partition("\n")
    line = line.strip()
    if not complete and not newline:
        end = max((m.start() for m in CLAUSE_ENDS.finditer(line)), default=0)
        line = line[:end + 1] if end > 0 else ""
    return line


@functools.cache
def roomy_layer() -> type:
    """The cache layer class (built on first use: transformers is imported inside the functions)."""
    from transformers.cache_utils import DynamicLayer

    class RoomyLayer(DynamicLayer):
        """A DynamicLayer with room kept for new positions: an update writes in place, where DynamicLayer
        concatenates (a copy of the whole cache each step: a sixth of a 32-row step on a CPU)."""

        def __init__(self, keys: Any, values: Any, length: int) -> None:
            super().__init__()
            self.buffers, self.length = [keys, values], length
            self.device, self.is_initialized = keys.device, True
            self._view()

        def _view(self) -> None:
            self.keys, self.values = (b[:, :, :self.length] for b in self.buffers)

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            import torch

            end = self.length + key_states.shape[-2]
            if end > self.buffers[0].shape[2]:  # out of room: twice the room
                self.buffers = [torch.cat([b, torch.zeros_like(b)], dim=2) for b in self.buffers]
            for buffer, states in zip(self.buffers, (key_states, value_states)):
                buffer[:, :, self.length:end] = states
            self.length = end
            self._view()
            return self.keys, self.values

        def batch_select_indices(self, indices: Any) -> None:
            self.buffers = [b[indices] for b in self.buffers]
            self._view()

        def keep_rows(self, k: int, source: Any, target: Any) -> None:
            """Keeps the first k rows, rows `source` (all past k) moved into places `target` (all before k):
            a copy of the rows that move, where batch_select_indices copies every row it keeps."""
            for b in self.buffers:
                b[target, :, :self.length] = b[source, :, :self.length]
            self.buffers = [b[:k] for b in self.buffers]
            self._view()

    return RoomyLayer

