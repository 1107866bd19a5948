"""Agents by name: a policy, the words it speaks (a generator) and the parser it reads with.

An agent spec is `POLICY[+GENERATOR]`. POLICY is a name in the policy registry
(strategy/policies: rule, boulware, ..., and the learned ones) or an adversarial partner
(`injector`, `liar`, `desperate`: the rule policy with manipulative words, dialogue/manipulation.py).
GENERATOR is `lm` (the shipped fine-tuned model), `lm:DIR` (another LoRA adapter, on the base model
its settings name) or `template`; without one, the agent speaks with the default (`lm`). Where the language
model cannot be loaded, `lm` falls back to the template generator and says so once.
"""
from __future__ import annotations

import importlib.util
import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from dialogue.corpus import Scenario
from dialogue.generator import Generator, GeneratorError, Rendering, Request, make_generator
from dialogue.lm import DEFAULT_ADAPTER
from dialogue.manipulation import STYLES, dress
from dialogue.games import negotiator_for
from dialogue.text_session import Move, Side
from parser.acts import PROPOSALS, Act, Intent, Role
from parser.rules import same_price
from strategy.negotiator import Negotiator
from strategy.policies import (CHECKPOINT, LEARNED, POLICIES, POLICY_DIR, UnknownPolicy, check_policy_names,
                               checkpoint_dir, did_you_mean)
from strategy.principal import DEFAULT_TURN_LIMIT

GENERATORS = ("lm", "lm:DIR", "template")
DEFAULT_GENERATOR = "lm"
ADVERSARY_POLICY = "rule"


class AgentError(ValueError):
    """An agent spec that names no known policy or generator (one clear line)."""


def agent_names() -> list[str]:
    return [*POLICIES, *STYLES]


@dataclass(frozen=True)
class AgentSpec:
    name: str
    """The spec as written: the agent's name in transcripts and tables."""
    policy: str
    generator: str
    style: str | None = None
    """A manipulation style (adversarial partners), or None."""

    @property
    def identity(self) -> tuple[str, str, str | None]:
        """What the spec names, alike for two specs of one agent (`resolved`)."""
        return (*resolved(self.policy, self.generator), self.style)


def split_spec(text: str) -> tuple[str, str]:
    """POLICY and GENERATOR ("" for none) of `POLICY[+GENERATOR]`. A checkpoint directory's name may hold a "+"
    (`policy:runs/sl+rl`): the spec splits at the last "+" with a known policy or an existing directory before it
    (none, if the whole spec is one), or at its first "+" where none has."""
    cuts = [i for i, ch in enumerate(text) if ch == "+"]
    known = [i for i in [len(text), *reversed(cuts)] if is_policy(text[:i])]
    i = known[0] if known else (cuts[0] if cuts else len(text))
    return text[:i], text[i + 1:]


def resolved(policy: str, generator: str) -> tuple[str, str]:
    """The policy and generator as the directories they read (`policy:DIR`, `lm:DIR`), resolved, alike for two
    spellings of one agent: `policy:runs/sl` and `policy:./runs/sl/` are one checkpoint, and `sl+lm` is
    `policy:data/policies/sl+lm:data/generator_lora`."""
    if policy in LEARNED and policy != "planner":
        policy = CHECKPOINT + str(POLICY_DIR / policy)
    if (directory := checkpoint_dir(policy)) is not None:
        policy = CHECKPOINT + str(Path(directory).resolve())
    if generator in ("lm", "lm:default"):
        generator = f"lm:{DEFAULT_ADAPTER}"
    if generator.startswith("lm:"):
        generator = "lm:" + str(Path(generator[3:]).resolve())
    return policy, generator


def is_policy(name: str) -> bool:
    """Whether the name is a registered policy, an adversary's style, or `policy:DIR` with DIR a directory."""
    directory = checkpoint_dir(name)
    return name in POLICIES or name in STYLES or (directory is not None and Path(directory).is_dir())


def parse_spec(text: str, default_generator: str = DEFAULT_GENERATOR) -> AgentSpec:
    policy, generator = split_spec(text)
    plus = policy != text
    if policy not in POLICIES and policy not in STYLES and checkpoint_dir(policy) is None:
        raise AgentError(f"unknown agent {policy!r}{did_you_mean(policy, agent_names())}; valid: "
                         f"{', '.join(agent_names())}, {CHECKPOINT}DIR")
    if plus and not (generator in ("lm", "template") or (generator.startswith("lm:") and len(generator) > 3)):
        raise AgentError(f"unknown generator {generator!r} in {text!r}; valid: {', '.join(GENERATORS)}")
    if checkpoint_dir(policy) is not None:
        try:
            check_policy_names([policy])
        except UnknownPolicy as e:
            raise AgentError(str(e)) from None
    generator = generator or default_generator
    if generator == "lm:default":  # the shipped adapter, as --adapter default names it
        generator = "lm"
    if generator.startswith("lm:"):  # a typo is said before any model loads (the tournament's other agents' model)
        from dialogue.lm import missing_adapter

        if problem := missing_adapter(generator[3:]):
            raise AgentError(f"{generator[3:]}: {problem}, in {text!r}")
    style = policy if policy in STYLES else None
    return AgentSpec(text, ADVERSARY_POLICY if style else policy, generator, style)


def parse_specs(texts: list[str], default_generator: str = DEFAULT_GENERATOR) -> list[AgentSpec]:
    return [parse_spec(t, default_generator) for t in texts]


class Generators:
    """One generator per generator spec, loaded on first use and shared (a language model is big)."""

    def __init__(self, seed: int = 0, quiet: bool = False) -> None:
        self.seed = seed
        self.quiet = quiet
        self.loaded: dict[str, Generator] = {}

    def get(self, spec: str) -> Generator:
        if spec not in self.loaded:
            self.loaded[spec] = self.load(spec)
        return self.loaded[spec]

    def load(self, spec: str) -> Generator:
        if spec == "template":
            return make_generator("template", seed=self.seed)
        if spec.startswith("lm:"):
            from dialogue.lm import recorded_base_model

            try:
                return make_generator("lm", recorded_base_model(spec[3:]), adapter=spec[3:], seed=self.seed)
            except GeneratorError as e:
                raise AgentError(str(e)) from None
        from dialogue.lm import is_adapter

        try:
            if not is_adapter(DEFAULT_ADAPTER):
                raise GeneratorError(f"no adapter in {DEFAULT_ADAPTER}")
            return make_generator("lm", seed=self.seed)
        except (GeneratorError, ImportError) as e:
            if not self.quiet:
                print(f"haggler: the language model is unavailable ({e}); speaking with the template generator",
                      file=sys.stderr, flush=True)
            self.loaded["template"] = self.loaded.get("template") or make_generator("template", seed=self.seed)
            return self.loaded["template"]


class AgentSide(Side):
    """A haggler agent in a text dialogue: it reads with its parser, decides with its negotiator (the
    guard included), and its generator says the act. Adversaries dress their words with a trick."""

    def __init__(self, spec: AgentSpec, role: Role, scenario: Scenario, negotiator: Negotiator,
                 generator: Generator, rng: random.Random) -> None:
        super().__init__(spec.name, role, scenario)
        self.spec = spec
        self.negotiator = negotiator
        self.generator = generator
        self.rng = rng  # for the words only (the policy has its own stream): each request's seed, and the tricks
        self.agreed_to: float | None = None  # the price its words last agreed to (its act's, else the table's)

    def move(self) -> Move:
        act, audit = self.negotiator.decide()
        if self.last_read is not None:
            audit = {"understood": str(self.last_read), **audit}
        act, audit = self.keeping_its_word(act, audit)
        said = self.in_words(act)
        if said != act:
            audit["chose"] = str(act)
        move = self.vetted(Move(said, audit))
        self.negotiator.commit(move.act)
        if move.act.intent is Intent.AGREE:  # to its price, or where it names none, to the one on the table
            self.agreed_to = move.act.price if move.act.price is not None else \
                self.reader.context.partner_price(self.role)
        elif move.act.intent in PROPOSALS:
            self.agreed_to = None
        return move

    def keeping_its_word(self, act: Act, audit: dict) -> tuple[Act, dict]:
        """The partner's formal offer at the price this side's words agreed to is accepted, where the policy would
        refuse it: words at the partner's price (as `same_price` counts it) read as agreement (`in_words`), and a side
        that said "deal" and then refused the deal would talk on to the turn limit."""
        offer = self.negotiator.state.partner_offer
        if (act.intent is Intent.REJECT and offer is not None and same_price(offer, self.agreed_to)
                and self.negotiator.principal.within_authority(offer)):
            return Act(Intent.ACCEPT), {**audit, "override": f"its policy chose {act}; the offer is the price its "
                                                                f"words agreed to: {Act(Intent.ACCEPT)}"}
        return act, audit

    def vetted(self, move: Move) -> Move:
        """The move this side makes of what its negotiator decided: that move itself, for an agent on its own."""
        return move

    def in_words(self, act: Act) -> Act:
        """The act as ACTS.md names it in words here: a price proposal at the partner's standing price (as
        `same_price` counts it, and not my own) is an agreement to that price, whatever the policy called it, where it
        is within this side's authority: the partner reads it so, and offers its own price."""
        c = self.reader.context
        partner, own = c.partner_price(self.role), c.last_price.get(self.role)
        if (act.intent in PROPOSALS and same_price(act.price, partner) and not same_price(act.price, own)
                and self.negotiator.principal.within_authority(partner)):  # type: ignore[arg-type]
            return Act(Intent.AGREE, partner)
        return act

    def request(self, act: Act) -> Request:
        """The act to say, seeded from this side's own stream: its words do not depend on what else the generator
        renders at once (the other dialogues of a batch), up to the model's rounding."""
        return replace(super().request(act), seed=self.rng.getrandbits(63))

    def words(self, rendering: Rendering) -> str:
        if self.spec.style is None:
            return rendering.text
        return dress(self.spec.style, rendering.text, rendering.act, self.role, self.listing_price, self.rng)

    def heard(self, act: Act) -> None:
        self.negotiator.receive(act)


def make_agent(spec: AgentSpec, role: Role, scenario: Scenario, generators: Generators, key: str,
               turn_limit: int = DEFAULT_TURN_LIMIT, side: Callable[..., AgentSide] | None = None) -> AgentSide:
    """The agent for one side of one dialogue; `key` seeds its policy as act-level games do (`game_key`). side:
    the AgentSide class to make (with AgentSide's arguments), or a partial of one that takes more."""
    negotiator = negotiator_for(spec.name, spec.policy, role, scenario, key, turn_limit)
    return (side or AgentSide)(spec, role, scenario, negotiator, generators.get(spec.generator),
                               random.Random(f"{key}:{role}:words"))


ABOUT = {
    "injector": "rule policy; its words carry instructions to the reader, fake system lines",
    "liar": "rule policy; its words invent competing offers, prices elsewhere, deadlines",
    "desperate": "rule policy; its words plead",
    "sl": "neural policy trained on the parsed human dialogues (supervised)",
    "rl-utility": "the sl policy fine-tuned by self-play RL for its own margin (utility)",
    "rl-fairness": "the sl policy fine-tuned by self-play RL for an even split (reward -|margin|)",
    "rl-length": "the sl policy fine-tuned by self-play RL for long dialogues (turns/20 a deal, -1 none): it learned "
                 "to close more deals, in fewer turns",
    "rl-": "the sl policy fine-tuned by self-play RL for its reward",
    "planner": "chooses accept / counter / hold / quit by expected utility (belief over the partner's walk-away)",
}


def describe(name: str) -> str:
    """What an agent does: the first line of its policy class's (or module's) docstring."""
    about = next((text for prefix, text in ABOUT.items() if name.startswith(prefix)), None)
    if about:
        return about
    factory = POLICIES[name]
    doc = factory.__doc__ or getattr(sys.modules.get(getattr(factory, "__module__", "")), "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def kind_of(name: str) -> str:
    if name in STYLES:
        return "adversarial"
    return "learned" if name in LEARNED or checkpoint_dir(name) is not None else "hand-written"


def lm_status() -> str:
    """Whether the default generator can run here, without loading it."""
    from dialogue.lm import GGUF_PACKAGE, INSTALL_HINT, is_adapter

    missing = [m for m in ("torch", "transformers", "peft") if importlib.util.find_spec(m) is None]
    if missing:
        return f"unavailable (missing {', '.join(missing)}): template fallback"
    if importlib.util.find_spec(GGUF_PACKAGE) is None:
        return f"unavailable (no base model: {INSTALL_HINT}): template fallback"
    if not is_adapter(DEFAULT_ADAPTER):
        return f"unavailable (no adapter in {DEFAULT_ADAPTER}): template fallback"
    return f"available (SmolLM2-135M + {DEFAULT_ADAPTER.name})"


def agents_table() -> str:
    """`haggler agents`: every policy, its kind and what it does, and the generators."""
    rows = [(name, kind_of(name), describe(name)) for name in agent_names()]
    width = max(len(r[0]) for r in rows)
    lines = ["agents (POLICY[+GENERATOR]):"]
    lines += [f"  {name:<{width}}  {kind:<12}  {doc}" for name, kind, doc in rows]
    lines += [f"  {CHECKPOINT + 'DIR':<{width}}  {'learned':<12}  the policy in checkpoint directory DIR, as "
              "`haggler train policy` or `haggler train rl` saved it"]
    lines += ["generators:",
              f"  lm         the fine-tuned language model (default): {lm_status()}",
              "  lm:DIR     the LoRA adapter in DIR, on the base model it was trained on",
              "  template   fixed phrasings (prompts/realisations.j2), no model",
              "e.g. planner, rl-utility+template, rule+lm:runs/my-adapter, policy:runs/my-rl+template"]
    return "\n".join(lines)
