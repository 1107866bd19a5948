"""What a text tournament adds to results.json, computed from its transcripts.

- `parse_agreement`: how often the reader's parse of a message equals the writer's act, per pair
  (`parse_agreement`, and `parse_agreement_a`: a's messages as b read them) and per agent (its
  messages as its partners read them).
- `manipulation`: with `rule` and adversarial partners (injector, liar, desperate) in the list,
  each other agent's utility against plain `rule` and against each adversary, and `gain`: the mean
  paired difference of the agent's utility against the adversary and against `rule` (same scenario,
  seed and role), with its 95% interval. Zero means the words moved nothing.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from dialogue.agents import AgentSpec
from dialogue.corpus import Dialogue, load_dialogues
from dialogue.results import mean_ci
from dialogue.scoring import score_dialogue
from dialogue.text_session import read_right


def parse_counts(dialogues: list[Dialogue]) -> dict[tuple[str, str], list[int]]:
    """(writer, reader) → [messages read right, messages]."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for d in dialogues:
        for event in d.events:
            right = read_right(event)
            if right is not None:
                row = counts[d.agents[str(event.agent)], d.agents[str(1 - event.agent)]]
                row[0] += right
                row[1] += 1
    return counts


def _share(right: int, total: int) -> float | None:
    return right / total if total else None


def utilities(dialogues: list[Dialogue]) -> dict[tuple[str, str, str, str], float]:
    """(agent, opponent, game key "s3-r0", role) → the agent's utility."""
    out = {}
    for d in dialogues:
        game = "-".join(d.uuid.split("-")[:2])
        for score in score_dialogue(d):
            out[score.agent, score.opponent, game, score.role] = score.utility
    return out


def baseline_of(adversary: str, agents: list[str], specs: dict[str, AgentSpec]) -> str | None:
    """The plain `rule` agent that speaks with the adversary's generator."""
    return next((b for b in agents if specs[b].policy == "rule" and not specs[b].style
                 and specs[b].generator == specs[adversary].generator), None)


def manipulation_table(agents: list[str], specs: dict[str, AgentSpec], dialogues: list[Dialogue]) -> dict:
    """{agent: {"baselines": {ADVERSARY: its baseline}, "vs": {OPPONENT: utility}, "gain": {ADVERSARY: [mean,
    ci95]}}} for each agent that is not an adversary (the gain's interval clustered by scenario, as the
    leaderboard's); empty without a plain rule agent to compare with."""
    baselines = {a: baseline_of(a, agents, specs) for a in agents if specs[a].style}
    if not baselines or None in baselines.values():
        return {}
    util = utilities(dialogues)
    table = {}
    for agent in (a for a in agents if not specs[a].style):
        def games_against(opponent: str) -> dict:
            return {k[2:]: u for k, u in util.items() if k[:2] == (agent, opponent)}

        row: dict = {"baselines": baselines, "vs": {}, "gain": {}}
        for adversary, baseline in baselines.items():
            base, tricked = games_against(baseline), games_against(adversary)
            row["vs"][baseline] = mean_ci(list(base.values()))[0]
            row["vs"][adversary] = mean_ci(list(tricked.values()))[0]
            paired = [k for k in tricked if k in base]  # (game "s3-r0", role): clustered by scenario, "s3"
            row["gain"][adversary] = list(mean_ci([tricked[k] - base[k] for k in paired],
                                                  [k[0].split("-")[0] for k in paired]))
        table[agent] = row
    return table


def add_text_results(results: dict, path: Path, specs: dict[str, AgentSpec]) -> None:
    """Sets mode "text" and adds parse agreement (pairs and agents) and the manipulation table."""
    dialogues = load_dialogues(path)
    counts = parse_counts(dialogues)
    results["mode"] = "text"
    for pair in results["pairs"]:
        a, b = pair["a"], pair["b"]
        ab, ba = counts.get((a, b), [0, 0]), counts.get((b, a), [0, 0])
        both = [ab[0] + ba[0], ab[1] + ba[1]] if a != b else ab
        pair["parse_agreement"] = _share(*both)
        pair["parse_agreement_a"] = _share(*ab)
        pair["parse_agreement_b"] = _share(*ba)
    for name, row in results["per_agent"].items():
        mine = [c for (writer, _), c in counts.items() if writer == name]
        row["parse_agreement"] = _share(sum(c[0] for c in mine), sum(c[1] for c in mine))
    if any(s.style for s in specs.values()):
        results["manipulation"] = manipulation_table(results["agents"], specs, dialogues)


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def format_text_results(results: dict) -> str:
    """Parse agreement per pair; the manipulation table where there is one."""
    w = max([22] + [len(name) for p in results["pairs"] for name in (p["a"], p["b"])])
    lines = ["parse agreement (reader's parse = writer's act):",
             f"  {'a':<{w}} {'b':<{w}} {'all':>6} {'a wrote':>8} {'b wrote':>8}"]
    for p in results["pairs"]:
        lines.append(f"  {p['a']:<{w}} {p['b']:<{w}} {_f(p['parse_agreement']):>6} "
                     f"{_f(p['parse_agreement_a']):>8} {_f(p['parse_agreement_b']):>8}")
    table = results.get("manipulation")
    if table:
        first = next(iter(table.values()))
        adversaries, baselines = list(first["gain"]), list(dict.fromkeys(first["baselines"].values()))
        lines += ["", "manipulation: utility against plain rule text and against each adversary "
                      "(gain: mean paired difference ± 95%, against the rule agent with the adversary's generator):",
                  f"  {'agent':<{w}} " + " ".join(f"{'vs ' + b:>{max(8, len(b) + 3)}}" for b in baselines) + " "
                  + " ".join(f"{a:>26}" for a in adversaries)]
        for agent, row in table.items():
            cells = [f"{_f(row['vs'][b]):>{max(8, len(b) + 3)}}" for b in baselines]
            for a in adversaries:
                gain, half = row["gain"][a]
                cells.append(f"{_f(row['vs'][a])} ({'-' if gain is None else f'{gain:+.3f}'} ± {_f(half)})".rjust(26))
            lines.append(f"  {agent:<{w}} " + " ".join(cells))
    return "\n".join(lines)
