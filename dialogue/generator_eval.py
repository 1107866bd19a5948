"""`haggler eval-generator`: how well the generator says acts, on the messages of a dialogue file.

A seeded sample of `limit` messages (each with its act as haggler's parser reads it in context):
- ppl_base, ppl_finetuned: perplexity of the human utterance after the same prompt (the context and
  the act) under the base model and the fine-tuned one, prices as people wrote them, over its tokens
  and the end-of-turn token that closes it (`*_text_only`: without that token);
- faithful_first, faithful_final: share of renderings of the acts whose parse back says the act, on
  the LM's first sample and after resampling and the template fallback;
- distinct2: distinct word bigrams over all bigrams of the renderings;
- latency_ms_mean: mean wall time of one render call (of `batch_size` acts).
"""
from __future__ import annotations

import math
import random
import statistics
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dialogue.corpus import ACTS_NOT_WORDS, CorpusError, load_dialogues, speaks_in_acts
from dialogue.decoding import Sampling, stream_seed
from dialogue.generator import GeneratorError, LMGenerator, Request
from dialogue.generator_data import dialogue_contexts, encode_pair, render_prompt
from dialogue.lm import DEFAULT_BASE_MODEL


def sample_requests(path: Path, limit: int | None, seed: int) -> list[tuple[Request, str]]:
    """(request, the human text) for a seeded sample of the file's messages, each request seeded by its place (so
    the renderings do not depend on how many are rendered at once)."""
    if Path(path).is_dir():
        raise GeneratorError(f"{path}: a directory; eval-generator scores the messages of a dialogue file (.json or "
                             f".jsonl)")
    try:
        dialogues = load_dialogues(path)
    except CorpusError as e:
        raise GeneratorError(str(e)) from None
    if speaks_in_acts(dialogues):
        raise GeneratorError(f"{path}: {ACTS_NOT_WORDS}")
    items = [(act, role, context, text) for d in dialogues for context, role, act, text in dialogue_contexts(d)]
    if limit is not None and limit < len(items):
        items = random.Random(seed).sample(items, limit)
    return [(Request(act, role, context, stream_seed(seed, i)), text)
            for i, (act, role, context, text) in enumerate(items)]


def perplexity(model: Any, tokenizer: Any, pairs: list[tuple[str, str]], batch_size: int = 16,
               desc: str | None = None) -> tuple[float, float]:
    """exp(mean NLL) of the target tokens after their prompts: over the utterance's tokens and the end-of-turn
    token that closes it (as in the training targets), and over the utterance's tokens alone."""
    import torch

    text_nll = end_nll = 0.0
    text_n = end_n = 0
    for start in tqdm(range(0, len(pairs), batch_size), desc=desc, unit="batch", disable=None if desc else True):
        rows = []
        for prompt, target in pairs[start:start + batch_size]:
            p, t = encode_pair(tokenizer, prompt, target)
            rows.append((p + t, len(p)))
        width = max(len(ids) for ids, _ in rows)
        ids = torch.tensor([r + [tokenizer.pad_token_id] * (width - len(r)) for r, _ in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r, _ in rows])
        with torch.inference_mode():
            logits = model(input_ids=ids.to(model.device), attention_mask=mask.to(model.device)).logits.float().cpu()
        logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
        for row, (r, n_prompt) in enumerate(rows):
            nll = -logp[row, n_prompt - 1:len(r) - 1]  # the predictions of the target tokens, the end token last
            text_nll += nll[:-1].sum().item()
            text_n += len(nll) - 1
            end_nll += nll[-1].item()
            end_n += 1
    return math.exp((text_nll + end_nll) / (text_n + end_n)), math.exp(text_nll / max(text_n, 1))


def distinct2(texts: list[str]) -> float:
    bigrams = [tuple(w[i:i + 2]) for w in (t.lower().split() for t in texts) for i in range(len(w) - 1)]
    return len(set(bigrams)) / len(bigrams) if bigrams else 0.0


def evaluate_generator(data: Path, limit: int | None = 500, base_model: str = DEFAULT_BASE_MODEL,
                       adapter: str | Path | None = "default", seed: int = 0, batch_size: int = 1,
                       dtype: str = "auto", sampling: Sampling | None = None) -> dict:
    """Perplexities in float32; renderings with the model in `dtype`, as the generator runs it (`sampling`: the
    generator's default, seeded with `seed`)."""
    from dialogue.lm import ModelError, adapter_path, check_adapter, load_model, torch_dtype

    adapter = adapter_path(adapter)
    if adapter is not None:
        try:
            check_adapter(adapter)  # before the base model's pass, not after it
        except ModelError as e:
            raise GeneratorError(f"--adapter {e}") from None
    items = sample_requests(data, limit, seed)
    if not items:
        raise GeneratorError(f"{data}: no messages to evaluate")
    pairs = [(render_prompt(r.context, r.role, r.act), text) for r, text in items]
    try:
        base, tokenizer = load_model(base_model)
        ppl_base, ppl_base_text = perplexity(base, tokenizer, pairs, desc="perplexity, base model")
        del base
        model, tokenizer = load_model(base_model, adapter)
    except ModelError as e:
        raise GeneratorError(str(e)) from None
    ppl_finetuned, ppl_finetuned_text = perplexity(model, tokenizer, pairs, desc="perplexity, fine-tuned")

    sampling = sampling or Sampling(seed=seed)
    generator = LMGenerator(model.to(torch_dtype(dtype)), tokenizer, sampling)
    renderings, seconds = [], []
    for start in tqdm(range(0, len(items), batch_size), desc="renderings", unit="call", disable=None):
        out = generator.render([r for r, _ in items[start:start + batch_size]])
        renderings += out
        seconds.append(out[0].seconds)
    n = len(renderings)
    return {
        "data": str(data), "n": n, "adapter": str(adapter) if adapter else None, "batch_size": batch_size,
        "dtype": str(torch_dtype(dtype)).removeprefix("torch."), "guidance": sampling.guidance,
        "guidance_from": sampling.guidance_from,
        "ppl_base": round(ppl_base, 3), "ppl_finetuned": round(ppl_finetuned, 3),
        "ppl_ratio": round(ppl_finetuned / ppl_base, 3),
        "ppl_base_text_only": round(ppl_base_text, 3), "ppl_finetuned_text_only": round(ppl_finetuned_text, 3),
        "faithful_first": round(sum(r.backend == "lm" and r.tries == 1 for r in renderings) / n, 4),
        "faithful_lm": round(sum(r.backend == "lm" for r in renderings) / n, 4),
        "faithful_final": round(sum(r.faithful for r in renderings) / n, 4),
        "distinct2": round(distinct2([r.text for r in renderings]), 4),
        "words_mean": round(statistics.mean(len(r.text.split()) for r in renderings), 2),
        "latency_ms_mean": round(1000 * statistics.mean(seconds), 1),
    }


def format_report(report: dict) -> str:
    lines = [f"{report['n']} messages of {report['data']} (adapter {report['adapter']})"]
    shown = {k: v for k, v in report.items() if k not in ("data", "n", "adapter")}
    width = max(map(len, shown))
    lines += [f"  {k:{width}s} {v}" for k, v in shown.items()]
    return "\n".join(lines)
