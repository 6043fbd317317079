"""Ways to order proposals beside the official weighted mean: median, Borda count, Schulze.

Pure functions over plain data, so they can be checked against brute force in tests.

- Median: the weighted sum of each criterion's median reviewer score (the chair's
  moderated value where there is one), robust to a single outlying reviewer.
- Borda count and Schulze take each reviewer's own ordering of the proposals they
  reviewed (by that reviewer's weighted score) as a ballot, as HotCRP does with its
  reviewers' rankings. Comparing a reviewer's proposals only with each other cancels out a
  harsh or lenient reviewer: the question they answer is "does the cut-line survive
  differences in how reviewers use the scale?". Moderated values are the chair's, not a
  reviewer's preference, so they do not enter the ballots.
- Borda with partial ballots: on a ballot of k proposals a proposal earns the share of the
  others it beats (a tie counts half), from 0 to 1; its Borda score is the mean over its
  ballots (0.5 when no ballot has two proposals).
- Schulze (winning votes): d[a][b] counts the ballots putting a above b; the strength of
  the strongest path decides, and a proposal ranks by how many others it beats. With a few
  proposals per reviewer the pairwise graph is sparse, so strongest paths are found level
  by level (a path of strength ≥ c exists where a proposal reaches another over links of
  at least c) with strongly connected components and bitsets, never the n³ matrix.

Every method breaks its own ties by the official order, so a difference between methods
is the method's and never an accident of tie-breaking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from statistics import median
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

MEDIAN = "median"
BORDA = "borda"
SCHULZE = "schulze"
METHODS = (MEDIAN, BORDA, SCHULZE)
METHOD_LABELS = {MEDIAN: "Median", BORDA: "Borda count", SCHULZE: "Schulze"}


def weighted(scores: Mapping[str, float], weights: Mapping[str, float]) -> float | None:
    """Σ weight × score ÷ Σ weight over the criteria scored (None when none is)."""
    total = sum(weights[k] for k in scores if k in weights)
    if total <= 0:
        return None
    return sum(weights[k] * v for k, v in scores.items() if k in weights) / total


def median_scores(
    points: Mapping[K, Mapping[str, Sequence[float]]],
    moderated: Mapping[K, Mapping[str, float]],
    weights: Mapping[str, float],
) -> dict[K, float]:
    """Weighted sum of per-criterion medians (moderated values win)."""
    found: dict[K, float] = {}
    for item, by_criterion in points.items():
        chair = moderated.get(item, {})
        per = {
            key: chair[key] if key in chair else median(values)
            for key, values in by_criterion.items()
            if values or key in chair
        }
        per.update({k: v for k, v in chair.items() if k not in per})
        score = weighted(per, weights)
        if score is not None:
            found[item] = score
    return found


def borda_scores(ballots: Sequence[Mapping[K, float]], items: Sequence[K]) -> dict[K, float]:
    """Mean normalised Borda points per item over the ballots holding it (0.5 if none)."""
    earned: dict[K, list[float]] = defaultdict(list)
    for ballot in ballots:
        k = len(ballot)
        if k < 2:
            continue
        ordered = sorted(ballot.values())
        for item, score in ballot.items():
            lower = _count_below(ordered, score)
            equal = _count_equal(ordered, score, lower) - 1
            earned[item].append((lower + 0.5 * equal) / (k - 1))
    return {i: (sum(earned[i]) / len(earned[i]) if earned[i] else 0.5) for i in items}


def _count_below(ordered: list[float], value: float) -> int:
    low, high = 0, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if ordered[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


def _count_equal(ordered: list[float], value: float, start: int) -> int:
    end = start
    while end < len(ordered) and ordered[end] == value:
        end += 1
    return end - start


def pairwise(ballots: Sequence[Mapping[K, float]]) -> dict[tuple[K, K], int]:
    """d[(a, b)]: how many ballots put a strictly above b."""
    d: dict[tuple[K, K], int] = defaultdict(int)
    for ballot in ballots:
        ordered = sorted(ballot.items(), key=lambda kv: kv[1], reverse=True)
        for i, (a, score_a) in enumerate(ordered):
            for b, score_b in ordered[i + 1 :]:
                if score_a > score_b:
                    d[(a, b)] += 1
    return d


def schulze_beaten(items: Sequence[K], d: Mapping[tuple[K, K], int]) -> dict[K, int]:
    """How many items each item beats under Schulze (strongest paths, winning votes)."""
    index = {item: n for n, item in enumerate(items)}
    links: dict[int, list[tuple[int, int]]] = defaultdict(list)  # strength → edges
    for (a, b), votes in d.items():
        if a in index and b in index and votes > d.get((b, a), 0):
            links[votes].append((index[a], index[b]))
    beaten = [0] * len(items)
    edges: list[tuple[int, int]] = []
    # From the strongest links down, G_c holds every link of strength ≥ c.
    for level in sorted(links, reverse=True):
        edges.extend(links[level])
        _beaten_at_level(len(items), edges, beaten)
    return {item: beaten[n].bit_count() for item, n in index.items()}


def _beaten_at_level(size: int, edges: list[tuple[int, int]], beaten: list[int]) -> None:
    """Add, for each node, the nodes it reaches that do not reach it back (bitsets)."""
    successors: list[list[int]] = [[] for _ in range(size)]
    for a, b in edges:
        successors[a].append(b)
    component = _components(size, successors)  # index in reverse topological order
    count = max(component, default=-1) + 1
    members = [0] * count
    for node, c in enumerate(component):
        members[c] |= 1 << node
    next_components: list[set[int]] = [set() for _ in range(count)]
    for a, b in edges:
        if component[a] != component[b]:
            next_components[component[a]].add(component[b])
    downstream = [0] * count
    # Tarjan numbers components so that every link goes to a lower number: fill upwards.
    for c in range(count):
        reach = 0
        for n in next_components[c]:
            reach |= members[n] | downstream[n]
        downstream[c] = reach
    for node in range(size):
        beaten[node] |= downstream[component[node]]


def _components(size: int, successors: list[list[int]]) -> list[int]:
    """Tarjan's strongly connected components, iteratively; a component's number is lower
    than that of every component linking to it."""
    order = [-1] * size
    low = [0] * size
    on_stack = [False] * size
    component = [-1] * size
    stack: list[int] = []
    counter = 0
    found = 0
    for root in range(size):
        if order[root] != -1:
            continue
        work = [(root, 0)]
        order[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            node, i = work[-1]
            if i < len(successors[node]):
                work[-1] = (node, i + 1)
                nxt = successors[node][i]
                if order[nxt] == -1:
                    order[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack[nxt] = True
                    work.append((nxt, 0))
                elif on_stack[nxt]:
                    low[node] = min(low[node], order[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == order[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component[member] = found
                    if member == node:
                        break
                found += 1
    return component


def order_by(official: Sequence[K], score: Mapping[K, float], higher_first: bool = True) -> list[K]:
    """`official` reordered by `score`, ties kept in official order (a stable sort)."""
    sign = -1 if higher_first else 1
    return sorted(official, key=lambda item: sign * score[item])
