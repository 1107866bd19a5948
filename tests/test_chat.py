"""`haggler chat` as a person uses it: the real REPL in a pseudo-terminal (pexpect), the demo, delegate mode."""
import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pexpect
import pytest

from dialogue.agents import Generators, make_agent, parse_spec
from dialogue.chat import ChatConfig, ChatError, run_chat
from dialogue.chat_view import candidate_rows, explain
from dialogue.corpus import load_dialogues
from dialogue.delegate import DelegateSide
from dialogue.text_session import Move
from dialogue.scenarios import pick_scenario
from parser.acts import Act, Intent
from tests.conftest import ROOT

PROMPT = b"you> "


def spawn(tmp_path: Path, *args: str) -> tuple[pexpect.spawn, Path]:
    transcript = tmp_path / "chat.json"
    env = {**os.environ, "HAGGLER_CACHE": str(tmp_path / "cache"), "TERM": "dumb"}
    child = pexpect.spawn(sys.executable, ["-m", "dialogue.cli", "chat", "--agent", "rule+template",
                                           "--transcript", str(transcript), *args],
                          cwd=str(ROOT), env=env, timeout=15)
    return child, transcript


def saved(path: Path) -> dict:
    dialogues = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(dialogues, list) and len(dialogues) == 1
    return dialogues[0]


def test_bargain_to_a_deal_through_junk_and_interruptions(tmp_path):
    child, transcript = spawn(tmp_path, "--scenario", "builtin:0", "--seed", "3")
    child.expect(rb"Private target: \$190")
    child.expect(rb"seller \(rule\+template\): ")  # the agent's opening
    child.expect(PROMPT)
    assert saved(transcript)["events"], "the transcript is written as the dialogue goes"
    assert saved(transcript)["ended"] == "in progress"  # not a finished dialogue without a deal
    child.sendline(b"")  # an empty line sends nothing
    child.expect(PROMPT)
    child.sendline(b"\xff\xfe\x80 junk \xc3\x28 bytes \x1b[31m red \x07")  # binary junk: read as a message
    child.expect(PROMPT)
    child.sendline(b"x" * 3000)  # a huge line
    child.expect(rb"only its first 1000 characters")
    child.expect(PROMPT)
    child.send(b"half a line")
    child.expect(rb"half a line")  # typed (echoed) first: a ^C in the same write as the text races readline
    child.sendintr()  # Ctrl-C drops the line, the chat goes on
    child.expect(rb"line dropped")
    child.expect(PROMPT)
    child.sendline(b"/why")
    child.expect(rb"chose \(rule\+template\)")
    child.expect(PROMPT)
    child.sendline(b"/accept")
    child.expect(rb"no offer to accept")
    child.expect(PROMPT)
    child.sendline(b"Hi! Would you take $300 for the bike?")
    child.expect(PROMPT)
    child.sendline(b"/offer 380")  # the listing price: the rule seller takes it
    child.expect(rb"Outcome: deal at \$380")
    child.expect(rb"you \(buyer\): utility")
    child.expect(rb"agent rule\+template \(seller\): utility")
    child.expect(rb"transcript: ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    d = saved(transcript)
    assert d["outcome"]["reward"] == 1 and d["outcome"]["offer"]["price"] == 380 and d["ended"] == "deal"
    assert d["agents"][str(d["events"][0]["agent"])] == "rule+template"
    human = [e for e in d["events"] if d["agents"][str(e["agent"])] == "human"]
    texts = [e["data"] for e in human if e["action"] == "message"]
    assert "Hi! Would you take $300 for the bike?" in texts
    assert any("junk" in t for t in texts) and max(map(len, texts)) <= 1000
    assert all(e["metadata"]["intent"] for e in human if e["action"] == "message")
    agent = [e for e in d["events"] if e not in human]
    assert all("policy" in e["metadata"]["audit"] for e in agent)
    assert [e["action"] for e in d["events"][-2:]] == ["offer", "accept"]


def test_walk_away_with_quit_and_with_ctrl_d(tmp_path):
    child, transcript = spawn(tmp_path, "--role", "seller", "--scenario", "builtin:3")
    child.expect(rb"You are the seller")
    child.expect(PROMPT)
    child.sendline(b"I am asking $450, it is solid oak.")
    child.expect(PROMPT)
    child.sendline(b"/quit")
    child.expect(rb"Outcome: no deal, a walk-away")
    child.expect(pexpect.EOF)
    assert saved(transcript)["events"][-1]["action"] == "quit" and saved(transcript)["ended"] == "walk-away"
    assert saved(transcript)["outcome"]["reward"] == 0
    assert "I am asking $450, it is solid oak." in (tmp_path / "cache" / "chat_history").read_text()  # to recall

    (tmp_path / "again").mkdir()
    child, transcript = spawn(tmp_path / "again")  # a transcript never replaces a file: a new one
    child.expect(PROMPT)
    child.sendeof()
    child.expect(rb"end of input\)")
    child.expect(rb"you walk away")
    child.expect(rb"Outcome: no deal")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and saved(transcript)["events"][-1]["action"] == "quit"


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_a_terminal_closed_or_a_kill_ends_the_dialogue_and_keeps_it(tmp_path, signal_name):
    import signal

    child, transcript = spawn(tmp_path)
    child.expect(PROMPT)
    child.sendline(b"hello there, is it still for sale?")
    child.expect(PROMPT)
    child.kill(getattr(signal, signal_name))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 128 + getattr(signal, signal_name)  # as the shell tells a death by the signal
    d = saved(transcript)
    assert d["ended"] == "stopped" and "hello there, is it still for sale?" in [e["data"] for e in d["events"]]
    assert d["stopped_by"] == signal_name


@pytest.mark.parametrize("first, then", [("SIGTERM", "SIGHUP"), ("SIGHUP", "SIGTERM"), ("SIGTERM", "SIGTERM")])
def test_a_second_signal_right_after_the_first_breaks_off_no_saving(tmp_path, first, then):
    import signal

    child, transcript = spawn(tmp_path)
    child.expect(PROMPT)
    child.kill(getattr(signal, first))
    child.kill(getattr(signal, then))  # it once raised in the ending (a traceback) or killed the final save
    child.expect(pexpect.EOF)
    child.close()
    d = saved(transcript)  # both arrive before either is handled, and SIGHUP is handled first
    assert d["ended"] == "stopped" and d["stopped_by"] in (first, then)
    assert child.exitstatus == 128 + signal.Signals[d["stopped_by"]] and b"Traceback" not in child.before


def test_a_hang_up_ends_the_talk_once_and_later_signals_are_ignored():
    import signal

    from dialogue.chat import HANGUPS, Hangup, HangupHandler, handling

    hang_up = HangupHandler()
    asking = hang_up.ask(lambda prompt: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C at the prompt, no hang-up: the line is dropped
        asking("you> ")
    with handling(hang_up, *HANGUPS):
        with pytest.raises(Hangup, match="SIGTERM"):
            os.kill(os.getpid(), signal.SIGTERM)
        assert signal.getsignal(signal.SIGHUP) is signal.default_int_handler  # a C function: safe within input()
        with pytest.raises(Hangup, match="SIGTERM"):  # the interrupt a second signal raises is the hang-up
            asking("you> ")
        hang_up.end()
        os.kill(os.getpid(), signal.SIGHUP)  # ignored: the transcript is being saved
        assert hang_up.signum == signal.SIGTERM and signal.getsignal(signal.SIGHUP) is hang_up
    assert signal.getsignal(signal.SIGTERM) is not hang_up


def test_a_listing_s_escape_sequences_do_not_reach_the_terminal(tmp_path):
    from dialogue.chat_view import describe_scenario, line_of
    from dialogue.corpus import Event
    from dialogue.scenarios import load_scenarios

    path = tmp_path / "listings.json"
    path.write_text(json.dumps([{"title": "Bike\x1b[2J\x1b]0;pwned\x07", "category": "bike\x00", "price": 100,
                                 "description": ["\x1b[1;31mRed\x1b[0m and fast", "\x1b[2J"]}]))
    banner = describe_scenario(load_scenarios(path)[0], "buyer")
    assert banner.splitlines()[:2] == ["Listing: Bike (bike), listed at $100", "  Red and fast"]
    assert "\x1b" not in banner and "\x00" not in banner and "pwned" not in banner
    said = Event("message", 1, "The Bike\x1b[2J is yours")  # a model echoing the title
    assert line_of(said, "seller", "rule", show_act=False) == "seller (rule): The Bike is yours"


def test_escape_sequences_and_odd_prices_are_not_words(tmp_path):
    from dialogue.chat import read_amount
    from dialogue.chat_view import clean

    assert clean("\x1b[200~pasted text\x1b[201~") == "pasted text"  # bracketed paste: no price 201
    assert clean("\x1b]0;250\x07hi \x1b[31mred\x1b[0m \x1bOA") == "hi red"
    assert clean("\u200b\u200b\u202e ") == "" and clean("ok\u200b\u202edeal\u202c") == "okdeal"  # invisible marks
    assert clean("\U0001F468\u200d\U0001F469 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == \
        "\U0001F468\u200d\U0001F469 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # joiners kept
    assert [read_amount(t) for t in ("$1,200", "0.01", "1e-300", "0.009", "1_0", "abc", "379.999")] == [
        1200, 0.01, None, None, None, None, 379.999]  # /offer then offers $380, and says so
    assert [read_amount(t) for t in ("1.2k", "120 dollars", "$2 grand", "1e9", "nan", "9" * 400)] == [
        1200, 120, 2000, None, None, None]  # as a message may write it
    assert [read_amount(t) for t in ("twelve hundred", "120 or 130", "120.")] == [1200, None, 120]  # as parsed
    assert [read_amount(t) for t in (".5", "$.50", ".")] == [0.5, 0.5, None]


@pytest.mark.parametrize("turn_limit, warning", [(16, "(the last turn: "), (15, "(your last message: ")])
def test_the_person_hears_how_to_make_a_deal_the_agent_agreed_to_and_when_the_talk_ends(tmp_path, turn_limit,
                                                                                        warning):
    """The agent opens, so the person's last turn is the talk's last (an even limit) or the one before it."""
    lines = iter(["would you take 250?", "how about 280", "ok 300 then", "320 final", "ok deal at 330", "/accept",
                  *["hmm"] * 10])
    out: list[str] = []
    config = ChatConfig(agent="rule+template", turn_limit=turn_limit, transcript=tmp_path / "c.json")
    d = run_chat(config, ask=lambda prompt: next(lines), say=out.append)
    assert f"{turn_limit} turns at most" in "\n".join(out)
    agreed = next(i for i, line in enumerate(out) if "Deal!" in line)
    assert "agreed to $330 in words" in out[agreed + 1] and "/offer 330 makes it" in out[agreed + 1]
    assert [line for line in out if line.startswith(("(the last turn: ", "(your last message: "))] == [
        next(line for line in out if line.startswith(warning))]
    assert d.extra["ended"] == "turn limit"
    if len(d.events) > turn_limit:  # the agent's offer on the last turn, answered past it
        assert d.events[turn_limit - 1].action == "offer" and len(d.events) == turn_limit + 1
        assert any(line.startswith("(past the turn limit: /accept the agent's offer") for line in out)


def test_accept_after_a_price_in_words_says_how_to_take_it_and_an_offer_is_in_cents(tmp_path):
    """The model's "$369 and you have a deal" is a counter, not a formal offer: /accept says how to take the price.
    An offer typed in fractions of a cent is made in cents, and said so."""
    lines = iter(["hi", "/accept", "/offer 99.999", "/quit"])
    out: list[str] = []
    d = run_chat(ChatConfig(agent="rule+template", transcript=tmp_path / "c.json"), ask=lambda prompt: next(lines),
                 say=out.append)
    assert any("the agent named $380 in words, not in a formal offer; /offer 380 offers it" in line for line in out)
    assert "(offered $100: a price is in whole cents)" in out and d.events[3].offer_price == 100


def test_a_long_message_is_cut_and_said_so_but_spaces_do_not_make_one_long():
    from dialogue.chat import MAX_CHARS, PersonSide

    out: list[str] = []
    side = PersonSide("buyer", pick_scenario("builtin:0"), lambda prompt: "", out.append, lambda: "")
    assert side.message("hi" + " " * 1500 + "250").text == "hi 250" and out == []  # type: ignore[union-attr]
    assert len(side.message("a" * 5000).text) == MAX_CHARS and "a long message" in out[0]  # type: ignore[union-attr,arg-type]


def test_past_the_turn_limit_an_offer_is_refused_and_the_agents_can_be_accepted(tmp_path):
    lines = iter(["hi", "/offer 300", "/accept"])
    out: list[str] = []
    config = ChatConfig(agent="conceder+template", turn_limit=3, transcript=tmp_path / "c.json")
    d = run_chat(config, ask=lambda prompt: next(lines), say=out.append)
    assert any(line.startswith("(past the turn limit no offer can be answered") for line in out)
    assert d.extra["ended"] == "deal" and [e.action for e in d.events][-2:] == ["offer", "accept"]


def test_a_transcript_named_jsonl_is_json_lines_as_haggler_reads_it(tmp_path):
    lines = iter(["hi", "/offer 300", "/quit"])
    config = ChatConfig(agent="conceder+template", transcript=tmp_path / "c.jsonl")
    said = run_chat(config, ask=lambda prompt: next(lines), say=lambda line: None)
    text = (tmp_path / "c.jsonl").read_text()
    assert text.count("\n") == 1 and json.loads(text)["uuid"] == said.uuid
    assert [d.uuid for d in load_dialogues(tmp_path / "c.jsonl")] == [said.uuid]


def test_a_transcript_never_replaces_a_file_and_against_needs_a_second_agent(tmp_path):
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    (tmp_path / "link.json").symlink_to(tmp_path / "nowhere" / "x.json")
    for argv, message in [(["--transcript", str(existing)], "the file exists"),
                          (["--transcript", str(tmp_path / "link.json")], "link.json: a link to no file"),
                          (["--against", "rule"], "--against goes with --demo or --delegate")]:
        run = subprocess.run([sys.executable, "-m", "dialogue.cli", "chat", "--generator", "template", *argv],
                             cwd=ROOT, capture_output=True, text=True, timeout=60, input="hi\n")
        assert run.returncode == 1 and message in run.stderr and "Traceback" not in run.stderr
    assert existing.read_text() == "mine"


def test_a_transcript_is_claimed_when_the_talk_starts_and_dev_null_is_written_to(tmp_path, monkeypatch):
    """Two chats started at once with one --transcript: the one that starts the talk second stops before it writes
    over the first one's file. Where no file is wanted, /dev/null takes it."""
    import dialogue.chat as chat

    path = tmp_path / "c.json"
    checked = chat.transcript_path

    def another_chat_starts_meanwhile(config: ChatConfig) -> Path:
        checked_path = checked(config)
        checked_path.write_text("the other chat's")
        return checked_path

    monkeypatch.setattr(chat, "transcript_path", another_chat_starts_meanwhile)
    with pytest.raises(ChatError, match="the file exists"):
        run_chat(ChatConfig(agent="rule+template", demo=True, against="rule+template", transcript=path),
                 say=lambda line: None)
    assert path.read_text() == "the other chat's"
    monkeypatch.undo()
    d = run_chat(ChatConfig(agent="rule+template", demo=True, against="rule+template", transcript=Path("/dev/null")),
                 say=lambda line: None)
    assert d.events and Path("/dev/null").exists() and not Path("/dev/null").is_file()


def test_a_closed_output_or_one_that_cannot_write_a_character_ends_no_chat(tmp_path):
    """An output closed (`>&-`) made input() stop at the first prompt with a traceback, and an ASCII output one that
    could not write the listing's emoji: the chat goes on in both, to the end of its input, its transcript kept."""
    scenario = tmp_path / "s.json"
    bike = pick_scenario("builtin:0").to_dict()
    for kb in bike["kbs"]:
        kb["item"]["Title"] = "Bike \U0001f4b0"
    scenario.write_text(json.dumps([{"scenario": bike, "events": []}]))
    chat = [sys.executable, "-m", "dialogue.cli", "chat", "--agent", "rule+template", "--scenario", f"{scenario}:0"]
    closed = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *chat, "--transcript", str(tmp_path / "c0.json")],
                            cwd=ROOT, capture_output=False, stderr=subprocess.PIPE, timeout=60, input=b"hi\n$100\n")
    ascii_out = subprocess.run([*chat, "--transcript", str(tmp_path / "c1.json")], cwd=ROOT, capture_output=True,
                               timeout=60, input=b"hi\n$100\n", env={**os.environ, "PYTHONIOENCODING": "ascii"})
    for n, run in enumerate((closed, ascii_out)):
        assert run.returncode == 0, run.stderr.decode()
        assert [e["data"] for e in saved(tmp_path / f"c{n}.json")["events"]][1:4:2] == ["hi", "$100"]
    assert "Bike ?" in ascii_out.stdout.decode()
    piped = subprocess.run([*chat, "--transcript", "/dev/stdout"], cwd=ROOT, capture_output=True, timeout=60,
                           input=b"hi\n/quit\n")  # /dev/stdout leads to a pipe that has no path of its own
    assert piped.returncode == 0 and b'"events"' in piped.stdout, piped.stderr.decode()


@pytest.mark.parametrize("closes", ["before the talk", "during the talk"])
def test_a_chat_whose_output_closes_exits_as_one_killed_by_sigpipe(tmp_path, closes):
    """`haggler chat ... | head`: the exit status says so (141), and where the talk had begun, the transcript too
    (stopped_by SIGPIPE). The output closes before the first line, or after the banner (the talk begins there)."""
    chat = subprocess.Popen([sys.executable, "-m", "dialogue.cli", "chat", "--agent", "rule+template", "--transcript",
                             str(tmp_path / "c.json")], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if closes == "during the talk":
        while not chat.stdout.readline().startswith("transcript: "):  # type: ignore[union-attr]
            pass
    chat.stdout.close()  # type: ignore[union-attr]
    _, errors = chat.communicate("hi\n/offer 300\n", timeout=60)
    assert (chat.returncode, errors) == (141, "")
    if closes == "during the talk":
        assert saved(tmp_path / "c.json")["stopped_by"] == "SIGPIPE"
    else:
        assert not (tmp_path / "c.json").exists()


def test_delegate_reads_undecodable_bytes_where_stdin_is_strict(tmp_path):
    run = subprocess.run([sys.executable, "-m", "dialogue.cli", "chat", "--delegate", "--agent", "rule+template",
                          "--against", "rule+template", "--transcript", str(tmp_path / "d.json")],
                         cwd=ROOT, capture_output=True, timeout=60, input=b"\xff\xfe\ny\n" * 20,
                         env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert run.returncode == 0, run.stderr.decode()
    assert saved(tmp_path / "d.json")["ended"] in ("deal", "walk-away", "turn limit")


def test_the_demo_plays_two_agents_and_prints_the_dialogue(tmp_path):
    run = subprocess.run([sys.executable, "-m", "dialogue.cli", "chat", "--demo", "--agent", "rule",
                          "--against", "liar", "--generator", "template", "--scenario", "builtin:1",
                          "--transcript", str(tmp_path / "demo.json")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    assert "Listing: 2011 Honda Civic" in run.stdout and "Outcome:" in run.stdout
    assert run.stdout.count("seller (rule): ") >= 2 and "buyer (liar): " in run.stdout
    assert saved(tmp_path / "demo.json")["agents"] == {"0": "liar", "1": "rule"}


def test_approvals_typed_in_delegate_mode_are_kept_out_of_the_chat_history(tmp_path):
    child, transcript = spawn(tmp_path, "--delegate", "--agent", "boulware+template", "--against", "rule+template",
                              "--target", "8000", "--walk-away", "9500")
    approvals = 0
    while child.expect([rb"Approve\? \[y/N\] ", pexpect.EOF]) == 0:
        child.sendline(b"y")
        approvals += 1
    child.close()
    assert child.exitstatus == 0 and approvals >= 1 and saved(transcript)["ended"] == "deal"
    assert not (tmp_path / "cache" / "chat_history").exists()


def test_delegate_asks_before_a_deal_and_a_refusal_sends_the_agent_back(tmp_path):
    answers, asked, out = iter(["n", "y", "y", "y", "y"]), [], []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    config = ChatConfig(agent="boulware+template", delegate=True, against="rule+template", target=8000,
                        walk_away=9500, transcript=tmp_path / "d.json")
    d = run_chat(config, ask=ask, say=out.append)
    assert "Tacoma" in out[0] and "buyer" in out[0]  # the listing nearest the walk-away price
    assert asked and all("Approve?" in q for q in asked)
    overrides = [e.metadata["audit"]["override"] for e in d.events if "override" in (e.metadata or {}).get("audit", {})]
    assert overrides[0].startswith("the person refused: ")  # the one refusal, and after it no agreement at that price
    assert all(o.startswith("the person refused a deal at ") for o in overrides[1:])
    assert d.outcome.reward == 1 and d.outcome.price <= 9500
    assert any(e.metadata.get("audit", {}).get("approved") for e in d.events if e.metadata)


@pytest.mark.parametrize("answers, approved, said", [
    (["yes please", "maybe", "Y"], True, ["(answer again)", "(answer again)"]),
    (["ok", "", "y"], False, ["(answer again)", "(not approved)"]),
    ([" No "], False, ["(not approved)"]),
    (["whatever", "/quit"], None, ["(answer again)", "(you quit: your agent walks away)"]),
])
def test_an_approval_is_asked_until_the_person_answers_yes_or_no(answers, approved, said):
    """'yes please' was taken for no, without a word; /quit too."""
    from dialogue.delegate import ask_approval

    left, asked, out = iter(answers), [], []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(left)

    approve = ask_approval(ask, out.append, auto=False)
    if approved is None:
        with pytest.raises(EOFError):
            approve("your agent wants to accept the offer of $90")
    else:
        assert approve("your agent wants to accept the offer of $90") is approved
    assert asked[0] == "your agent wants to accept the offer of $90. Approve? [y/N] "
    assert all(q == "Approve the deal? Answer y or n (or /quit to walk away): " for q in asked[1:])
    assert ["(answer again)"] * (len(asked) - 1) + out == said


@pytest.mark.parametrize("seller_offers, override", [(True, Act(Intent.REJECT)), (False, Act(Intent.COUNTER_NOPRICE))])
def test_a_refused_deal_is_what_the_negotiator_remembers_saying(seller_offers, override):
    """The person's refusal is what their agent said: its negotiator's view of the talk holds the refusal, not the
    acceptance or the formal offer it wanted to make (else it bargains on as if it had)."""
    scenario = pick_scenario("builtin:0")
    asked: list[str] = []
    agent = make_agent(parse_spec("rule+template"), "buyer", scenario, Generators(0), "0:chat",
                       side=partial(DelegateSide, approve=lambda question: bool(asked.append(question))))
    target = agent.negotiator.principal.target
    if seller_offers:  # the buyer's target, offered: the agent wants to accept
        agent.read(f"I can do ${target:.0f}")
        agent.saw(Act(Intent.OFFER, target))
    else:  # the seller agrees to the buyer's target: the agent wants to make it a formal offer
        agent.wrote(f"How about ${target:.0f}?")
        agent.negotiator.commit(Act(Intent.PROPOSE, target))
        agent.read(f"deal at ${target:.0f}")
    move = agent.move()
    assert len(asked) == 1 and move.act == override and "the person refused" in move.audit["override"]
    assert agent.negotiator.state.history[-1] == (True, override)


def test_after_the_person_refuses_a_deal_their_agent_agrees_to_it_in_words_neither():
    """A refused acceptance of $P sends the agent back to the table: it may not then say "Deal at $P" (or agree to
    anything as bad for the person); a better price it still may."""
    scenario = pick_scenario("builtin:0")
    agent = make_agent(parse_spec("rule+template"), "buyer", scenario, Generators(0), "0:chat",
                       side=partial(DelegateSide, approve=lambda question: False))
    target = agent.negotiator.principal.target
    agent.read(f"I can do ${target:.0f}")
    agent.saw(Act(Intent.OFFER, target))
    assert agent.move().act == Act(Intent.REJECT) and agent.refused == target
    for price, said in ((target, Act(Intent.COUNTER_NOPRICE)), (target + 5, Act(Intent.COUNTER_NOPRICE)),
                        (target - 5, Act(Intent.AGREE, target - 5))):
        move = agent.vetted(Move(Act(Intent.AGREE, price), {}))
        assert move.act == said
        assert ("the person refused a deal at" in move.audit.get("override", "")) == (said.intent is not Intent.AGREE)


def test_delegate_walks_away_at_the_end_of_input(tmp_path):
    def ask(prompt: str) -> str:
        raise EOFError

    out: list[str] = []
    config = ChatConfig(agent="boulware+template", delegate=True, against="rule+template", target=8000,
                        walk_away=9500, transcript=tmp_path / "d.json")
    d = run_chat(config, ask=ask, say=out.append)
    assert d.events[-1].action == "quit" and d.outcome.reward == 0
    assert "(end of input: your agent walks away)" in "".join(out)
    assert saved(tmp_path / "d.json")["ended"] == "walk-away"


def test_delegate_auto_approve_from_the_command_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "dialogue.cli", "chat", "--delegate", "--agent", "boulware+template",
                          "--against", "rule+template", "--target", "8000", "--walk-away", "9500", "--auto-approve",
                          "--transcript", str(tmp_path / "d.json")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    assert "approved automatically" in run.stdout and "Outcome: deal" in run.stdout


def test_bad_chat_settings_are_one_clear_line(tmp_path):
    with pytest.raises(ChatError, match="both --target and --walk-away"):
        run_chat(ChatConfig(agent="rule", target=100, demo=True))
    with pytest.raises(ChatError, match="not both"):
        run_chat(ChatConfig(agent="rule+template", demo=True, delegate=True))
    with pytest.raises(ChatError, match="--auto-approve goes with --delegate"):
        run_chat(ChatConfig(agent="rule+template", auto_approve=True))
    with pytest.raises(ChatError, match="builtin:99"):
        run_chat(ChatConfig(agent="rule+template", scenario="builtin:99", demo=True))


def test_a_chat_out_of_turns_says_so(tmp_path):
    lines, said = iter(["Hello there."] * 10), []
    played = run_chat(ChatConfig(agent="hardliner+template", scenario="builtin:0", turn_limit=4,
                                 transcript=tmp_path / "t.json"), ask=lambda prompt: next(lines), say=said.append)
    assert played.extra["ended"] == "turn limit" and any(line.startswith("Outcome: no deal, the turn limit reached")
                                                         for line in said)


def test_a_deal_worse_than_walking_away_is_asked_twice(tmp_path):
    """The person's own /offer past their walk-away price (a buyer's $380 here) is warned of; the same command
    again makes it."""
    lines, said = iter(["/offer 500", "/offer 500"]), []
    played = run_chat(ChatConfig(agent="rule+template", scenario="builtin:0", transcript=tmp_path / "t.json"),
                      ask=lambda prompt: next(lines), say=said.append)
    assert any("$500 is worse for you than walking away: your walk-away price is $380" in line for line in said)
    assert (played.outcome.reward, played.outcome.price) == (1, 500)


def test_the_transcript_goes_through_a_link_and_into_what_is_not_a_regular_file(tmp_path):
    """A link's target is replaced, not the link; a named pipe (as /dev/null) is written to, never replaced."""
    import threading

    from dialogue.chat import save
    from dialogue.corpus import load_dialogues

    dialogue = load_dialogues(ROOT / "data" / "sample-dialogues.json")[0]
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    target.write_text("{}")
    link.symlink_to(target)
    save(dialogue, link)
    assert link.is_symlink() and saved(target)["uuid"] == dialogue.uuid
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    read: list[str] = []
    reader = threading.Thread(target=lambda: read.append(pipe.read_text()))
    reader.start()
    save(dialogue, pipe)
    reader.join(timeout=10)
    assert pipe.is_fifo() and json.loads(read[0])[0]["uuid"] == dialogue.uuid


def test_a_transcript_is_written_beside_under_a_name_of_its_own(tmp_path):
    """A file or link by the name NAME.tmp is left as it is (it was written through, then unlinked), and the new
    file's permissions are a new file's (mkstemp's are 0600)."""
    from dialogue.chat import save
    from dialogue.corpus import load_dialogues

    dialogue = load_dialogues(ROOT / "data" / "sample-dialogues.json")[0]
    victim, kept = tmp_path / "victim.txt", tmp_path / "k.json.tmp"
    victim.write_text("precious")
    kept.write_text("keep")
    (tmp_path / "sl.json.tmp").symlink_to(victim)
    for name in ("sl.json", "k.json"):
        save(dialogue, tmp_path / name)
        assert saved(tmp_path / name)["uuid"] == dialogue.uuid and not (tmp_path / name).is_symlink()
    assert victim.read_text() == "precious" and kept.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.json", "k.json.tmp", "sl.json", "sl.json.tmp",
                                                          "victim.txt"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert (tmp_path / "k.json").stat().st_mode & 0o777 == 0o666 & ~umask
    longest = tmp_path / ("é" * 125 + ".json")  # 255 bytes: the name beside it is no longer
    save(dialogue, longest)
    assert saved(longest)["uuid"] == dialogue.uuid


def test_why_shows_the_candidates_a_planner_weighed():
    audit = {"understood": "counter(price=300)", "policy": "planner", "reason": "best expected utility",
             "candidates": [{"act": "counter(price=340)", "value": 0.41}, {"act": "accept()", "value": 0.52},
                            {"act": "quit()", "value": 0.0}],
             "belief": {"partner_walk_away": 351.2, "sd": 20.5}, "generator": {"generator": "lm", "tries": 1,
                                                                              "faithful": True}}
    text = explain(audit, Act(Intent.ACCEPT))
    assert "chose (planner): accept(), because best expected utility" in text  # it once named no act
    assert text.index("accept()") < text.index("counter(price=340)") < text.index("quit()")
    assert "understood: your last move as counter(price=300)" in text and "$351" in text and "lm generator" in text
    assert candidate_rows(audit["candidates"]) == [("accept()", "value +0.520"), ("counter(price=340)", "value +0.410"),
                                                   ("quit()", "value +0.000")]
    assert [pick_scenario(f"builtin:{i}").item.title for i in (0, 1)] == ["Trek FX 2 hybrid, 56cm frame",
                                                                        "2011 Honda Civic LX sedan"]


def test_a_target_equal_to_the_walk_away_price_keeps_the_default_role():
    from dialogue.chat import person_scenario

    assert person_scenario(ChatConfig(target=500, walk_away=500))[1] == "buyer"
    assert person_scenario(ChatConfig(target=500, walk_away=500, role="seller"))[1] == "seller"
    assert person_scenario(ChatConfig(target=600, walk_away=500))[1] == "seller"


def test_a_chat_with_standard_input_closed_or_a_folder_for_its_transcript_says_so(tmp_path):
    run = subprocess.run(f"'{sys.executable}' -m dialogue.cli chat --generator template --transcript "
                         f"'{tmp_path / 't.json'}' <&-", shell=True, cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 1 and run.stderr.strip() == \
        "haggler: standard input is closed; a chat reads what you type from it (--demo needs none)"
    assert not (tmp_path / "t.json").exists()
    run = subprocess.run([sys.executable, "-m", "dialogue.cli", "chat", "--generator", "template", "--transcript",
                          f"{tmp_path / 'new'}/"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stderr.strip().endswith("new/: a folder (it ends in /); give a file name")
    assert not (tmp_path / "new").exists()
