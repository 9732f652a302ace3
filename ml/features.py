"""Context vectors, as ml/features.json defines each version: the Python side of the one spec.

Serving computes the same vectors in src/recommender/features.ts (in process, so a decision costs
no extra round trip); the simulator and off-policy evaluation compute them here. Both read the
spec and implement the same primitives, and ml/tests/test_features.py holds them to the same
vectors on shared fixtures (ml/tests/feature_fixtures.json, written by src/recommender/features.test.ts).

A candidate is a dict: kind ("todo" | "advice"), source, priority (1-4), category (or None),
due_at and added_at (ms since the epoch, or None). A clock is a dict: now (ms), hour (0-23, local)
and weekday (0 = Monday, local).
"""

import json
import math
import os

DAY_MS = 86_400_000
HOUR_MS = 3_600_000

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "features.json"), encoding="utf-8") as _file:
    SPEC = json.load(_file)

VERSIONS = SPEC["versions"]
SERVING = SPEC["serving"]
_AGE_CAP_DAYS = SPEC["constants"]["ageCapDays"]
_DUE_SOON_MS = SPEC["constants"]["dueSoonHours"] * HOUR_MS


def part_of_day(hour):
    """The part of the day an hour falls in, as src/recommender/candidates/index.ts has it."""
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def round4(value):
    """JavaScript's Math.round(value * 10000) / 10000 (halves up, unlike Python's round)."""
    return math.floor(value * 10_000 + 0.5) / 10_000


def _part(name):
    return lambda candidate, clock: 1.0 if part_of_day(clock["hour"]) == name else 0.0


def _age(candidate, clock):
    added = candidate.get("added_at")
    if added is None:
        return 0.0
    return min(max(0.0, (clock["now"] - added) / DAY_MS), _AGE_CAP_DAYS) / _AGE_CAP_DAYS


def _due_soon(candidate, clock):
    due = candidate.get("due_at")
    return 1.0 if due is not None and due >= clock["now"] and due - clock["now"] < _DUE_SOON_MS else 0.0


_PRIMITIVES = {
    "bias": lambda candidate, clock: 1.0,
    "todo": lambda candidate, clock: 1.0 if candidate["kind"] == "todo" else 0.0,
    "advice": lambda candidate, clock: 1.0 if candidate["kind"] == "advice" else 0.0,
    "llm": lambda candidate, clock: 1.0 if candidate.get("source") == "llm" else 0.0,
    "is_overdue": lambda candidate, clock: 1.0 if candidate.get("due_at") is not None and candidate["due_at"] < clock["now"] else 0.0,
    "due_soon": _due_soon,
    "task_age_days": _age,
    "priority": lambda candidate, clock: (min(max(candidate["priority"], 1), 4) - 1) / 3,
    "hour_of_day": lambda candidate, clock: clock["hour"] / 23,
    "day_of_week": lambda candidate, clock: clock["weekday"] / 6,
    "weekend": lambda candidate, clock: 1.0 if clock["weekday"] >= 5 else 0.0,
    "morning": _part("morning"),
    "afternoon": _part("afternoon"),
    "evening": _part("evening"),
    "night": _part("night"),
}


def _primitive(name):
    if name.startswith("category:"):
        category = name[len("category:") :]
        return lambda candidate, clock: 1.0 if candidate.get("category") == category else 0.0
    if name not in _PRIMITIVES:
        raise ValueError(f'ml/features.json: unknown feature primitive "{name}"')
    return _PRIMITIVES[name]


# Primitives that are 0 or 1 need no rounding; the simulator computes millions of vectors.
_BINARY = {"bias", "todo", "advice", "llm", "is_overdue", "due_soon", "weekend", "morning", "afternoon", "evening", "night"}


def _term(term):
    """The term as a function returning its rounded value."""
    names = term.split("*")
    factors = [_primitive(name) for name in names]
    binary = all(name in _BINARY or name.startswith("category:") for name in names)
    if len(factors) == 1:
        product = factors[0]
    elif len(factors) == 2:
        first, second = factors
        product = lambda candidate, clock: first(candidate, clock) * second(candidate, clock)
    else:
        product = lambda candidate, clock: math.prod(factor(candidate, clock) for factor in factors)
    return product if binary else lambda candidate, clock: round4(product(candidate, clock))


_COMPILED = {version: [_term(term) for term in terms] for version, terms in VERSIONS.items()}


def names(version):
    return list(VERSIONS[version])


def vector(candidate, clock, version=SERVING):
    """The candidate's context vector in `version`, rounded as serving rounds it."""
    return [term(candidate, clock) for term in _COMPILED[version]]


def dateless(candidate):
    """True when the vector depends on the clock and what the candidate is, not on time passing."""
    return candidate.get("due_at") is None and candidate.get("added_at") is None
