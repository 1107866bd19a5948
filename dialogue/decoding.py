"""Continuous batching on a CPU: samples a causal LM's continuations of many prompts in one batch, a few candidates
per prompt at a time, and hands each candidate to a judge the moment it ends.

The prompts are read in one packed pass (no padding: positions restart at each prompt), and their keys and values
are laid out left-padded, a row per candidate, with room for the new positions. Then each step feeds every row one
token. A row ends at the end of its line (eos or a newline) or at max_new_tokens, and is judged at once. A row judged
no starts its prompt's next candidate in place: its old positions are masked out, and it reads the prompt's last token
again. Once a prompt is settled (judged yes) or out of tries, its rows leave the batch. HF's `generate` can neither
restart nor drop a row, so a batch of many prompts would wait for its slowest prompt's every try.
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
    candidates: int = 4  # a prompt's candidates in the batch at once
    tries: int = 4  # a prompt's candidates in all
    seed: int = 0


def sample(model: Any, tokenizer: Any, prompts: list[str], judge: Callable[[int, str], bool], sampling: Sampling,
           stops: Collection[int], banned: Sequence[Sequence[int]] = ()) -> None:
    """Samples continuations of each prompt until judge(prompt's index, its text up to the end of its line) says
    yes or `sampling.tries` were judged. A candidate ends at a token in `stops` or at max_new_tokens (then cut back
    to its last whole sentence). banned[i]: tokens prompt i may not write."""
    import torch

    if not prompts:
        return
    encoded = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    if min(map(len, encoded)) < 2:
        raise ValueError("every prompt needs two tokens or more")
    n = max(1, min(sampling.candidates, sampling.tries))
    device = device_of(model)
    rng = torch.Generator(device).manual_seed(sampling.seed)
    ban = torch.zeros(len(prompts), model.config.vocab_size, dtype=torch.bool, device=device)
    for i, tokens in enumerate(banned):
        ban[i, list(tokens)] = True
    with torch.inference_mode(), threads_for_lm():
        cache, width = prompt_cache(model, [ids[:-1] for ids in encoded], n,
                                    room=-(-sampling.tries // n) * sampling.max_new_tokens + 1)
        prompt = [p for p in range(len(prompts)) for _ in range(n)]  # each row's prompt
        last = torch.tensor([ids[-1] for ids in encoded], device=device)
        last_position = torch.tensor([len(ids) - 1 for ids in encoded], device=device)
        token, position = last[prompt], last_position[prompt]
        mask = (torch.arange(width + 1, device=device) >= width - last_position[:, None]).long()[prompt]  # prompt and fed token
        began = [width] * len(prompt)  # the column where each row's candidate began
        new: list[list[int]] = [[] for _ in prompt]
        started, settled = [n] * len(prompts), set()
        while prompt:
            logits = model(input_ids=token[:, None], attention_mask=mask, position_ids=position[:, None],
                           cache=cache, use_cache=True).logits[:, -1].float().masked_fill_(ban[prompt], float("-inf"))
            token, position = draw(logits, sampling.top_k, sampling.temperature, rng), position + 1
            mask = torch.cat([mask, mask.new_ones(len(prompt), 1)], dim=1)
            keep = []
            for r, t in enumerate(token.tolist()):
                p = prompt[r]
                if p in settled:
                    continue
                new[r].append(t)
                ended = t in stops
                if not ended and len(new[r]) < sampling.max_new_tokens:
                    keep.append(r)
                elif judge(p, first_line(tokenizer.decode(new[r], skip_special_tokens=True), complete=ended)):
                    settled.add(p)
                elif started[p] < sampling.tries:
                    started[p] += 1
                    mask[r, began[r]:-1] = 0
                    began[r], new[r] = mask.shape[1] - 1, []
                    token[r], position[r] = last[p], last_position[p]
                    keep.append(r)
            keep = [r for r in keep if prompt[r] not in settled]
            if len(keep) < len(prompt):
                index = torch.tensor(keep, dtype=torch.long, device=device)
                cache.batch_select_indices(index)
                token, position, mask = token[index], position[index], mask[index]
                prompt, began, new = [prompt[r] for r in keep], [began[r] for r in keep], [new[r] for r in keep]


def prompt_cache(model: Any, heads: list[list[int]], n: int, room: int) -> tuple[Any, int]:
    """The keys and values of the prompts' tokens, read in one packed pass and laid out left-padded, n rows a prompt,
    with room for `room` more positions; and the padded width."""
    import torch
    from transformers.cache_utils import Cache

    device = device_of(model)
    width = max(map(len, heads))
    packed = torch.tensor([[t for head in heads for t in head]], device=device)
    positions = torch.tensor([[i for head in heads for i in range(len(head))]], device=device)
    row = torch.tensor([p for p, head in enumerate(heads) for _ in head], device=device)
    causal = (row[:, None] == row[None, :]).tril()[None, None]  # each prompt sees only itself
    layers = model(input_ids=packed, attention_mask=causal, position_ids=positions, use_cache=True,
                   logits_to_keep=1).cache.layers
    column = torch.tensor([width - len(head) + i for head in heads for i in range(len(head))], device=device)
    out = []
    for layer in layers:
        buffers = []
        for packed_states in (layer.keys, layer.values):
            _, h, _, d = packed_states.shape
            buffer = packed_states.new_zeros(len(heads), h, width + room, d)
            buffer[row, :, column] = packed_states[0].transpose(0, 1)
            buffers.append(buffer.repeat_interleave(n, dim=0))
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

    return RoomyLayer

