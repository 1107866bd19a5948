"""Malformed dialogue files end with one line that names the file and what is wrong, never a traceback."""
import json
import os
from pathlib import Path

import pytest

from dialogue.cli import main
from dialogue.corpus import CorpusError, load_dialogues
from dialogue.parser_eval import evaluate_parser
from dialogue.scenarios import load_scenarios, pick_scenario
from tests.conftest import ROOT


def kb(role: str, target: float) -> dict:
    return {"personal": {"Bottomline": None, "Role": role, "Target": target},
            "item": {"Category": "bike", "Price": 200, "Description": ["Good bike."], "Title": "A bike"}}


def dialogue() -> dict:
    return {"uuid": "C_1", "scenario": {"uuid": "S_1", "kbs": [kb("buyer", 150), kb("seller", 200)]},
            "agents": {"0": "human", "1": "human"}, "outcome": {"reward": 1, "offer": {"price": 180.0, "sides": ""}},
            "events": [{"action": "message", "agent": 0, "data": "would you take 180?", "time": "1"},
                       {"action": "offer", "agent": 1, "data": {"price": 180.0, "sides": ""}, "time": "2"},
                       {"action": "accept", "agent": 0, "data": None, "time": "3"}]}


def write(tmp_path: Path, keys: tuple, value) -> Path:
    """A one-dialogue file with the field at `keys` set to `value`."""
    d = dialogue()
    target = d
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([d]))
    return path


CASES = [
    (("scenario", "kbs", 1, "item", "Price"), -1, "scenario.kbs[1].item.Price must be above 0, not -1"),
    (("scenario", "kbs", 1, "item", "Description"), ["ok", 3], "scenario.kbs[1].item.Description[1] must be a "
                                                               "string, not 3"),
    (("events",), {"a": 1}, "events must be a list or null, not a dict"),
    (("events",), "hello", "events must be a list or null, not 'hello'"),
    (("events", 0), [1], "events[0] must be a dict, not a list"),
    (("events", 0, "agent"), 5, "events[0].agent must be 0 or 1, not 5"),
    (("events", 0, "data"), 7, "events[0].data must be a string, not 7"),
    (("events", 1, "data"), "abc", "events[1].data must be a dict or null, not 'abc'"),
    (("events", 1, "data", "price"), "abc", "events[1].data.price must be a number or null, not 'abc'"),
    (("events", 0, "metadata"), [1], "events[0].metadata must be a dict or null, not a list"),
    (("events", 0, "metadata"), "counter", "events[0].metadata must be a dict or null, not 'counter'"),
    (("events", 0, "metadata"), {"intent": "counter", "price": "abc"},
     "events[0].metadata.price must be a number or null, not 'abc'"),
    (("outcome",), "deal", "outcome must be a dict or null, not 'deal'"),
    (("outcome",), [1], "outcome must be a dict or null, not a list"),
    (("outcome", "offer", "price"), "abc", "outcome.offer.price must be a number or null, not 'abc'"),
    (("agents",), [1], "agents must be a dict or null, not a list"),
    (("scenario",), [1], "scenario must be a dict, not a list"),
    (("scenario", "kbs"), {"a": 1}, "scenario.kbs must be a list, not a dict"),
    (("scenario", "kbs", 0, "personal"), "x", "scenario.kbs[0].personal must be a dict, not 'x'"),
    (("scenario", "kbs", 0, "personal", "Role"), [1], "scenario.kbs[0].personal.Role must be a string, not a list"),
    (("scenario", "kbs", 0, "personal", "Target"), "abc",
     "scenario.kbs[0].personal.Target must be a number, not 'abc'"),
    (("scenario", "kbs", 0, "item"), [1], "scenario.kbs[0].item must be a dict, not a list"),
    (("scenario", "kbs", 0, "item", "Price"), "abc", "scenario.kbs[0].item.Price must be a number, not 'abc'"),
    (("scenario", "kbs", 1, "item", "Price"), None, "scenario.kbs[1].item.Price must be a number, not null"),
    (("scenario", "kbs", 0, "item", "Description"), 5,
     "scenario.kbs[0].item.Description must be a string or a list or null, not 5"),
    (("scenario", "kbs", 1, "item", "Price"), 1e308, "scenario.kbs[1].item.Price must be at most 1e+12 in size, "
                                                     "not 1e+308"),
    (("scenario", "kbs", 1, "item", "Price"), 10 ** 400, "scenario.kbs[1].item.Price must be at most 1e+12 in size, "
                                                         "not an integer over 1e30"),
    (("scenario", "kbs", 0, "personal", "Target"), 0, "scenario.kbs[0].personal.Target must be above 0, not 0"),
    (("scenario", "kbs", 0, "personal", "Bottomline"), -1,
     "scenario.kbs[0].personal.Bottomline must be above 0, not -1"),
    (("events", 1, "data", "price"), -1e20, "events[1].data.price must be at most 1e+12 in size, not -1e+20"),
    (("events", 0, "data"), "hi \ud800", "events[0].data holds a lone surrogate (\\ud800 to \\udfff)"),
    (("uuid",), ["C_1"], "uuid must be a string or null, not a list"),
    (("scenario", "uuid"), 7, "scenario.uuid must be a string or null, not 7"),
]


@pytest.mark.parametrize("keys, value, message", CASES, ids=[c[2].split(" must")[0] for c in CASES])
def test_a_field_of_the_wrong_type_is_named(tmp_path, keys, value, message):
    path = write(tmp_path, keys, value)
    with pytest.raises(CorpusError) as e:
        load_dialogues(path)
    assert str(e.value) == f"{path}: dialogue 0: {message}"


@pytest.mark.parametrize("command", [["parse"], ["eval-parser"]])
def test_the_command_ends_with_one_line(tmp_path, command):
    path = write(tmp_path, ("events", 0, "metadata"), [1])
    with pytest.raises(SystemExit) as e:
        main([*command, str(path)])
    assert e.value.code == f"haggler: {path}: dialogue 0: events[0].metadata must be a dict or null, not a list"


def test_an_event_without_an_action_says_so(tmp_path):
    dialogue = json.loads(write(tmp_path, ("events", 0, "agent"), 0).read_text())
    del dialogue[0]["events"][0]["action"]
    path = tmp_path / "noaction.json"
    path.write_text(json.dumps(dialogue))
    with pytest.raises(CorpusError, match=r"dialogue 0: events\[0\]: missing key 'action'"):  # "unknown action None"
        load_dialogues(path)


def test_a_scenario_with_a_bad_price_fails_when_picked(tmp_path):
    path = write(tmp_path, ("scenario", "kbs", 0, "item", "Price"), "abc")
    with pytest.raises(CorpusError, match=r"dialogue 0: scenario\.kbs\[0\]\.item\.Price must be a number"):
        pick_scenario(f"{path}:0")


def test_an_unknown_gold_intent_names_the_file_and_dialogue(tmp_path):
    path = write(tmp_path, ("events", 0, "metadata"), {"intent": "zzz", "price": None})
    with pytest.raises(CorpusError) as e:
        evaluate_parser(path)
    assert str(e.value).startswith(f"{path}: dialogue 0: unknown intent label 'zzz'")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("kind, message", [("dir", "is a directory"), ("fifo", "not a regular file"),
                                           ("devnull", "not a regular file")])
def test_a_path_that_is_not_a_file_says_what_it_is(tmp_path, kind, message):
    path = tmp_path / "input.json"
    if kind == "dir":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path = Path(os.devnull)
    with pytest.raises(CorpusError) as e:
        load_dialogues(path)
    assert str(e.value) == f"{path}: {message}"


def test_an_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, ("uuid",), "C_1")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)  # root reads a chmod 000 file, so the error is simulated
    with pytest.raises(CorpusError) as e:
        load_dialogues(path)
    assert str(e.value) == f"{path}: cannot read: permission denied"


def test_a_number_too_long_to_read(tmp_path):
    for name in ("long.json", "long.jsonl"):
        path = tmp_path / name
        path.write_text('[{"uuid": ' + "9" * 5000 + "}]")
        with pytest.raises(CorpusError, match=r"not valid JSON here \(a number of over \d+ digits\)"):
            load_dialogues(path)


@pytest.mark.parametrize("name, message", [
    ("bad.json", "{path}: not valid JSON (Unterminated string starting at line 1 column 11)"),
    ("bad.jsonl", "{path}:1: not valid JSON (Unterminated string starting at column 11)"),
])
def test_truncated_json_says_where(tmp_path, name, message):
    path = tmp_path / name
    path.write_text('[{"uuid": "C_1')
    with pytest.raises(CorpusError) as e:
        load_dialogues(path)
    assert str(e.value) == message.format(path=path)


def test_json_lines_in_a_file_named_json_are_read_as_json_lines(tmp_path):
    dialogues = json.loads((ROOT / "data" / "sample-dialogues.json").read_text())[:2]
    path = tmp_path / "dialogues.json"
    path.write_text("\n".join(json.dumps(d) for d in dialogues) + "\n")
    assert [d.uuid for d in load_dialogues(path)] == [d["uuid"] for d in dialogues]
    path.write_text(json.dumps(dialogues[0]) + "\n{oops\n")
    with pytest.raises(CorpusError, match=f"{path}:2: not valid JSON"):
        load_dialogues(path)
    path.write_text(json.dumps(dialogues[0], indent=1) + json.dumps(dialogues[1], indent=1))  # not JSON Lines
    with pytest.raises(CorpusError, match=f"{path}: not valid JSON .Extra data at line"):
        load_dialogues(path)


def test_a_listing_without_a_title_is_still_a_listing(tmp_path):
    path = tmp_path / "listings.json"
    path.write_text(json.dumps([{"price": 100, "description": "A red bike"}, {"title": "Lamp", "price": 20}]))
    assert [s.listing_price for s in load_scenarios(path)] == [100, 20]


@pytest.mark.parametrize("name, content, message", [
    ("listings.json", json.dumps([{"title": "x", "price": 100, "description": 5}]),
     "listing 0: description must be a string or a list of strings"),
    ("listings.json", json.dumps([{"title": "x", "price": 100}, 7]), "listing 1 must be an object, not int"),
    ("listings.json", json.dumps([{"title": ["x"], "price": 100}]), "listing 0: title and category must be strings"),
    ("scenarios.csv", b"\xff\xfe list_price", "not UTF-8 text; not a scenarios CSV"),
    ("scenarios.csv", b'title,list_price\n"' + b"x" * 200_000 + b'",100\n',
     "not a scenarios CSV (field larger than field limit (131072))"),
])
def test_a_bad_listings_file_names_the_listing(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(CorpusError) as e:
        pick_scenario(f"{path}:0")
    assert str(e.value) == f"{path}: {message}"


def test_a_file_that_is_not_utf8_is_refused_not_changed(tmp_path):
    path = tmp_path / "dialogues.json"
    text = json.dumps([{"uuid": "C_1", "scenario": {}, "events": []}], indent=1)
    path.write_bytes(text.encode().replace(b"C_1", b"C_\xff1"))
    with pytest.raises(CorpusError) as e:
        load_dialogues(path)
    assert str(e.value) == f"{path}: not UTF-8 text (invalid start byte at line 3)"
