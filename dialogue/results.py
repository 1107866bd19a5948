"""A tournament's scores summed up: results.json, the printed leaderboard, the utility heatmap."""
from __future__ import annotations

import math
from collections import defaultdict
from itertools import combinations_with_replacement
from pathlib import Path

from dialogue.scoring import SideScore

Z95 = 1.96
T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
       2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
"""Student's t, two-sided 95%, for 1 to 30 degrees of freedom."""


def t95(df: int) -> float:
    """Student's t quantile for a two-sided 95% interval (its Cornish-Fisher expansion past 30 degrees of freedom,
    within 0.001 of it): a mean over a few scenarios is no normal draw."""
    if df <= len(T95):
        return T95[df - 1]
    z = Z95
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def mean(values: list[float]) -> float | None:
    """fsum: exactly rounded, so the same scores in any order (as workers finish) give the same figures."""
    return math.fsum(values) / len(values) if values else None


def mean_ci(values: list[float], clusters: list[str] | None = None) -> tuple[float | None, float | None]:
    """The mean and the half-width of its 95% interval: t with (clusters - 1) degrees of freedom. With `clusters` (a
    key for each value), its standard error allows for values within a cluster moving together (the cluster-robust
    CR1 form, which is the plain one where every value is its own cluster)."""
    n = len(values)
    if n == 0:
        return None, None
    m = math.fsum(values) / n
    members: dict[object, list[float]] = defaultdict(list)
    for i, v in enumerate(values):
        members[clusters[i] if clusters is not None else i].append(v - m)
    deviations = {key: math.fsum(d) for key, d in members.items()}  # fsum: the same in any order, as workers finish
    g = len(deviations)
    if g < 2:
        return m, None
    variance_of_mean = g / (g - 1) * math.fsum(d * d for d in deviations.values()) / n ** 2
    return m, t95(g - 1) * math.sqrt(variance_of_mean)


def proportion_ci(values: list[float], clusters: list[str] | None = None) -> tuple[float | None, float | None,
                                                                                 float | None]:
    """A share of 0/1 values and its 95% Wilson score interval (low, high), which stays inside [0, 1] and does not
    shrink to a point where every value is 1 (or 0) as the normal one does. Clustered, the values count for their
    effective number: n over the design effect (the clustered variance of the mean over the plain one, at least 1),
    and where the values are all equal and give it no estimate, the number of clusters (repeats of a scenario, or
    both sides of a dialogue, are no new draws)."""
    p, half = mean_ci(values, clusters)
    if p is None or half is None:
        return p, None, None
    n, plain = len(values), p * (1 - p) / len(values)
    g = len(set(clusters)) if clusters is not None else n
    if g < n:
        n = n / max(1.0, (half / t95(g - 1)) ** 2 / plain) if plain > 0 else g
    z2 = Z95 ** 2 / n
    centre, spread = (p + z2 / 2) / (1 + z2), Z95 / (1 + z2) * math.sqrt(p * (1 - p) / n + z2 / (4 * n))
    return p, max(0.0, centre - spread), min(1.0, centre + spread)


def by_matchup(scores: list[SideScore]) -> dict[tuple[str, str], list[SideScore]]:
    """Scores grouped by (agent, opponent)."""
    groups: dict[tuple[str, str], list[SideScore]] = defaultdict(list)
    for r in scores:
        groups[r.agent, r.opponent].append(r)
    return groups


def by_agent(scores: list[SideScore]) -> dict[str, list[SideScore]]:
    groups: dict[str, list[SideScore]] = defaultdict(list)
    for r in scores:
        groups[r.agent].append(r)
    return groups


def metric_sides(rows: list[SideScore]) -> dict[str, list[SideScore]]:
    """The sides each metric is averaged over: every side an agent played (a self-play dialogue counts once per
    side), but margin and fairness over the agreed dialogues only, since no deal has no price."""
    deals = [r for r in rows if r.agreed]
    return {"agreement_rate": rows, "utility": rows, "margin": deals, "fairness": deals, "length": rows}


def metric_value(metric: str, side: SideScore) -> float:
    return float(getattr(side, "agreed" if metric == "agreement_rate" else metric))


def agent_summary(rows: list[SideScore]) -> dict:
    """The dialogues an agent played, its sides (a self-play dialogue has two), the means of each metric over its
    sides (`metric_sides`), their 95% intervals as the leaderboard gives them ([low, high], or None), and the
    violations in all."""
    return {"dialogues": len(rows) - sum(r.opponent == r.agent for r in rows) // 2, "sides": len(rows),
            **{name: mean([metric_value(name, s) for s in sides]) for name, sides in metric_sides(rows).items()},
            "intervals_95": {name: interval(name, sides) for name, sides in metric_sides(rows).items()},
            "violations": sum(r.violations for r in rows)}


def metric_ci(metric: str, sides: list[SideScore]) -> tuple:
    """The metric over the sides with its 95% interval, the sides clustered by scenario: the agreement rate's
    (share, low, high) by Wilson, the other metrics' (mean, half-width)."""
    values, clusters = [metric_value(metric, s) for s in sides], [s.scenario for s in sides]
    return proportion_ci(values, clusters) if metric == "agreement_rate" else mean_ci(values, clusters)


BOUNDS = {"fairness": (-math.inf, 0.0), "length": (0.0, math.inf)}
"""What a metric can be (fairness is -|margin|; length counts messages): an interval stops there."""


def interval(metric: str, sides: list[SideScore]) -> list[float] | None:
    """The metric's 95% interval over the sides as [low, high], within what the metric can be; None where there is
    none (one scenario)."""
    ci = metric_ci(metric, sides)
    if metric == "agreement_rate":
        return [ci[1], ci[2]] if ci[1] is not None else None
    if ci[1] is None:
        return None
    least, most = BOUNDS.get(metric, (-math.inf, math.inf))
    return [max(least, ci[0] - ci[1]), min(most, ci[0] + ci[1])]


def pair_summary(a: str, b: str, of_a: list[SideScore], of_b: list[SideScore]) -> dict:
    deals_a, deals_b = [r for r in of_a if r.agreed], [r for r in of_b if r.agreed]
    return {
        "a": a, "b": b,
        "dialogues": len(of_a) // (2 if a == b else 1),
        "agreement_rate": mean([float(r.agreed) for r in of_a]),
        "utility_a": mean([r.utility for r in of_a]),
        "utility_b": mean([r.utility for r in of_b]),
        "margin_a": mean([r.margin for r in deals_a]),  # type: ignore[misc]
        "margin_b": mean([r.margin for r in deals_b]),  # type: ignore[misc]
        "length": mean([float(r.length) for r in of_a]),
        "violations_a": sum(r.violations for r in of_a),
        "violations_b": sum(r.violations for r in of_b),
    }


def summarize(agents: list[str], scores: list[SideScore]) -> dict:
    """results.json: {agents, mode, n_dialogues, per_agent, pairs}."""
    agent_rows, matchups = by_agent(scores), by_matchup(scores)
    return {
        "agents": agents,
        "mode": "acts",
        "n_dialogues": len(scores) // 2,
        "per_agent": {name: agent_summary(agent_rows[name]) for name in agents},
        "pairs": [pair_summary(a, b, matchups[a, b], matchups[b, a])
                  for a, b in combinations_with_replacement(agents, 2)],
    }


def _cell(m: float | None, half: float | None, width: int = 15) -> str:
    if m is None:
        return f"{'-':>{width}}"
    return f"{m:>7.3f} ± {half:.3f}".rjust(width) if half is not None else f"{m:>7.3f}".rjust(width)


def _share_cell(p: float | None, low: float | None, high: float | None, width: int = 18) -> str:
    if p is None:
        return f"{'-':>{width}}"
    return f"{p:.3f} ({low:.2f}-{high:.2f})".rjust(width) if low is not None else f"{p:.3f}".rjust(width)


LEADERBOARD_METRICS = ("agreement_rate", "utility", "margin", "fairness", "length")
"""The leaderboard's columns, in the order of its header."""


def metric_cell(metric: str, sides: list[SideScore]) -> str:
    """The metric over the sides as the leaderboard shows it, with its 95% interval, the sides clustered by
    scenario: the agreement rate's Wilson interval, the other metrics' means ± the half-width."""
    return _share_cell(*metric_ci(metric, sides)) if metric == "agreement_rate" else _cell(*metric_ci(metric, sides))


def leaderboard(agents: list[str], scores: list[SideScore]) -> str:
    """One line an agent, best mean utility first: the agreement rate with its 95% Wilson interval, the other
    metrics' means ± their 95% intervals, the sides clustered by scenario (one scenario's sides share its
    difficulty, so they are no independent draws)."""
    w = max([10] + [len(name) for name in agents])
    lines = [f"{'agent':<{w}} {'sides':>6} {'agreement':>18} {'utility':>15} {'margin':>15} "
             f"{'fairness':>15} {'length':>15} {'violations':>10}"]
    agent_rows = by_agent(scores)
    sides = {name: metric_sides(agent_rows[name]) for name in agents}
    for name in sorted(agents, key=lambda name: -(mean([s.utility for s in agent_rows[name]]) or 0.0)):
        mine = agent_rows[name]
        cells = [metric_cell(metric, sides[name][metric]) for metric in LEADERBOARD_METRICS]
        lines.append(" ".join([f"{name:<{w}}", f"{len(mine):>6}", *cells, f"{sum(r.violations for r in mine):>10}"]))
    return "\n".join(lines + ["", LEGEND])


LEGEND = """\
sides: dialogues played, each role apart. agreement: the share that ended in a deal. utility: to the agent's
principal, 1 at its target, 0 at its walk-away price or without a deal. margin (He et al. 2018, deals only): 1 at
the agent's target, -1 at the partner's, 0 halfway. fairness (deals only): -|margin|, 0 for an even split. length:
messages. violations: acts beyond the principal's authority. ± and (low-high): 95% intervals, the sides of one
scenario counted together."""


def plot_utility(agents: list[str], scores: list[SideScore], path: Path) -> None:
    """Heatmap: row agent's mean utility against the column opponent."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    index = {name: i for i, name in enumerate(agents)}
    sums = [[0.0] * len(agents) for _ in agents]
    counts = [[0] * len(agents) for _ in agents]
    for r in scores:
        i, j = index[r.agent], index[r.opponent]
        sums[i][j] += r.utility
        counts[i][j] += 1
    grid = [[s / c if c else math.nan for s, c in zip(srow, crow)] for srow, crow in zip(sums, counts)]
    size = 1.2 + 0.9 * len(agents)
    labels = 0.07 * max(map(len, agents))  # inches the tick labels take (rule+lm:runs/my-adapter)
    fig, ax = plt.subplots(figsize=(size + 1.5 + labels, size + labels))
    known = [v for row in grid for v in row if not math.isnan(v)]
    # 0 to 1 at least: a colour is one utility in every run
    image = ax.imshow(grid, cmap="viridis", vmin=min([0.0, *known]), vmax=max([1.0, *known]))
    ax.set_xticks(range(len(agents)), agents, rotation=45, ha="right")
    ax.set_yticks(range(len(agents)), agents)
    ax.set_xlabel("opponent")
    ax.set_ylabel("agent")
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if not math.isnan(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8,
                        color="w" if image.norm(value) < 0.5 else "k")  # dark text on light colours
    fig.colorbar(image, ax=ax, label="mean utility")
    ax.set_title("mean utility against each opponent (no deal: 0)")
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
