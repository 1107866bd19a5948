"""`haggler chat`: bargain with an agent in the terminal, watch two agents bargain (`--demo`), or let an
agent bargain for you (`--delegate`) and approve its deal.

The person types plain English; slash commands make the formal moves (/offer N, /accept, /reject,
/quit) and the rest (/why, /help). Every line is survivable: empty, huge, binary junk, Ctrl-C (drops
the line), Ctrl-D (walks away). The transcript (CraigslistBargain JSON, acts and decision records in
each event's metadata) is rewritten after every event, so it is always on disk.
"""
from __future__ import annotations

import math
import os
import random
import re
import signal
import sys
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

from dialogue.agents import AgentSide, AgentSpec, Generators, make_agent, parse_spec
from dialogue.chat_view import clean, describe_scenario, explain, line_of, outcome_text
from dialogue.corpus import KB, CorpusError, Dialogue, Event, Scenario, dialogue_file_text
from dialogue.delegate import DelegateSide, ask_approval
from dialogue.files import write_whole
from dialogue.lm import cache_dir
from dialogue.scenarios import load_scenarios, pick_scenario
from dialogue.session import principal_of
from dialogue.text_session import Move, Side, TextSession
from parser.acts import Act, Intent, Role, format_price, other_role, write_price
from parser.prices import find_amounts
from strategy.policies import POLICIES
from strategy.principal import CENT, DEFAULT_TURN_LIMIT

MAX_CHARS = 1000
"""A message longer than this is cut (the parser reads at most 2,000 characters anyway)."""
MAX_OFFER_FACTOR = 10
"""A formal offer above this many times the listing price is refused as a typo (a seller agent would take
$1e308): the parser already reads no price over 4 times the listing as one (parser/rules.py)."""
HELP = """Type what you want to say in plain English. Commands:
  /offer N   make a formal offer of $N (the agent may accept: that is the deal)
  /accept    accept the agent's formal offer
  /reject    reject the agent's formal offer and keep talking
  /quit      walk away (no deal)
  /why       what the agent understood, the options it weighed and why it chose its last move (its private
             reasoning, its limits included: a look at its cards, to see how it bargains)
  /help      this text
A deal is a formal offer accepted: agreeing in words is not yet a deal. The talk ends with no deal at its turn
limit (chat --turn-limit). Ctrl-C drops the line you are typing (while the agent answers, it ends the dialogue);
Ctrl-D walks away."""
PERSON_MOVES = {"offer": "(you offer {price})", "accept": "(you accept)", "reject": "(you reject the offer)",
                "quit": "(you walk away)"}


class ChatError(ValueError):
    """Bad input to `haggler chat` (one clear line)."""


class Hangup(Exception):
    """SIGTERM or SIGHUP (the terminal closed): the dialogue ends where it is, its transcript saved."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def handling(handler: Callable[[int, object], None] | signal.Handlers, *signums: int) -> Iterator[None]:
    """Within the block, the signals go to `handler` (in the main thread; elsewhere they keep their handlers)."""
    try:
        before = {s: signal.signal(s, handler) for s in signums}
    except ValueError:  # not the main thread
        before = {}
    try:
        yield
    finally:
        for s, previous in before.items():
            signal.signal(s, previous)


HANGUPS = (signal.SIGTERM, signal.SIGHUP)


@dataclass
class HangupHandler:
    """The handler of SIGTERM and SIGHUP in a chat. The first ends the talk (a Hangup); till the talk is `over`, one
    after it is a KeyboardInterrupt, raised by a C function: two that arrive at once while input() waits are handled
    one after the other with the first's exception still set, where Python code (a handler, or the making of a
    Hangup) is a SystemError. `ask` turns such an interrupt back into the Hangup. Once the talk is over (it ended,
    or was broken off), a signal is ignored: the transcript is being saved."""
    signum: int | None = None
    over: bool = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.over:
            return
        self.signum = signum
        for s in HANGUPS:
            signal.signal(s, signal.default_int_handler)
        raise Hangup(signum)

    def end(self) -> None:
        """The talk is over: from now on a signal is ignored."""
        self.over = True
        if self.signum is not None:
            for s in HANGUPS:
                signal.signal(s, self)

    def ask(self, ask: Callable[[str], str]) -> Callable[[str], str]:
        """`ask`, where an interrupt after a hang-up is the hang-up."""
        def asking(prompt: str) -> str:
            try:
                return ask(prompt)
            except KeyboardInterrupt:
                if self.signum is not None:
                    raise Hangup(self.signum) from None
                raise
        return asking


@dataclass
class ChatConfig:
    agent: str | None = None
    """The agent spec (None: planner where it is registered, else rule)."""
    role: Role | None = None
    """The person's role (default buyer; in delegate mode, inferred from target and walk-away)."""
    scenario: str | None = None
    """builtin:N or FILE:INDEX (default builtin:0; in delegate mode, the shipped listing nearest the walk-away)."""
    seed: int = 0
    turn_limit: int = DEFAULT_TURN_LIMIT
    transcript: Path | None = None
    demo: bool = False
    delegate: bool = False
    against: str = "rule"
    target: float | None = None
    walk_away: float | None = None
    auto_approve: bool = False
    generator: str = "lm"
    """The generator of agents named without one."""


def default_agent() -> str:
    return "planner" if "planner" in POLICIES else "rule"


# ---- the person ---------------------------------------------------------------------------------------

SCIENTIFIC = re.compile(r"\de[-+]?\d", re.IGNORECASE)


def read_amount(text: str) -> float | None:
    """A price typed after /offer, a cent or more, read as the parser reads an amount ('$1,200', '1.2k', '120
    dollars', '.50'): the whole of it one amount, as typed (99.999 too)."""
    text = text.replace("$", "").strip().rstrip(".")
    if text.startswith("."):  # '.50': the parser reads a number from its first digit
        text = "0" + text
    if SCIENTIFIC.search(text):  # a formal offer is written out: '1e9' gets the note on plain digits
        return None
    amounts = find_amounts(text)
    if len(amounts) != 1 or (amounts[0].start, amounts[0].end) != (0, len(text)):
        return None
    price = amounts[0].value
    return price if math.isfinite(price) and price >= CENT else None


def too_high(listing: float) -> str:
    """What to say to an offer over MAX_OFFER_FACTOR times the listing price."""
    return f"(no offer over {MAX_OFFER_FACTOR} times the listing price: at most " \
           f"{write_price(round(MAX_OFFER_FACTOR * listing, 2))})"


def unreadable_offer(typed: str, listing: float) -> str:
    """What to say to `/offer TYPED` where read_amount reads no price."""
    usage = "usage: /offer N, with N a price in dollars, e.g. /offer 120"
    typed = typed.strip()
    try:
        number = float(typed.replace("$", "").replace(",", ""))
    except ValueError:
        return f"({typed!r} is not a price) {usage}" if typed else usage
    if not math.isfinite(number):
        return f"({typed!r} is not a price) {usage}"
    if number < CENT:
        return f"(a price must be at least $0.01, not {typed}) {usage}"
    if number > MAX_OFFER_FACTOR * listing and not SCIENTIFIC.search(typed):  # past what the parser reads
        return too_high(listing)
    return f"({typed!r}: write the price in plain digits, such as 1,200 or 99.50) {usage}"


class PersonSide(Side):
    """The person at the terminal: every move is a typed line (a message or a slash command)."""

    def __init__(self, role: Role, scenario: Scenario, ask: Callable[[str], str], say: Callable[[str], None],
                 why: Callable[[], str], turn_limit: int = DEFAULT_TURN_LIMIT) -> None:
        super().__init__("human", role, scenario)
        self.ask, self.say, self.why = ask, say, why
        self.turn_limit = turn_limit
        self.partner_offer: float | None = None
        self.principal = principal_of(scenario.kb(role))
        self.warned: str | None = None  # the deal past the walk-away price the person was just warned of
        self.past_limit = False  # only the agent's last-turn offer is left to answer

    def past_walk_away(self, price: float, command: str) -> bool:
        """Whether a deal at `price` is worse than walking away, and this is the first time the person asks for it
        (then warned: the same command again goes ahead)."""
        walk_away = self.principal.walk_away
        if self.principal.at_least_as_good(price, walk_away) or self.warned == command:
            return False
        self.warned = command
        self.say(f"({write_price(price)} is worse for you than walking away: your walk-away price is "
                 f"{write_price(walk_away)}. {command} again goes ahead anyway)")
        return True

    def heard(self, act: Act) -> None:
        self.partner_offer = act.price if act.intent is Intent.OFFER else None

    def no_offer(self, command: str) -> str:
        """Why there is nothing to accept or reject; after an agreement in words, how to make it the deal."""
        read = self.last_read
        if read is not None and read.intent is Intent.AGREE:
            price = read.price if read.price is not None else self.reader.context.last_price.get(self.role)
            if price is not None:
                return (f"(the agent agreed to {write_price(price)} in words; a deal is a formal offer accepted: "
                        f"/offer {format_price(price)} makes it)")
        if command == "/accept" and read is not None and read.price is not None:  # "$369 and you have a deal"
            return (f"(there is no offer to accept: the agent named {write_price(read.price)} in words, not in a "
                    f"formal offer; /offer {format_price(read.price)} offers it to the agent, or say you agree)")
        return f"(there is no offer to {command[1:]}: the agent has not made a formal offer just now)"

    def move(self) -> Move:
        left = self.turn_limit - len(self.turns)  # this turn's included: every turn passes through this side
        if left == 2:
            self.say("(your last message: the agent has one more turn, then the talk ends with no deal)")
        elif left == 1:
            self.say("(the last turn: then the talk ends with no deal, but a formal offer made now, /offer N, may "
                     "still be accepted)")
        elif left <= 0:  # the agent's offer on the last turn may still be answered
            self.say("(past the turn limit: /accept the agent's offer, or the talk ends with no deal)")
        self.past_limit = left <= 0
        while True:
            try:
                line = self.ask("you> ")
            except KeyboardInterrupt:
                self.say("\n(line dropped; /quit walks away, /help lists the commands)")
                continue
            except EOFError:
                self.say("\n(end of input)")
                return Move(Act(Intent.QUIT), {"person": "end of input"})
            move = self.command(line) if line.strip().startswith("/") else self.message(line)
            if move is not None:
                self.warned = None
                return move

    def message(self, line: str) -> Move | None:
        text = clean(line)
        if not text:
            return None
        if len(text) > MAX_CHARS:
            self.say(f"(a long message: only its first {MAX_CHARS} characters were sent)")
            text = text[:MAX_CHARS]
        act = self.reader.fork().read(self.role, text)  # how the words read, for the transcript
        return Move(act, {}, text)

    def command(self, line: str) -> Move | None:
        name, _, rest = clean(line).partition(" ")
        name = name.lower()
        if name == "/offer":
            if self.past_limit:
                self.say("(past the turn limit no offer can be answered: /accept the agent's offer, or anything else "
                         "ends the talk with no deal)")
                return None
            typed = read_amount(rest)
            if typed is None:
                self.say(unreadable_offer(rest, self.listing_price))
                return None
            price = round(typed, 2)  # the cents a deal is written in, on screen and in the transcript alike
            if price > MAX_OFFER_FACTOR * self.listing_price:
                self.say(too_high(self.listing_price))
                return None
            if self.past_walk_away(price, f"/offer {rest.strip()}"):
                return None
            if price != typed:
                self.say(f"(offered {write_price(price)}: a price is in whole cents)")
            return Move(Act(Intent.OFFER, price))
        if name in ("/accept", "/reject"):
            if self.partner_offer is None:
                self.say(self.no_offer(name))
                return None
            if name == "/accept" and self.past_walk_away(self.partner_offer, "/accept"):
                return None
            return Move(Act(Intent.ACCEPT if name == "/accept" else Intent.REJECT))
        if name == "/quit":
            return Move(Act(Intent.QUIT))
        if name == "/why":
            self.say(self.why())
        elif name == "/help":
            self.say(HELP)
        else:
            self.say(f"unknown command {name[:40]}; type /help")
        return None


# ---- setting up and playing ------------------------------------------------------------------------------

def transcript_path(config: ChatConfig) -> Path:
    """Where the transcript goes: --transcript, which must not be a file already (nothing is written over), or a
    new file in runs/chats/."""
    if config.transcript is not None:
        if config.transcript.is_dir():
            raise ChatError(f"--transcript {config.transcript}: is a directory; give a file name")
        if config.transcript.is_file():
            raise ChatError(transcript_exists(config.transcript))
        return config.transcript
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("runs") / "chats" / f"chat-{stamp}-{os.getpid()}.json"


def transcript_exists(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        return (f"--transcript {path}: a link to no file (a transcript is never written through one that dangles); "
                "name a new file")
    return f"--transcript {path}: the file exists; a transcript never replaces a file, name a new one"


def start_transcript(dialogue: Dialogue, path: Path) -> None:
    """Writes the transcript's first version to a new file, so that two chats started at once with one
    --transcript never share it (what is not a regular file, such as /dev/null, is written to)."""
    if path.exists() and not path.is_file():
        return save(dialogue, path)
    try:
        with path.open("x", encoding="utf-8") as f:
            f.write(dialogue_file_text([dialogue], path))
    except FileExistsError:
        raise ChatError(transcript_exists(path)) from None
    except OSError as e:
        raise ChatError(f"{path}: cannot write the transcript ({e.strerror or e})") from None


def save(dialogue: Dialogue, path: Path) -> None:
    """The transcript so far, replaced whole (`write_whole`)."""
    try:
        write_whole(path, dialogue_file_text([dialogue], path))
    except OSError as e:
        raise ChatError(f"{path}: cannot write the transcript ({e.strerror or e})") from None


def nearest_listing(walk_away: float) -> str:
    """The shipped scenario whose listing price is nearest the walk-away price (by ratio)."""
    scenarios = load_scenarios("builtin")
    best = min(range(len(scenarios)), key=lambda i: abs(math.log(scenarios[i].listing_price / walk_away)))
    return f"builtin:{best}"


def person_scenario(config: ChatConfig) -> tuple[Scenario, Role]:
    """The scenario, with the person's own target and walk-away where given, and the person's role."""
    if (config.target is None) != (config.walk_away is None):
        raise ChatError("give both --target and --walk-away, or neither")
    if config.demo and config.delegate:
        raise ChatError("--demo or --delegate, not both: --demo plays your side, --delegate plays it for you")
    if config.auto_approve and not config.delegate:
        raise ChatError("--auto-approve goes with --delegate (it approves the deals your agent makes)")
    role = config.role
    if config.target is not None:
        if not all(math.isfinite(p) and p > 0 for p in (config.target, config.walk_away)):  # type: ignore[arg-type]
            raise ChatError("--target and --walk-away must be positive prices")
        inferred: Role = "buyer" if config.target <= config.walk_away else "seller"  # type: ignore[operator]
        if role is not None and role != inferred and config.target != config.walk_away:
            raise ChatError(f"a {role}'s target must be {'below' if role == 'buyer' else 'above'} its walk-away price")
        role = role or inferred
    role = role or "buyer"
    if config.scenario is not None:
        spec = config.scenario
    else:
        spec = nearest_listing(config.walk_away) if config.walk_away else "builtin:0"
    try:
        scenario = pick_scenario(spec, config.seed)
    except CorpusError as e:
        raise ChatError(f"--scenario: {e}") from None
    except (OSError, ValueError) as e:
        raise ChatError(f"--scenario {spec}: {e}") from None
    if config.target is not None:
        highest = max(config.target, config.walk_away)  # type: ignore[type-var]
        if highest > MAX_OFFER_FACTOR * scenario.listing_price:
            hint = ("with --scenario, or leave it out for the shipped one nearest your walk-away"
                    if config.scenario is not None else "with --scenario")
            raise ChatError(f"--target and --walk-away: {write_price(highest)} is over {MAX_OFFER_FACTOR} times the "
                            f"listing price of {spec} ({write_price(scenario.listing_price)}); name a listing near "
                            f"your prices {hint}")
        kbs = [KB(kb.role, config.target, kb.item, config.walk_away, kb.extra_personal) if kb.role == role else kb
               for kb in scenario.kbs]
        scenario = Scenario(kbs, scenario.uuid, scenario.extra)
    return scenario, role


def read_line(prompt: str) -> str:
    if sys.stdout is None:  # the output closed (`>&-`): no prompt, and input() would stop at its loss
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")
    return input(prompt)


def show(text: str) -> None:
    print(text, flush=True)


def setup_terminal(history: bool = True) -> None:
    """Line editing (readline) where there is a terminal, and the history of earlier chats' lines, kept in the cache
    (`history`); undecodable bytes read as U+FFFD."""
    for stream in (sys.stdin, sys.stdout):  # and what the output's encoding cannot write is written as "?"
        try:
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    if not sys.stdin.isatty():
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C drops the line, even if a parent ignored it
    try:
        import readline
    except ImportError:
        return
    if not history:
        return
    path = cache_dir() / "chat_history"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            readline.read_history_file(path)
        readline.set_history_length(1000)
        import atexit
        atexit.register(lambda: _write_history(readline, path))
    except OSError:
        pass


def _write_history(readline: object, path: Path) -> None:
    try:
        readline.write_history_file(path)  # type: ignore[attr-defined]
    except OSError:
        pass


@dataclass
class LastMove:
    """The latest move of an agent shown to the person, for /why."""
    audit: dict = field(default_factory=dict)
    act: Act | None = None


@dataclass(frozen=True)
class Seating:
    """Who sits where: the agent and its partner agent (demo, delegate), the scenario and the person's role."""
    spec: AgentSpec
    against: AgentSpec | None
    scenario: Scenario
    person_role: Role
    generators: Generators
    key: str


def take_seats(config: ChatConfig, seating: Seating, ask: Callable[[str], str], say: Callable[[str], None],
               why: Callable[[], str]) -> tuple[dict[Role, Side], dict[str, str]]:
    """Each role's side for the chat's mode, and the names the outcome gives them (by agent index); says who is
    who. The person's role holds the person, or their agent (delegate), or the partner agent (demo)."""
    spec, against, scenario, person_role = seating.spec, seating.against, seating.scenario, seating.person_role
    agent_role = other_role(person_role)

    def agent(of: AgentSpec, role: Role, side: Callable[..., AgentSide] | None = None) -> AgentSide:
        return make_agent(of, role, scenario, seating.generators, seating.key, config.turn_limit, side)

    if config.delegate:
        assert against is not None
        delegate = partial(DelegateSide, approve=ask_approval(ask, say, config.auto_approve))
        sides: dict[Role, Side] = {person_role: agent(spec, person_role, delegate),
                                   agent_role: agent(against, agent_role)}
        names = {scenario.agent_of(person_role): f"your agent {spec.name}", scenario.agent_of(agent_role): against.name}
        say(describe_scenario(scenario, person_role, "You (through your agent) are"))
    elif config.demo:
        assert against is not None
        sides = {person_role: agent(against, person_role), agent_role: agent(spec, agent_role)}
        names = {scenario.agent_of(person_role): against.name, scenario.agent_of(agent_role): spec.name}
        say(describe_scenario(scenario, person_role, f"{against.name} is"))
        say(describe_scenario(scenario, agent_role, f"{spec.name} is").split("\n")[-1])
    else:
        sides = {agent_role: agent(spec, agent_role),
                 person_role: PersonSide(person_role, scenario, ask, say, why, config.turn_limit)}
        names = {scenario.agent_of(person_role): "you", scenario.agent_of(agent_role): f"agent {spec.name}"}
        say(describe_scenario(scenario, person_role))
        turns = f"{config.turn_limit} turn{'s' * (config.turn_limit != 1)}"
        say(f"You are bargaining with agent {spec.name} (the {agent_role}), {turns} at most (both sides' messages and "
            "moves). Type /help for the commands.")
    return sides, names


def run_chat(config: ChatConfig, ask: Callable[[str], str] = read_line, say: Callable[[str], None] = show,
             generators: Generators | None = None) -> Dialogue:
    """Plays one chat (person, demo or delegate) to its end and returns its transcript."""
    spec = parse_spec(default_agent() if config.agent is None else config.agent, config.generator)
    against = parse_spec(config.against, config.generator) if config.demo or config.delegate else None
    scenario, person_role = person_scenario(config)
    generators = generators or Generators(config.seed)
    key = f"{config.seed}:chat"
    agent_role = other_role(person_role)
    path = transcript_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not config.demo and not (config.delegate and config.auto_approve):  # the person types: lines or approvals
        setup_terminal(history=not config.delegate)  # an approval is no line to recall in a later chat
    last, hang_up = LastMove(), HangupHandler()
    sides, names = take_seats(config, Seating(spec, against, scenario, person_role, generators, key),
                              hang_up.ask(ask), say, lambda: explain(last.audit, last.act))
    say(f"transcript: {path}")
    show_acts = config.demo or config.delegate
    session: TextSession

    def on_event(event: Event) -> None:
        role = scenario.kbs[event.agent].role
        if isinstance(sides[role], AgentSide):
            last.audit, last.act = (event.metadata or {}).get("audit") or {}, event.act
            say(line_of(event, role, sides[role].name, show_acts))
            if event.action == "offer" and isinstance(sides[other_role(role)], PersonSide):
                say("(a formal offer: /accept makes the deal, /reject or anything else turns it down)")
        elif event.action != "message":
            say(PERSON_MOVES[event.action].format(price=write_price(event.offer_price or 0)))
        save(session.dialogue(), path)

    first = agent_role if not config.delegate else random.Random(key).choice((person_role, agent_role))
    session = TextSession(scenario, sides, first, config.turn_limit, f"chat-{config.seed}-{int(time.time())}",
                          on_event, clock=lambda turn: time.time())
    start_transcript(session.dialogue(), path)
    with handling(hang_up, *HANGUPS):
        try:
            session_dialogue = play(session, say, hang_up)
        except BaseException:  # an agent that could not start (its model, say): no transcript of an empty talk
            if not session.dialogue().events and path.is_file():
                path.unlink()
            raise
        with handling(signal.SIG_IGN, signal.SIGINT):  # the talk is over: a second Ctrl-C breaks off no saving
            save(session_dialogue, path)  # first: the output may be closed (a BrokenPipeError, for the CLI)
            say(outcome_text(session_dialogue, names))
            say(f"transcript: {path}")
    return session_dialogue


def play(session: TextSession, say: Callable[[str], None], hang_up: HangupHandler) -> Dialogue:
    """Plays to the end, each agent's act rendered by its own generator. Ctrl-C, SIGTERM, SIGHUP and an output
    closed under it end the dialogue where it is: the transcript's `stopped_by` names the signal (SIGPIPE for the
    output). At its end, `hang_up` is over: a signal from then on breaks off no saving, nor does the output's
    closing as the dialogue is said to end."""
    cut: BaseException | None = None
    try:
        while (request := session.advance()) is not None:
            side = session.sides[session.talk.to_move]
            session.deliver(side.generator.render([request])[0])  # type: ignore[attr-defined]
    except (KeyboardInterrupt, Hangup, BrokenPipeError) as e:
        wake = hang_up.signum if isinstance(e, KeyboardInterrupt) else None  # an interrupt in a hang-up's wake
        cut = Hangup(wake) if wake is not None else e
    hang_up.end()
    if cut is None:
        return session.dialogue()
    session.stop()
    stopped_by = cut.signum if isinstance(cut, Hangup) else \
        signal.SIGINT if isinstance(cut, KeyboardInterrupt) else signal.SIGPIPE
    if not isinstance(cut, BrokenPipeError):
        with suppress(OSError):  # the output closed too (a terminal's hang-up): the transcript says it
            say(f"\n({'interrupted' if isinstance(cut, KeyboardInterrupt) else cut}: the dialogue ends here)")
    dialogue = session.dialogue()
    dialogue.extra["stopped_by"] = signal.Signals(stopped_by).name
    return dialogue
