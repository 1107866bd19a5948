"""Continuous batching on a CPU: samples a causal LM's continuations of many prompts in one batch, a few candidates
per prompt at a time, and hands each candidate to a judge the moment it ends.

The prompts are read in one packed pass (no padding: positions restart at each prompt), and their keys and values
are laid out left-padded, a row per candidate, with room for the new positions. Then each step feeds every row one
token. A row ends at the end of its line (eos or a newline) or at max_new_tokens, and is judged at once. A row judged
no starts its prompt's next candidate in place: its old positions are masked out, and it reads the prompt's last token
again. Once a prompt is settled (judged yes) or out of tries, its rows leave the batch (the rows past the kept ones
move into the gaps). HF's `generate` can neither restart nor drop a row, so a batch of many prompts would wait for its
slowest prompt's every try.

With guidance, each candidate has a twin row that reads its prompt's plain form (the prompt without what conditions
it), whose keys and values come from the prompt's own where the plain form begins it. The two rows read the same new
tokens, drawn from plain + guidance * (prompt - plain): classifier-free guidance (Sanchez et al. 2023, "Stay on
topic with classifier-free guidance"), which makes the candidates follow the condition more closely.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Collection, Sequence

from dialogue.lm import threads_for_lm


@dataclass
class Sampling:
    max_new_tokens: int = 32
    temperature: float = 0.5  # 0: greedy
    top_k: int = 40
    # A prompt's candidates in the batch at once (each two rows, with guidance). One: its text is the first sample
    # that says the act, as the model would say it. With several, the first to end wins, so the shortest: on dev.json
    # four at once said 4.7 words a rendering (a bare "$250?" twice as often), one at a time 7.5, people 13.0, and
    # both said the act first time as often (0.900, 0.902 of 500).
    candidates: int = 1
    tries: int = 4  # a prompt's candidates in all
    guidance: float = 1.5  # classifier-free guidance: next-token scores plain + guidance * (prompt - plain); 1: none
    seed: int = 0


def sample(model: Any, tokenizer: Any, prompts: list[str], judge: Callable[[int, str], bool], sampling: Sampling,
           stops: Collection[int], banned: Sequence[Sequence[int]] = (), plain: Sequence[str] = ()) -> None:
    """Samples continuations of each prompt until judge(prompt's index, its text up to the end of its line) says
    yes or `sampling.tries` were judged. A candidate ends at a token in `stops` or at max_new_tokens (then cut back
    to its last whole sentence). banned[i]: tokens prompt i may not write. plain[i]: prompt i without what
    conditions it (its act), for guidance; a candidate then has a twin row that reads plain[i] and the same new
    tokens, and its scores push the candidate away from what the plain prompt alone would say."""
    import torch

    if not prompts:
        return
    guided = sampling.guidance != 1 and bool(plain)
    if guided and len(plain) != len(prompts):
        raise ValueError("a plain prompt for each prompt, or none")
    encoded = tokenizer(list(prompts) + (list(plain) if guided else []), add_special_tokens=False)["input_ids"]
    if min(map(len, encoded)) < 2:
        raise ValueError("every prompt needs two tokens or more")
    n, twins = max(1, min(sampling.candidates, sampling.tries)), 2 if guided else 1
    heads_of = [[p + k * len(prompts) for k in range(twins)] for p in range(len(prompts))]  # each prompt's rows' heads
    device = device_of(model)
    rng = torch.Generator(device).manual_seed(sampling.seed)
    ban = torch.zeros(len(prompts), model.config.vocab_size, dtype=torch.bool, device=device)
    for i, tokens in enumerate(banned):
        ban[i, list(tokens)] = True
    with torch.inference_mode(), threads_for_lm():
        prompt = [p for p in range(len(prompts)) for _ in range(n)]  # each candidate's prompt
        row_heads = [h for p in prompt for h in heads_of[p]]
        cache, width = prompt_cache(model, [ids[:-1] for ids in encoded], row_heads,
                                    room=-(-sampling.tries // n) * sampling.max_new_tokens + 1)
        last = torch.tensor([ids[-1] for ids in encoded], device=device)
        last_position = torch.tensor([len(ids) - 1 for ids in encoded], device=device)
        rows = torch.tensor(row_heads, device=device)
        token, position = last[rows], last_position[rows]
        mask = (torch.arange(width + 1, device=device) >= width - last_position[:, None]).long()[rows]  # head and fed token
        began = [width] * len(prompt)  # the column where each candidate began
        new: list[list[int]] = [[] for _ in prompt]
        started, settled = [n] * len(prompts), set()
        while prompt:
            logits = model(input_ids=token[:, None], attention_mask=mask, position_ids=position[:, None],
                           cache=cache, use_cache=True).logits[:, -1].float()
            if guided:
                logits = logits.view(len(prompt), twins, -1)
                logits = logits[:, 1].lerp_(logits[:, 0], sampling.guidance)
            drawn = draw(logits.masked_fill_(ban[prompt], float("-inf")), sampling.top_k, sampling.temperature, rng)
            token, position = drawn.repeat_interleave(twins), position + 1
            mask = torch.cat([mask, mask.new_ones(len(mask), 1)], dim=1)
            keep = []
            for c, t in enumerate(drawn.tolist()):
                p = prompt[c]
                if p in settled:
                    continue
                new[c].append(t)
                ended = t in stops
                if not ended and len(new[c]) < sampling.max_new_tokens:
                    keep.append(c)
                elif judge(p, first_line(tokenizer.decode(new[c], skip_special_tokens=True), complete=ended)):
                    settled.add(p)
                elif started[p] < sampling.tries:
                    started[p] += 1
                    own = slice(c * twins, (c + 1) * twins)
                    mask[own, began[c]:-1] = 0
                    began[c], new[c] = mask.shape[1] - 1, []
                    token[own], position[own] = last[heads_of[p]], last_position[heads_of[p]]
                    keep.append(c)
            keep = [c for c in keep if prompt[c] not in settled]
            if len(keep) < len(prompt):
                keep = fill_gaps(keep)
                kept_rows = [c * twins + k for c in keep for k in range(twins)]
                index = torch.tensor(kept_rows, dtype=torch.long, device=device)
                moved = [r for r, row in enumerate(kept_rows) if row != r]
                source, target = index[moved], torch.tensor(moved, dtype=torch.long, device=device)
                for layer in cache.layers:
                    layer.keep_rows(len(kept_rows), source, target)
                token, position, mask = token[index], position[index], mask[index]
                prompt, began, new = [prompt[c] for c in keep], [began[c] for c in keep], [new[c] for c in keep]


def fill_gaps(keep: list[int]) -> list[int]:
    """The candidates to keep (in order), reordered so that the first len(keep) places keep theirs and only those
    past them move, into the gaps: the cache then moves a few rows, not every row it keeps."""
    k = len(keep)
    movers = iter(r for r in keep if r >= k)
    kept = set(keep)
    return [r if r in kept else next(movers) for r in range(k)]


def prompt_cache(model: Any, heads: list[list[int]], rows: list[int], room: int) -> tuple[Any, int]:
    """The keys and values of the heads' tokens, laid out left-padded, row r holding heads[rows[r]], with room for
    `room` more positions; and the padded width. The heads are read in one packed pass, where a head that begins
    another (a plain prompt's, in its prompt's) is not read again: it takes the other's first keys and values."""
    import torch
    from transformers.cache_utils import Cache

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
    width = max(map(len, heads))
    ids = torch.tensor([[t for head in packed for t in head]], device=device)
    positions = torch.tensor([[i for head in packed for i in range(len(head))]], device=device)
    belongs = torch.tensor([j for j, head in enumerate(packed) for _ in head], device=device)
    causal = (belongs[:, None] == belongs[None, :]).tril()[None, None]  # each head sees only itself
    layers = model(input_ids=ids, attention_mask=causal, position_ids=positions, use_cache=True,
                   logits_to_keep=1).cache.layers
    # Row r's columns read its head's positions, right-aligned; its pad columns (masked out) read the head's first
    # position, so every column holds finite numbers without zeroing the buffers first.
    read = torch.tensor([[starts[source[h]] + max(0, i - width + len(heads[h])) for i in range(width)] for h in rows],
                        device=device)
    out = []
    for layer in layers:
        buffers = []
        for packed_states in (layer.keys, layer.values):
            _, h, _, d = packed_states.shape
            buffer = packed_states.new_empty(len(rows), h, width + room, d)  # the room is written before it is read
            buffer[:, :, :width] = packed_states[0][:, read].transpose(0, 1)
            buffers.append(buffer)
        out.append(roomy_layer()(*buffers, length=width))
    return Cache(layers=out), width


def device_of(model: Any) -> Any:
    import torch

    return getattr(model, "device", None) or torch.device("cpu")


def draw(logits: Any, k: int, temperature: float, rng: Any) -> Any:
    """A token a row from the top k at the temperature (the argmax at 0), by the Gumbel-max trick on the k scores:
    torch.multinomial over the whole vocabulary costs ~0.85 ms a row on a CPU, more than a batch step gains."""
    import torch

    top, index = logits.topk(min(k, logits.shape[-1]), dim=-1)
    if temperature <= 0:
        return index[:, 0]
    gumbel = -torch.log(-torch.log(torch.rand(top.shape, generator=rng, device=top.device).clamp_(min=1e-20)))
    return index.gather(-1, (top / temperature + gumbel).argmax(dim=-1, keepdim=True))[:, 0]


def first_line(text: str, complete: bool) -> str:
    """The text up to the end of its line; cut back to the last whole sentence where max_new_tokens cut it."""
    line, newline, _ = text.partition("\n")
    line = line.strip()
    if not complete and not newline:
        end = max(line.rfind(c) for c in ".!?")
        if end > 0:
            line = line[:end + 1]
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

