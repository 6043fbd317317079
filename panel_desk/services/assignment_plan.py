"""Choosing review teams: pure planning, no database, so it is fast and can be tested hard.

Each submission needs a team of `size` reviewers that together hold every tag of the
stage's expertise mix, none of them kept off it by a conflict, none above `max_load`
reviews in the round, with the load spread as evenly as the mix allows. A submission for
which no such team exists gets a reason and nobody new (never half a team).

How it stays fast (20,000 submissions × 3 from 2,000 reviewers): reviewers with the same
relevant tags form a class, each class keeps a heap of its members by load, and a team is
found by covering the submission's rarest missing tag first, trying for each distinct
combination of tags only the least-loaded member who is free. Hardest submissions (the
rarest expertise) are staffed first, while the people they need are still free.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Task:
    """A submission to staff: the tags its team must hold, who is on it, who may not be."""

    id: int
    ref: str
    needs: frozenset[str]
    team: tuple[int, ...] = ()
    blocked: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Outcome:
    submission_id: int
    ref: str
    team: tuple[int, ...]  # everyone on the team afterwards, existing members first
    added: tuple[int, ...]
    reason: str = ""  # why no valid team exists; empty when staffed

    @property
    def staffed(self) -> bool:
        return not self.reason


@dataclass
class _Pool:
    """Reviewers by class (their relevant tags), each class a heap of (load, id)."""

    tags: dict[int, frozenset[str]]
    loads: dict[int, int]
    max_load: int | None
    heaps: dict[frozenset[str], list[tuple[int, int]]] = field(default_factory=dict)
    everyone: list[tuple[int, int]] = field(default_factory=list)
    holders: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for pid, tags in self.tags.items():
            for tag in tags:
                self.holders[tag].append(pid)
            self.heaps.setdefault(tags, []).append((self.loads.get(pid, 0), pid))
            self.everyone.append((self.loads.get(pid, 0), pid))
        for heap in [*self.heaps.values(), self.everyone]:
            heapq.heapify(heap)

    def full(self, pid: int) -> bool:
        return self.max_load is not None and self.loads.get(pid, 0) >= self.max_load

    def best(self, heap: list[tuple[int, int]], excluded: set[int] | frozenset[int]) -> int | None:
        """The least-loaded free member of `heap` not in `excluded` (left in the heap)."""
        aside: list[tuple[int, int]] = []
        found = None
        while heap:
            load, pid = heap[0]
            if load != self.loads.get(pid, 0) or self.full(pid):
                heapq.heappop(heap)  # stale (a newer entry exists) or full for good
            elif pid in excluded:
                aside.append(heapq.heappop(heap))
            else:
                found = pid
                break
        for entry in aside:
            heapq.heappush(heap, entry)
        return found

    def take(self, pid: int) -> None:
        self.loads[pid] = self.loads.get(pid, 0) + 1
        entry = (self.loads[pid], pid)
        heapq.heappush(self.heaps[self.tags[pid]], entry)
        heapq.heappush(self.everyone, entry)


def plan_teams(
    tasks: Sequence[Task],
    reviewers: dict[int, Iterable[str]],
    size: int,
    max_load: int | None = None,
    loads: dict[int, int] | None = None,
) -> list[Outcome]:
    """A team for every task that can have one; `loads` counts reviews already held."""
    universe = frozenset().union(*(t.needs for t in tasks)) if tasks else frozenset()
    tags = {pid: frozenset(t) & universe for pid, t in reviewers.items()}
    pool = _Pool(tags, dict(loads or {}), max_load)
    holders = {tag: len(people) for tag, people in pool.holders.items()}
    classes_for: dict[frozenset[str], list[frozenset[str]]] = {}
    outcomes = []
    order = sorted(
        tasks, key=lambda t: (min((holders.get(n, 0) for n in t.needs), default=0), t.ref)
    )
    for task in order:
        if task.needs not in classes_for:
            classes_for[task.needs] = [c for c in pool.heaps if c & task.needs]
        outcomes.append(_staff(task, pool, size, classes_for[task.needs]))
    position = {t.id: n for n, t in enumerate(tasks)}
    outcomes.sort(key=lambda o: position[o.submission_id])
    return outcomes


def _staff(task: Task, pool: _Pool, size: int, classes: list[frozenset[str]]) -> Outcome:
    team = list(task.team)
    held: set[str] = set()
    for pid in team:
        held.update(pool.tags.get(pid, frozenset()))
    missing = task.needs - held
    slots = size - len(team)
    if slots <= 0:
        reason = ""
        if missing:
            reason = f"its team is full but lacks {_tags(missing)}"
        return Outcome(task.id, task.ref, tuple(team), (), reason)
    excluded = set(task.blocked) | set(team)
    # The least-loaded free member for each distinct combination of the missing tags.
    offers: dict[frozenset[str], tuple[int, int]] = {}
    if missing:
        for cls in classes:
            covers = cls & missing
            if not covers:
                continue
            pid = pool.best(pool.heaps[cls], excluded)
            if pid is None:
                continue
            load = pool.loads.get(pid, 0)
            if covers not in offers or (load, pid) < offers[covers]:
                offers[covers] = (load, pid)
    chosen = _cover(missing, slots, offers)
    if chosen is None:
        return Outcome(task.id, task.ref, tuple(team), (), _why(task, pool, missing, slots))
    added = list(chosen)
    excluded |= set(added)
    while len(added) < slots:
        pid = pool.best(pool.everyone, excluded)
        if pid is None:
            reason = (
                f"only {len(team) + len(added)} of the {size} reviewers needed are free of "
                "conflicts and under the load limit"
            )
            return Outcome(task.id, task.ref, tuple(team), (), reason)
        added.append(pid)
        excluded.add(pid)
    for pid in added:
        pool.take(pid)
    return Outcome(task.id, task.ref, tuple(team + added), tuple(added))


def _cover(
    missing: frozenset[str], slots: int, offers: dict[frozenset[str], tuple[int, int]]
) -> list[int] | None:
    """At most `slots` offered people who together hold every missing tag: the rarest tag
    is covered first, least-loaded offers tried first; None when no combination does."""
    if not missing:
        return []
    if slots == 0:
        return None
    counts = {tag: sum(1 for c in offers if tag in c) for tag in missing}
    rarest = min(missing, key=lambda tag: (counts[tag], tag))
    options = sorted(
        (c for c in offers if rarest in c), key=lambda c: (offers[c][0], -len(c & missing))
    )
    for covers in options:
        pid = offers[covers][1]
        rest = {c: o for c, o in offers.items() if o[1] != pid}
        found = _cover(missing - covers, slots - 1, rest)
        if found is not None:
            return [pid, *found]
    return None


def _why(task: Task, pool: _Pool, missing: frozenset[str], slots: int) -> str:
    reasons = []
    for tag in sorted(missing):
        people = pool.holders.get(tag, [])
        conflicted = sum(1 for p in people if p in task.blocked)
        full = sum(1 for p in people if p not in task.blocked and pool.full(p))
        free = len(people) - conflicted - full
        if free == 0:
            detail = f"{len(people)} hold it" if people else "nobody holds it"
            extra = [f"{conflicted} conflicted"] if conflicted else []
            extra += [f"{full} at the load limit"] if full else []
            reasons.append(f"no free reviewer for {tag} ({', '.join([detail, *extra])})")
    if reasons:
        return "; ".join(reasons)
    return f"no {slots} free reviewers together cover {_tags(missing)}"


def _tags(tags: Iterable[str]) -> str:
    return ", ".join(sorted(tags))


def missing_tags(needs: Iterable[str], team_tags: Iterable[Iterable[str]]) -> list[str]:
    """The needs no member of the team holds."""
    held: set[str] = set()
    for tags in team_tags:
        held.update(tags)
    return sorted(set(needs) - held)
