import json
from pathlib import Path

import pytest

from dialogue.annotate import dialogue_acts
from dialogue.corpus import CorpusError, Dialogue, dump_dialogues, load_dialogues
from dialogue.held_out import craigslist_training_dialogues, held_out_dialogues
from dialogue.scenarios import load_scenarios, pick_scenario

SHARED_FILES = ["dev.json", "test.json", "silver-acts/luis-acts.json", "human-vs-bot/result_dialogs_dynamic.json",
                "human-vs-bot/result_dialogs_static.json", "human-vs-bot/result_dialogs_no.json"]


@pytest.mark.parametrize("name", SHARED_FILES)
def test_reading_and_writing_gives_back_equal_data(craigslist, tmp_path, name):
    path = craigslist / name
    dialogues = load_dialogues(path)
    out = tmp_path / "out.json"
    dump_dialogues(dialogues, out)
    assert json.loads(out.read_text()) == json.loads(path.read_text())


def test_typed_fields_of_a_dev_dialogue(craigslist):
    d = load_dialogues(craigslist / "dev.json")[0]
    assert isinstance(d, Dialogue)
    assert {kb.role for kb in d.scenario.kbs} == {"buyer", "seller"}
    seller, buyer = d.scenario.kb("seller"), d.scenario.kb("buyer")
    assert seller.target == d.scenario.listing_price
    assert buyer.bottomline is None and buyer.walk_away == d.scenario.listing_price
    assert seller.walk_away == pytest.approx(0.7 * d.scenario.listing_price)
    offer = next(e for e in d.events if e.action == "offer")
    assert offer.offer_price == d.outcome.price
    assert d.events[0].is_message and d.events[0].text


def test_an_offer_without_a_price_is_no_act_and_no_offer_of_nothing(craigslist):
    """Two of dev.json's offers have price null; an offer of $0 in the parser's context made the seller's next
    price read as a counter to it."""
    d = next(d for d in load_dialogues(craigslist / "dev.json") if d.uuid == "C_3afb26b265b34edaa78dccd4cdd6a20b")
    offer = d.events[3]
    assert offer.action == "offer" and offer.offer_price is None and offer.act is None
    acts = dialogue_acts(d)
    assert acts[3] is None and all(a is None or a.price != 0 for a in acts)


def test_explicit_bottomline_wins(tmp_path):
    s = load_scenarios("builtin")[0].to_dict()
    s["kbs"][0]["personal"]["Bottomline"] = 323  # the buyer's, above its target 190
    path = tmp_path / "s.json"
    path.write_text(json.dumps([s]))
    assert load_scenarios(path)[0].kbs[0].walk_away == 323


def test_builtin_scenarios_work_without_shared_data():
    scenarios = load_scenarios("builtin")
    assert 20 <= len(scenarios) <= 50
    assert len({s.item.title for s in scenarios}) == len(scenarios)
    for s in scenarios:
        assert s.kb("seller").target == s.listing_price
        assert s.kb("buyer").target < s.listing_price
    assert pick_scenario("builtin:3").uuid == scenarios[3].uuid


def test_builtin_titles_are_not_copied_from_the_dataset(craigslist):
    titles = {d.scenario.item.title for f in ("dev.json", "test.json") for d in load_dialogues(craigslist / f)}
    assert not titles & {s.item.title for s in load_scenarios("builtin")}


def test_scenarios_from_listings_are_seeded(craigslist):
    path = next((craigslist / "listings").glob("craigslist_bike.json"))
    a, b = load_scenarios(path, seed=1), load_scenarios(path, seed=1)
    assert [s.kb("buyer").target for s in a] == [s.kb("buyer").target for s in b]
    fractions = [round(s.kb("buyer").target / s.listing_price, 2) for s in a]
    assert set(fractions) == {0.5, 0.7, 0.9}
    assert fractions != [round(s.kb("buyer").target / s.listing_price, 2) for s in load_scenarios(path, seed=2)]


def test_scenarios_from_the_train_csv(craigslist):
    scenarios = load_scenarios(craigslist / "scenarios" / "train-scenarios.csv", seed=0)
    assert len(scenarios) > 5000
    assert scenarios[0].item.title.startswith("Verizon Car Charger")
    second = scenarios[1]  # train_00001,train,vehicles,200.0,120.0,200.0,Long board ...: the file's own target
    assert (second.uuid, second.kb("buyer").target, second.kb("seller").target) == ("train_00001", 120.0, 200.0)
    assert len({s.uuid for s in scenarios}) == len(scenarios)


def test_a_listing_without_a_price_is_skipped_and_said(tmp_path, capsys):
    path = tmp_path / "listings.json"
    path.write_text('[{"title": "a", "price": 100}, {"title": "b", "price": true}, {"title": "c", "price": null},'
                    ' {"title": "d", "price": 80, "buyer_target": 60, "id": "mine"}]')
    scenarios = load_scenarios(path)
    assert [s.item.title for s in scenarios] == ["a", "d"]
    assert (scenarios[1].uuid, scenarios[1].kb("buyer").target) == ("mine", 60.0)
    assert "2 of 4 listings have no price from $0.01 to 1e+12, and were skipped" in capsys.readouterr().err


def test_a_listing_is_picked_by_its_place_in_the_file_past_skipped_ones(tmp_path):
    path = tmp_path / "listings.json"
    path.write_text('[{"title": "a", "price": "abc"}, {"title": "b", "price": 0.001}, {"title": "c", "price": 0.01},'
                    ' {"title": "d", "price": 80}]')
    assert pick_scenario(f"{path}:3").item.title == "d"
    cheapest = pick_scenario(f"{path}:2")
    assert cheapest.item.title == "c" and cheapest.kb("buyer").target == 0.01  # a cent: no $0 target
    with pytest.raises(CorpusError, match=r": listing 1 has no price from \$0.01 to 1e\+12; it is no scenario$"):
        pick_scenario(f"{path}:1")
    with pytest.raises(CorpusError, match=rf": index out of range; {path}:N takes N from 0 to 3$"):
        pick_scenario(f"{path}:4")
    path.write_text('[{"title": "a", "price": 10}, {"title": "b"}]')  # the last one skipped: still listing 1
    with pytest.raises(CorpusError, match=r": listing 1 has no price from \$0.01 to 1e\+12; it is no scenario$"):
        pick_scenario(f"{path}:1")


def test_a_seller_target_below_the_sellers_walk_away_price_is_refused(tmp_path):
    path = tmp_path / "scenarios.csv"
    path.write_text(CSV_HEADER + "s1,bike,10,3,6,Bike,red\n")
    with pytest.raises(CorpusError) as e:
        load_scenarios(path)
    assert str(e.value) == (f"{path}: listing 0: seller_target '6' is below the seller's walk-away price, $7 (70% of "
                            "the listing's price)")
    path.write_text(CSV_HEADER + "s1,bike,10,3,7,Bike,red\n")
    assert load_scenarios(path)[0].kb("seller").target == 7


CSV_HEADER = "scenario_id,category,list_price,buyer_target,seller_target,title,description\n"


@pytest.mark.parametrize("targets, message", [
    ("abc,10", "listing 0: buyer_target 'abc' is not a price from .0.01 to the listing's price, .10"),
    ("-5,10", "listing 0: buyer_target '-5' is not a price"),
    ("inf,10", "listing 0: buyer_target 'inf' is not a price"),
    ("100,10", "listing 0: buyer_target '100' is not a price"),
    ("7,xyz", "listing 0: seller_target 'xyz' is not a price"),
    ("0.001,10", "listing 0: buyer_target '0.001' is not a price from .0.01"),  # was taken, and written as $0
])
def test_a_csv_target_that_is_not_a_price_is_refused(tmp_path, targets, message):
    path = tmp_path / "scenarios.csv"
    path.write_text(CSV_HEADER + f"s0,bike,10.0,{targets},A bike,Red\n")
    with pytest.raises(CorpusError, match=f"{path}: {message}"):
        load_scenarios(path)


def test_a_csv_row_gives_both_targets_and_a_blank_one_its_default(tmp_path):
    path = tmp_path / "scenarios.CSV"  # any case
    path.write_text(CSV_HEADER + "s0,bike,10.0,7,9.5,A bike,Red\ns1,bike,20.0,,,A bike,Blue\n")
    first, second = load_scenarios(path, seed=0)
    assert (first.kb("buyer").target, first.kb("seller").target) == (7.0, 9.5)
    assert second.kb("seller").target == 20.0
    assert second.kb("buyer").target / 20.0 in {0.5, 0.7, 0.9}


def test_the_default_training_data_is_dev_and_the_silver_dialogues_once_each_and_none_of_test(craigslist):
    dialogues = craigslist_training_dialogues()
    uuids = [d.uuid for d in dialogues]
    dev = load_dialogues(craigslist / "dev.json")
    assert len(dialogues) > len(dev) and uuids[:len(dev)] == [d.uuid for d in dev]
    assert len(set(uuids)) == len(uuids)  # luis-acts.json repeats 50 of dev.json's dialogues: read once
    held_out, texts = held_out_dialogues()
    assert held_out and not set(uuids) & held_out and texts


def test_a_misspelt_builtin_is_named():
    for typo in ("builtn", "Builtin", "bulitin"):
        with pytest.raises(CorpusError, match=f"{typo}: no such file; did you mean builtin"):
            load_scenarios(typo)


def test_listings_without_one_price_say_so(tmp_path):
    path = tmp_path / "listings.json"
    path.write_text('[{"title": "a", "price": "abc"}, {"title": "b", "price": -10}, {"title": "c", "price": 1e300}]')
    with pytest.raises(CorpusError, match=rf"{path}: none of its 3 listings has a price from \$0.01 to 1e\+12"):
        load_scenarios(path)
    path.write_text('[{"title": "no price yet"}, {"title": "b", "price": 10}]')  # a listings file all the same
    assert [s.item.title for s in load_scenarios(path)] == ["b"]


@pytest.mark.parametrize("change, message", [
    (lambda s: s["kbs"][0]["personal"].update(Bottomline=400), "the seller's Target 380 is below its walk-away "
                                                               "price 400 .its Bottomline."),
    (lambda s: s["kbs"][1]["personal"].update(Target=390), "the buyer's Target 390 is above its walk-away price 380 "
                                                          ".the default where Bottomline is null"),
    (lambda s: s["kbs"][1]["item"].update(Price=100), "the buyer's item.Price .100. and the seller's .380. differ"),
])
def test_a_scenario_that_contradicts_itself_is_refused(tmp_path, change, message):
    """Targets on the wrong side of the walk-away price flip the utility's sign; two listing prices make two items."""
    scenario = json.loads((Path(__file__).parents[1] / "data" / "scenarios.json").read_text())[0]
    kbs = {kb["personal"]["Role"]: kb for kb in scenario["kbs"]}
    scenario["kbs"] = [kbs["seller"], kbs["buyer"]]
    change(scenario)
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps([scenario]))
    with pytest.raises(CorpusError, match=f"scenarios.json: scenario 0: {message}"):
        load_scenarios(path)


def test_scenarios_of_a_dialogue_file(craigslist):
    assert len(load_scenarios(craigslist / "test.json")) == 656


@pytest.mark.parametrize("content, message", [
    ("not json", "not valid JSON"),
    ('{"a": 1}', "expected CraigslistBargain dialogues .*got an object with keys a$"),
    ("{}", "got an empty object"),
    ("", "bad.json: empty$"),
    ("\n \n", "bad.json: empty$"),
    ('{"events": []}', "dialogue 0: not a CraigslistBargain dialogue .missing key 'scenario'"),
    ("[1, 2]", "expected an object"),
    ('"text"', "expected a list of dialogues"),
    ('[{"scenario": {"kbs": []}, "events": []}]', "one buyer and one seller"),
])
def test_malformed_files_name_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CorpusError, match=message) as e:
        load_dialogues(path)
    assert str(path) in str(e.value)


def test_missing_file():
    with pytest.raises(CorpusError, match="no such file"):
        load_dialogues("nowhere.json")


def test_json_lines(tmp_path):
    s = load_scenarios("builtin")[0]
    line = json.dumps(Dialogue("u1", s, []).to_dict())
    path = tmp_path / "d.jsonl"
    path.write_text(line + "\n" + line + "\n")
    assert [x.uuid for x in load_dialogues(path)] == ["u1", "u1"]
