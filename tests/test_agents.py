"""Agent specs (policy + generator), `haggler agents`, the LM fallback, and the agent side of a text dialogue."""
import copy

import pytest

import dialogue.lm
from dialogue.agents import AgentError, Generators, make_agent, parse_spec, resolved, split_spec
from dialogue.generator import TemplateGenerator
from dialogue.scenarios import pick_scenario
from parser.acts import Act, Intent
from parser.rules import ActReader
from tests.conftest import ROOT, haggler

ADAPTER = ROOT / "data" / "generator_lora"


@pytest.mark.parametrize("text, policy, generator, style", [
    ("rule", "rule", "lm", None),
    ("boulware+template", "boulware", "template", None),
    (f"rule+lm:{ADAPTER}", "rule", f"lm:{ADAPTER}", None),
    ("injector+template", "rule", "template", "injector"),
    ("liar", "rule", "lm", "liar"),
    ("rule+lm:default", "rule", "lm", None),
])
def test_specs_name_a_policy_and_a_generator(text, policy, generator, style):
    spec = parse_spec(text)
    assert (spec.name, spec.policy, spec.generator, spec.style) == (text, policy, generator, style)


def test_a_checkpoint_directory_may_hold_a_plus_in_its_name(tmp_path):
    """The spec splits at the last `+` with a policy or a directory before it."""
    import shutil

    checkpoint = tmp_path / "sl+rl"
    shutil.copytree(ROOT / "data" / "policies" / "sl", checkpoint)
    (tmp_path / "sl").mkdir()  # a shorter cut that is a directory too: the longer one is meant
    spec = parse_spec(f"policy:{checkpoint}+template")
    assert (spec.policy, spec.generator) == (f"policy:{checkpoint}", "template")
    assert (parse_spec(f"policy:{checkpoint}").policy, parse_spec(f"policy:{checkpoint}").generator) == \
        (f"policy:{checkpoint}", "lm")
    assert split_spec(f"policy:{tmp_path}/sl+rl") == (f"policy:{tmp_path}/sl+rl", "")
    assert split_spec(f"policy:{tmp_path}/nowhere+template") == (f"policy:{tmp_path}/nowhere", "template")
    assert split_spec("rule+lm:a+b") == ("rule", "lm:a+b")


def test_one_checkpoint_spelled_two_ways_names_one_agent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolved("policy:runs/sl", "lm:adapters/a") == resolved("policy:./runs/sl/", f"lm:{tmp_path}/adapters/a/")
    assert resolved("policy:runs/sl", "lm") != resolved("policy:runs/rl", "lm")


def test_an_adapter_directory_that_is_none_is_said_before_any_model_loads(tmp_path):
    with pytest.raises(AgentError, match=f"{tmp_path}: not a LoRA adapter directory .no adapter_config.json., in "):
        parse_spec(f"boulware+lm:{tmp_path}")


def test_a_bad_spec_is_one_clear_line_with_the_valid_names():
    with pytest.raises(AgentError, match=r"unknown agent 'nope'; valid: rule, boulware.*injector, liar, desperate"):
        parse_spec("nope+template")
    with pytest.raises(AgentError, match=r"unknown generator 'gpt' in 'rule\+gpt'; valid: lm, lm:DIR, template"):
        parse_spec("rule+gpt")
    run = haggler("chat", "--demo", "--agent", "nope")
    assert run.returncode != 0 and run.stderr.strip().count("\n") == 0 and "valid: rule" in run.stderr


def test_haggler_agents_lists_policies_adversaries_and_generators():
    run = haggler("agents")
    assert run.returncode == 0, run.stderr
    for name in ("rule", "boulware", "injector", "liar", "desperate", "template", "lm:DIR"):
        assert name in run.stdout


def test_the_default_generator_falls_back_to_templates_with_one_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(dialogue.lm, "DEFAULT_ADAPTER", tmp_path / "missing")
    generators = Generators(seed=0)
    fallback = generators.get("lm")
    assert isinstance(fallback, TemplateGenerator)
    assert generators.get("lm") is fallback is generators.get("template")  # asked again: no second try, no message
    err = capsys.readouterr().err
    assert err.count("language model is unavailable") == 1 and "template generator" in err
    with pytest.raises(AgentError, match="not a LoRA adapter directory"):
        generators.get(f"lm:{tmp_path}")


def test_copies_of_a_reader_share_the_model_and_not_the_context():
    reader = ActReader(100.0)
    reader.read("seller", "I am asking $100.")
    twin = copy.deepcopy(reader)
    assert twin.model is reader.model and twin.context is not reader.context
    twin.read("buyer", "Would you take $70?")
    assert "buyer" not in reader.context.last_price and twin.context.last_price["buyer"] == 70


def test_a_proposal_at_the_partners_price_is_said_as_agreement():
    scenario = pick_scenario("builtin:0")
    agent = make_agent(parse_spec("rule+template"), "seller", scenario, Generators(), "k")
    assert agent.negotiator.principal.role == "seller" and isinstance(agent.generator, TemplateGenerator)
    agent.read("Would you take $300?")
    assert agent.in_words(Act(Intent.COUNTER, 300)) == Act(Intent.AGREE, 300)
    assert agent.in_words(Act(Intent.COUNTER, 340)) == Act(Intent.COUNTER, 340)


def test_no_agreement_in_words_to_a_partner_price_just_past_the_walk_away():
    """The partner stands 40 cents past this buyer's walk-away: proposing the walk-away itself stays a proposal,
    since the partner would read agreement to its own price."""
    scenario = pick_scenario("builtin:0")  # the buyer walks away at $380
    agent = make_agent(parse_spec("rule+template"), "buyer", scenario, Generators(), "k")
    assert agent.negotiator.principal.walk_away == 380
    agent.read("I can do $380.40.")
    assert agent.in_words(Act(Intent.COUNTER, 380)) == Act(Intent.COUNTER, 380)
    agent.read("Fine, $379.80 then.")
    assert agent.in_words(Act(Intent.COUNTER, 380)) == Act(Intent.AGREE, 379.8)  # the price the partner reads


def test_an_agent_whose_words_agreed_accepts_the_offer_that_follows():
    """A buyer's counter of $299.60 to the seller's $300 is said as agreement to $300 (the same price to the parser),
    and read so; the seller's formal offer of $300 then follows, which the policy would refuse (not as good as its
    next price). Refused, the seller offers again and again to the turn limit (tft did, 10 of 4,000 text dialogues).
    An agent keeps its word, within its authority."""
    scenario = pick_scenario("builtin:0")  # the buyer walks away at $380
    agent = make_agent(parse_spec("rule+template"), "buyer", scenario, Generators(), "k")
    agent.read("I can do $300.")
    assert agent.in_words(Act(Intent.COUNTER, 299.6)) == Act(Intent.AGREE, 300)
    agent.agreed_to = 300.0  # as move() records it, having said that agreement
    agent.saw(Act(Intent.OFFER, 300))
    act, audit = agent.keeping_its_word(Act(Intent.REJECT), {"policy": "rule"})
    assert act == Act(Intent.ACCEPT)
    assert audit == {"policy": "rule", "override": "its policy chose reject(); the offer is the price its words "
                                                   "agreed to: accept()"}
    agent.saw(Act(Intent.OFFER, 301))  # not the price its words agreed to
    assert agent.keeping_its_word(Act(Intent.REJECT), {})[0] == Act(Intent.REJECT)
    agent.agreed_to = 390.0  # past its walk-away: its word never binds it beyond its authority
    agent.saw(Act(Intent.OFFER, 390))
    assert agent.keeping_its_word(Act(Intent.REJECT), {})[0] == Act(Intent.REJECT)


def test_the_price_an_agent_agreed_to_is_its_agreements_own(monkeypatch):
    """The seller asks $350, the buyer says $300, the seller says "ok" (to $300), and the buyer agrees to $300. Its
    reader still holds the seller's $350 as the seller's price: kept as the price its words agreed to, the seller's
    formal offer of $350 was accepted over the policy's refusal (a red team's bait and switch)."""
    scenario = pick_scenario("builtin:0")
    agent = make_agent(parse_spec("rule+template"), "buyer", scenario, Generators(), "k")
    agent.read("How about $350?")
    agent.wrote("I can offer $300.")
    agent.negotiator.commit(Act(Intent.COUNTER, 300))
    agent.read("ok")
    assert agent.reader.context.partner_price("buyer") == 350
    monkeypatch.setattr(agent.negotiator, "decide", lambda: (Act(Intent.AGREE, 300), {}))
    assert agent.move().act == Act(Intent.AGREE, 300) and agent.agreed_to == 300
    agent.saw(Act(Intent.OFFER, 350))
    assert agent.keeping_its_word(Act(Intent.REJECT), {})[0] == Act(Intent.REJECT)


def test_an_agent_acts_on_the_words_it_read_not_on_the_act_behind_them():
    """Text mode's premise: sides meet only through words. A side whose act is counter $300 but whose words offer
    $200 is read, and answered, as offering $200."""
    from dialogue.text_session import Move, Side, TextSession

    class Misspeaker(Side):
        def move(self) -> Move:
            return Move(Act(Intent.COUNTER, 300), {}, "Would you take $200?")

    scenario = pick_scenario("builtin:0")  # listed at $380
    seller = make_agent(parse_spec("rule+template"), "seller", scenario, Generators(), "k")
    session = TextSession(scenario, {"buyer": Misspeaker("m", "buyer", scenario), "seller": seller})
    request = session.advance()  # the buyer's message is played; the seller's answer awaits its words
    message = session.events[0].metadata
    assert (message["intent"], message["price"]) == ("counter", 300)
    assert message["read"] == {"intent": "propose", "price": 200}  # the first price named
    assert seller.negotiator.state.partner_price == 200 and seller.last_read == Act(Intent.PROPOSE, 200)
    assert request is not None and request.act.price != 300
