#!/usr/bin/env python3
"""oO simulator: simulated people react to the tips a policy picks, and the policies are compared.

    python3 ml/sim.py --people 1000 --days 30 --seed 7 --policies linucb,heuristic,random --features f1,f2

Each person has latent tastes over what oO can know of a candidate: its kind (a task or an advice),
the advice's theme, the part of the day and the weekend (routines), and a task's overdue, due-soon,
age and priority; plus tastes for single advices that no feature names. They open the tip page a
few times a day, react (or not), and oO's own rules hide what was snoozed, dismissed or done. Tasks
come and go; the advice library is the product's (`--advice FILE`, else the repository's seed).

Every policy meets the same people, the same tasks and the same visits (the world draws its
randomness from its own seeded streams, apart from the policy's), so their results differ only by
their picks. The oracle knows each person's tastes and picks the best expected reward at every
visit; regret is measured against it, and "gap closed" is (policy - random) / (oracle - random) in
mean expected reward per decision.

Output: JSON lines on stdout. {"event": "progress", ...} after each policy, and last
{"event": "summary", ...}: for each policy (and feature version, for linucb) the mean reward per
decision with a 95 % interval over people, regret, gap closed, reaction rates, and the same per
segment of people. LinUCB uses ml/linucb.py and the vectors of ml/features.py, as serving does.

Two policies measure limits rather than serve: `full-info` fits a feature version on every
candidate's true value at every visit (what the version can express at all), and
`expected-feedback` is LinUCB learning from each pick's expected reward instead of the person's
one reaction (what the noise of single reactions costs the learner).

With --prior-seed S, LinUCB starts each person from a population prior instead of from nothing:
a ridge fit of the rewards another cohort (seed S) gave LinUCB, worth --prior-strength
observations. What a product could learn from its earlier people, measured before it is built.
"""

import argparse
import concurrent.futures
import json
import math
import os
import random
import re
import sys
import time

if __package__:
    from . import features, linucb
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True
    import features
    import linucb

try:
    import numpy
except ImportError:  # the simulator needs it for LinUCB at this scale; random and heuristic run without
    numpy = None

# Policies that run in a feature version (`--features`): LinUCB; the full-information fit, which
# shows what a version can express at all; and LinUCB fed each pick's expected reward instead of
# the person's one reaction, which shows what the noise of single reactions costs.
VERSIONED = {"linucb", "full-info", "expected-feedback"}
LEARNING = {"linucb", "expected-feedback"}

HOUR = features.HOUR_MS
DAY = features.DAY_MS
START = 1_767_571_200_000  # Monday 2026-01-05 00:00 UTC; simulated people live in UTC

# The product's reaction rules (src/recommender/feedback.ts): the default rewards (the recommender.rewards setting), and how long each reaction hides.
REWARDS = {"done": 1.0, "snooze": 0.0, "dismiss": -1.0, "helpful": 0.5, "not_helpful": -0.5}
SNOOZE_MS = 3 * HOUR
DISMISS_MS = DAY
ADVICE_REST_MS = DAY

# How people react, given that they react: a liked task is done; a liked advice is done or marked
# helpful; a disliked task is snoozed or dismissed; a disliked advice is marked unhelpful or dismissed.
REACTIONS = {
    ("todo", True): (("done", 1.0),),
    ("advice", True): (("done", 0.3), ("helpful", 0.7)),
    ("todo", False): (("snooze", 0.5), ("dismiss", 0.5)),
    ("advice", False): (("not_helpful", 0.6), ("dismiss", 0.4)),
}
EXPECTED = {key: sum(REWARDS[action] * p for action, p in options) for key, options in REACTIONS.items()}

PARTS = ("morning", "afternoon", "evening", "night")

# The kinds of people, with their share and their tastes (weights of a latent utility; a positive
# reaction has probability sigmoid(utility)). "expressible" says whether the f2 features can
# express the taste: the picky like and dislike single advices, which no feature names.
SEGMENTS = {
    "task-doer": {
        "share": 0.25,
        "expressible": True,
        "kind": {"todo": 1.0, "advice": -1.2},
        "task": {"is_overdue": 1.5, "due_soon": 0.8, "task_age_days": 0.3, "priority": 1.5},
    },
    "evening-advice": {
        "share": 0.2,
        "expressible": True,
        "kind": {"todo": 0.3, "advice": 0.0},
        "parts": {"todo": {"morning": 1.0, "afternoon": 1.0, "evening": -1.5, "night": -1.5}, "advice": {"morning": -1.5, "afternoon": -1.0, "evening": 1.8, "night": 1.5}},
        "task": {"is_overdue": 0.8, "priority": 0.8},
    },
    "body-rest": {
        "share": 0.2,
        "expressible": True,
        "kind": {"todo": -0.3, "advice": 0.0},
        "categories": {"body": 2.0, "rest": 2.0, "*": -1.5},
        "task": {"is_overdue": 0.8, "priority": 0.5},
    },
    "weekend-off": {
        "share": 0.2,
        "expressible": True,
        "kind": {"todo": 0.6, "advice": -0.5},
        "weekend": {"todo": -2.5, "advice": 1.5},
        "task": {"is_overdue": 1.0, "priority": 1.0},
    },
    "picky": {
        "share": 0.15,
        "expressible": False,
        "kind": {"todo": 0.0, "advice": 0.0},
        "item_sigma": 2.0,
        "task": {"is_overdue": 0.5, "priority": 0.5},
    },
}
WEIGHT_JITTER = 0.3
ITEM_SIGMA = 0.3
REACT_RATE = 0.8
VISITS_PER_DAY = (4, 8)
WAKING_HOURS = (6, 24)
TASK_ARRIVALS_PER_DAY = 1.5
TASK_DROPS_PER_DAY = 0.03


def sigmoid(value):
    return 1.0 / (1.0 + math.exp(-value))


def expected_reward(kind, utility):
    liked = sigmoid(utility)
    return REACT_RATE * (liked * EXPECTED[(kind, True)] + (1 - liked) * EXPECTED[(kind, False)])


def pick_action(options, draw):
    """The action whose share of [0, 1) the draw falls in."""
    for action, share in options:
        if draw < share:
            return action
        draw -= share
    return options[-1][0]


def read_advice(path=None):
    """The advice library: from a JSON file (a list of {id, category, time_of_day, day_kind,
    priority}), or from the repository's seed migration."""
    if path:
        with open(path, encoding="utf-8") as file:
            rows = json.load(file)
        return [{"id": row["id"], "category": row["category"], "time_of_day": row["time_of_day"], "day_kind": row["day_kind"], "priority": row["priority"]} for row in rows]
    seed = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "migrations", "0002_advice_library.sql")
    with open(seed, encoding="utf-8") as file:
        text = file.read()
    pattern = re.compile(r"VALUES \('([^']+)', '(?:[^']|'')*', '([a-z]+)', '([a-z]+)', '([a-z]+)', (\d)")
    return [{"id": m[1], "category": m[2], "time_of_day": m[3], "day_kind": m[4], "priority": int(m[5])} for m in pattern.finditer(text)]


def heuristic_score(candidate, clock):
    """src/recommender/policies/heuristic.ts: overdue, then priority, then age; advice that fits now."""
    priority = candidate["priority"] * 100
    if candidate["kind"] == "advice":
        return priority + (50 if candidate.get("time_of_day") == features.part_of_day(clock["hour"]) else 0)
    due = candidate.get("due_at")
    overdue = 1000 if due is not None and due < clock["now"] else 0
    due_soon = 60 if due is not None and not overdue and due - clock["now"] < DAY else 0
    added = candidate.get("added_at")
    age = 0 if added is None else min(49, (clock["now"] - added) // DAY)
    return overdue + priority + due_soon + age


class Person:
    """Tastes, routine and the world's randomness of one simulated person (the same for every policy)."""

    def __init__(self, index, seed, library):
        rng = random.Random(f"{seed}:person:{index}")
        self.index = index
        names = list(SEGMENTS)
        self.segment = rng.choices(names, weights=[SEGMENTS[name]["share"] for name in names])[0]
        spec = SEGMENTS[self.segment]
        jitter = lambda value: value + rng.gauss(0, WEIGHT_JITTER)
        self.kind = {kind: jitter(spec["kind"].get(kind, 0.0)) for kind in ("todo", "advice")}
        parts = spec.get("parts", {})
        self.parts = {kind: {part: jitter(parts.get(kind, {}).get(part, 0.0)) for part in PARTS} for kind in ("todo", "advice")}
        self.weekend = {kind: jitter(spec.get("weekend", {}).get(kind, 0.0)) for kind in ("todo", "advice")}
        categories = spec.get("categories", {})
        self.categories = {}
        item_sigma = spec.get("item_sigma", ITEM_SIGMA)
        self.advice_static = []
        for advice in library:
            category = advice["category"]
            if category not in self.categories:
                self.categories[category] = jitter(categories.get(category, categories.get("*", 0.0)))
            self.advice_static.append(self.categories[category] + rng.gauss(0, item_sigma))
        self.task_weights = {name: jitter(spec["task"].get(name, 0.0)) for name in ("is_overdue", "due_soon", "task_age_days", "priority")}
        self.visits_per_day = rng.randint(*VISITS_PER_DAY)
        self._advice_cache = {}
        self.world_seed = f"{seed}:world:{index}"

    def advice_values(self, part, weekend):
        """Utilities and expected rewards of every advice in this part of the day and kind of day:
        they depend on nothing else, so each person computes them once per pair."""
        key = (part, weekend)
        cached = self._advice_cache.get(key)
        if cached is None:
            shift = self.kind["advice"] + self.parts["advice"][part] + (self.weekend["advice"] if weekend else 0.0)
            utilities = [shift + value for value in self.advice_static]
            cached = (utilities, [expected_reward("advice", u) for u in utilities])
            self._advice_cache[key] = cached
        return cached

    def utility(self, candidate, index, clock):
        kind = candidate["kind"]
        part = features.part_of_day(clock["hour"])
        value = self.kind[kind] + self.parts[kind][part] + (self.weekend[kind] if clock["weekday"] >= 5 else 0.0)
        if kind == "advice":
            return value + self.advice_static[index]
        w = self.task_weights
        now = clock["now"]
        due = candidate["due_at"]
        overdue = due is not None and due < now
        due_soon = due is not None and not overdue and due - now < DAY
        age = min(max(0.0, (now - candidate["added_at"]) / DAY), 30.0) / 30.0
        return value + w["is_overdue"] * overdue + w["due_soon"] * due_soon + w["task_age_days"] * age + w["priority"] * (candidate["priority"] - 1) / 3


def new_task(rng, task_id, added_at):
    due = None
    if rng.random() < 0.4:
        due = added_at + int(rng.uniform(-3, 7) * DAY)
    priority = rng.choices((1, 2, 3, 4), weights=(50, 25, 15, 10))[0]
    return {"id": task_id, "kind": "todo", "source": "todoist", "priority": priority, "category": None, "due_at": due, "added_at": added_at}


class World:
    """One person's tasks and visits over the days, drawn from the person's own seeded streams."""

    def __init__(self, person, days):
        rng = random.Random(person.world_seed)
        self.tasks = {}
        self.events = []  # (at, "add", task) and (at, "drop", task_id), in time order
        count = rng.randint(8, 25)
        for number in range(count):
            task = new_task(rng, f"t{number}", START - int(rng.uniform(0, 30) * DAY))
            self.tasks[task["id"]] = task
        number = count
        for day in range(days):
            for _ in range(self._poisson(rng, TASK_ARRIVALS_PER_DAY)):
                at = START + day * DAY + int(rng.uniform(0, DAY))
                self.events.append((at, "add", new_task(rng, f"t{number}", at)))
                number += 1
        self.events.sort(key=lambda event: event[0])
        self.drop_rng = random.Random(person.world_seed + ":drops")
        self.visits = []
        for day in range(days):
            hours = sorted(rng.uniform(*WAKING_HOURS) for _ in range(person.visits_per_day))
            self.visits.extend(START + day * DAY + int(hour * HOUR) for hour in hours)
        self.reaction_rng = random.Random(person.world_seed + ":reactions")

    @staticmethod
    def _poisson(rng, mean):
        count, threshold, product = 0, math.exp(-mean), rng.random()
        while product > threshold:
            count += 1
            product *= rng.random()
        return count


class LinUcbLearner:
    """LinUCB with one feature version. `explore` "uniform" spends epsilon on a candidate drawn
    uniformly; "mix" spends half of it on the heuristic's pick and half uniformly, which keeps the
    log useful for evaluating the heuristic. With `shadow`, a second LinUCB of that version learns
    from the same rewards and its picks are logged beside, as a shadow policy's are."""

    def __init__(self, version, alpha, epsilon, explore="uniform", shadow=None, prior=None):
        self.version = version
        self.alpha = alpha
        self.epsilon = epsilon
        self.explore = explore
        self.d = len(features.names(version))
        self.advice_cache = {}
        self.shadow = LinUcbLearner(shadow, alpha, 0.0) if shadow else None
        # (theta, strength): each person starts from theta as if `strength` times the identity had
        # been observed there (A = strength I, b = strength theta) instead of from nothing.
        self.prior = prior
        self.updates = None  # a list collects every (x, reward) learnt, when a prior is being fitted

    def start(self):
        model = RecordingModel(self.d, self.updates) if self.updates is not None else linucb.ArrayModel(self.d)
        if self.prior is not None:
            theta, strength = self.prior
            model.a_inv = numpy.eye(self.d) / strength
            model.b = strength * theta
        return model

    def advice_matrix(self, library, clock):
        key = (clock["hour"], clock["weekday"])
        matrix = self.advice_cache.get(key)
        if matrix is None:
            matrix = numpy.array([features.vector(advice, clock, self.version) for advice in library])
            self.advice_cache[key] = matrix
        return matrix


class RecordingModel(linucb.ArrayModel if numpy is not None else object):
    """An ArrayModel that also keeps every update, for fitting a population prior."""

    def __init__(self, d, updates):
        super().__init__(d)
        self.updates = updates

    def update(self, x, reward):
        self.updates.append((x, reward))
        super().update(x, reward)


def fit_prior(version, args, library):
    """A population prior for `version`: LinUCB meets another cohort (seed --prior-seed, as many
    people and days), and a ridge fit of every reward on its vector gives what people share."""
    learner = LinUcbLearner(version, args.alpha, args.epsilon, args.explore)
    learner.updates = []
    people = [Person(index, args.prior_seed, library) for index in range(args.people)]
    run_policy("linucb", learner, people, library, args.days, args.prior_seed)
    xs = numpy.array([x for x, _ in learner.updates]).reshape(-1, learner.d)
    rewards = numpy.array([reward for _, reward in learner.updates])
    return numpy.linalg.solve(numpy.eye(learner.d) + xs.T @ xs, xs.T @ rewards)


def learner_rows(learner, visible_tasks, library_candidates, visible_advice, clock):
    """The candidates' vectors in the learner's version: tasks now, advice from the clock's cache."""
    rows = [features.vector(task, clock, learner.version) for task in visible_tasks]
    advice_rows = learner.advice_matrix(library_candidates, clock)[visible_advice]
    return numpy.vstack([numpy.array(rows).reshape(len(rows), learner.d), advice_rows])


def run_policy(name, learner, people, library, days, seed, log=None):
    """Every person's decisions under one policy; returns per-person totals. With `log` (a list),
    a LinUCB run appends each decision as ml/ope.py reads it, with the true expected reward of each
    target's pick there ("truth"), so an evaluation can be checked."""
    results = []
    library_candidates = [
        {"kind": "advice", "source": "advice", "priority": a["priority"], "category": a["category"], "due_at": None, "added_at": None, "time_of_day": a["time_of_day"], "day_kind": a["day_kind"]}
        for a in library
    ]
    advice_ids = [advice["id"] for advice in library]
    # Only the advice whose hints fit the part of the day and the kind of day competes (as in the pool).
    fitting = {
        (part, day_kind): [i for i, a in enumerate(library) if a["time_of_day"] in ("any", part) and a["day_kind"] in ("any", day_kind)]
        for part in PARTS
        for day_kind in ("weekday", "weekend")
    }
    noon = {"morning": 9, "afternoon": 14, "evening": 19, "night": 23}
    advice_scores = {part: [heuristic_score(candidate, {"now": 0, "hour": noon[part], "weekday": 0}) for candidate in library_candidates] for part in PARTS}
    for person in people:
        world = World(person, days)
        policy_rng = random.Random(f"{seed}:policy:{name}:{person.index}")
        model = learner.start() if learner and name in LEARNING else None
        if name == "full-info":
            full_a, full_b = numpy.eye(learner.d), numpy.zeros(learner.d)
        shadow_model = learner.shadow.start() if learner and learner.shadow else None
        hidden = {}  # candidate key -> hidden until
        tasks = dict(world.tasks)
        events = world.events
        next_event = 0
        totals = {"decisions": 0, "expected": 0.0, "oracle": 0.0, "random": 0.0, "realized": 0.0, "reactions": 0, "positive": 0, "todo": 0}
        # The last third of the days, once a learner has had time: how far learning goes.
        late_from = START + (2 * days // 3) * DAY
        late = {"decisions": 0, "expected": 0.0, "oracle": 0.0, "random": 0.0}
        for at in world.visits:
            while next_event < len(events) and events[next_event][0] <= at:
                _, _, task = events[next_event]
                tasks[task["id"]] = task
                next_event += 1
            # The same draws at every visit whatever happens, so every policy meets the same world.
            drop, which = world.drop_rng.random(), world.drop_rng.random()
            react, like, pick = world.reaction_rng.random(), world.reaction_rng.random(), world.reaction_rng.random()
            # Tasks finished or deleted outside oO.
            if tasks and drop < len(tasks) * TASK_DROPS_PER_DAY / person.visits_per_day:
                ordered = sorted(tasks)
                del tasks[ordered[int(which * len(ordered))]]
            clock = {"now": at, "hour": int((at % DAY) // HOUR), "weekday": int(((at - START) // DAY) % 7)}
            part = features.part_of_day(clock["hour"])
            day_kind = "weekend" if clock["weekday"] >= 5 else "weekday"
            visible_tasks = [task for task in tasks.values() if hidden.get(task["id"], 0) <= at]
            visible_advice = [index for index in fitting[(part, day_kind)] if hidden.get(advice_ids[index], 0) <= at]
            candidates = visible_tasks + [library_candidates[index] for index in visible_advice]
            if not candidates:
                continue
            advice_utilities, advice_values = person.advice_values(part, day_kind == "weekend")
            task_utilities = [person.utility(task, None, clock) for task in visible_tasks]
            utilities = task_utilities + [advice_utilities[index] for index in visible_advice]
            values = [expected_reward("todo", u) for u in task_utilities] + [advice_values[index] for index in visible_advice]
            if name == "full-info":
                # The ceiling of the feature version: a ridge fit on the true expected value of every
                # candidate at every visit so far (no noise, no single reaction), then its best pick.
                xs = learner_rows(learner, visible_tasks, library_candidates, visible_advice, clock)
                chosen = int(numpy.argmax(xs @ numpy.linalg.solve(full_a, full_b)))
                full_a += xs.T @ xs
                full_b += xs.T @ numpy.array(values)
            elif name == "random":
                chosen = policy_rng.randrange(len(candidates))
            elif name == "heuristic":
                scores = [heuristic_score(task, clock) for task in visible_tasks] + [advice_scores[part][index] for index in visible_advice]
                chosen = scores.index(max(scores))
            else:
                xs = learner_rows(learner, visible_tasks, library_candidates, visible_advice, clock)
                greedy = int(numpy.argmax(model.scores(xs, learner.alpha)))
                k = len(candidates)
                heuristic = None
                if learner.explore == "mix" or log is not None:
                    scores = [heuristic_score(task, clock) for task in visible_tasks] + [advice_scores[part][index] for index in visible_advice]
                    heuristic = scores.index(max(scores))
                explore, which, uniform = policy_rng.random(), policy_rng.random(), policy_rng.randrange(k)
                if learner.epsilon > 0 and explore < learner.epsilon:
                    chosen = heuristic if learner.explore == "mix" and which < 0.5 else uniform
                else:
                    chosen = greedy
                if log is not None:
                    if learner.explore == "mix":
                        propensity = (1 - learner.epsilon) * (chosen == greedy) + learner.epsilon / 2 * (chosen == heuristic) + learner.epsilon / 2 / k
                    else:
                        propensity = (1 - learner.epsilon) * (chosen == greedy) + learner.epsilon / k
                    targets = {"heuristic": heuristic}
                    if shadow_model is not None:
                        shadow_xs = learner_rows(learner.shadow, visible_tasks, library_candidates, visible_advice, clock)
                        targets[f"linucb-{learner.shadow.version}"] = int(numpy.argmax(shadow_model.scores(shadow_xs, learner.alpha)))
                    entry = {
                        "candidates": k,
                        "groups": [c["kind"] for c in candidates],
                        "action": chosen,
                        "propensity": propensity,
                        "reward": 0.0,
                        "targets": targets,
                        "truth": {"random": sum(values) / k, **{name: values[pick] for name, pick in targets.items()}},
                    }
                    log.append(entry)
            candidate = candidates[chosen]
            totals["decisions"] += 1
            totals["expected"] += values[chosen]
            totals["oracle"] += max(values)
            totals["random"] += sum(values) / len(values)
            totals["todo"] += candidate["kind"] == "todo"
            if at >= late_from:
                late["decisions"] += 1
                late["expected"] += values[chosen]
                late["oracle"] += max(values)
                late["random"] += sum(values) / len(values)
            if react >= REACT_RATE:
                continue
            if name == "expected-feedback":
                # As often as LinUCB learns (when the person reacts), the mean of the rewards this
                # person gives this pick when they react: no coin flips of like or action.
                model.update(xs[chosen], values[chosen] / REACT_RATE)
            liked = like < sigmoid(utilities[chosen])
            action = pick_action(REACTIONS[(candidate["kind"], liked)], pick)
            reward = REWARDS[action]
            totals["reactions"] += 1
            totals["positive"] += liked
            totals["realized"] += reward
            if name == "linucb":
                model.update(xs[chosen], reward)
                if log is not None:
                    entry["reward"] = reward
                if shadow_model is not None:
                    shadow_model.update(shadow_xs[chosen], reward)
            key = candidate["id"] if candidate["kind"] == "todo" else library[visible_advice[chosen - len(visible_tasks)]]["id"]
            if candidate["kind"] == "todo" and action == "done":
                tasks.pop(key, None)
            elif action == "snooze":
                hidden[key] = at + SNOOZE_MS
            elif action == "dismiss":
                hidden[key] = at + DISMISS_MS
            elif candidate["kind"] == "advice":
                hidden[key] = at + ADVICE_REST_MS
            else:
                hidden[key] = at + SNOOZE_MS
        results.append({"person": person.index, "segment": person.segment, **totals, "late": late})
    return results


def interval(values):
    """Mean and its 95 % normal interval."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return {"mean": mean, "low": mean, "high": mean}
    sd = math.sqrt(sum((value - mean) ** 2 for value in values) / (n - 1))
    half = 1.96 * sd / math.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half}


def summarize(results):
    people = [r for r in results if r["decisions"] > 0]
    if not people:
        return None
    per = lambda key: [r[key] / r["decisions"] for r in people]
    decisions = sum(r["decisions"] for r in people)
    value = interval(per("expected"))
    oracle = sum(r["oracle"] for r in people) / decisions
    uniform = sum(r["random"] for r in people) / decisions
    mean = sum(r["expected"] for r in people) / decisions
    gap = oracle - uniform
    late = {key: sum(r["late"][key] for r in people) for key in ("decisions", "expected", "oracle", "random")}
    late_gap = late["oracle"] - late["random"]
    return {
        "people": len(people),
        "decisions": decisions,
        "reward": value,
        "reward_per_decision": mean,
        "realized_per_decision": sum(r["realized"] for r in people) / decisions,
        "oracle": oracle,
        "random_baseline": uniform,
        "regret": oracle - mean,
        "gap_closed": (mean - uniform) / gap if gap > 0 else None,
        "gap_closed_last_third": (late["expected"] - late["random"]) / late_gap if late_gap > 0 else None,
        "reaction_rate": sum(r["reactions"] for r in people) / decisions,
        "positive_rate": sum(r["positive"] for r in people) / max(1, sum(r["reactions"] for r in people)),
        "tasks_shown": sum(r["todo"] for r in people) / decisions,
    }


def run_one(name, version, args, library):
    """One policy (and feature version) over every person: its summary, overall and per segment;
    for the run that logs (the first LinUCB version, with --log), its decisions."""
    people = [Person(index, args.seed, library) for index in range(args.people)]
    logging = bool(args.log) and name == "linucb" and version == args.features.split(",")[0].strip()
    shadow = args.log_shadow if logging and args.log_shadow else None
    prior = (fit_prior(version, args, library), args.prior_strength) if name == "linucb" and args.prior_seed is not None else None
    learner = LinUcbLearner(version, args.alpha, args.epsilon, args.explore, shadow, prior) if name in VERSIONED else None
    log = [] if logging else None
    results = run_policy(name, learner, people, library, args.days, args.seed, log)
    segments = {segment: summarize([r for r in results if r["segment"] == segment]) for segment in SEGMENTS}
    return {"policy": f"{name}/{version}" if version else name, "overall": summarize(results), "segments": segments, "log": log}


class Arguments(argparse.ArgumentParser):
    """Bad arguments are one JSON line on stdout, as every other error of the simulator."""

    def error(self, message):
        print(json.dumps({"event": "error", "error": message}), flush=True)
        sys.exit(2)


def main(argv=None):
    parser = Arguments(description="Simulated people meet oO's policies.")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--policies",
        default="linucb,heuristic,random",
        help="linucb, heuristic, random; full-info: the ceiling of a feature version (a fit on every candidate's true value at every visit); expected-feedback: LinUCB learning from each pick's expected reward instead of one reaction",
    )
    parser.add_argument("--features", default=features.SERVING, help="feature versions LinUCB (and full-info) run with, comma list")
    parser.add_argument("--alpha", type=float, default=0.3, help="LinUCB's bonus weight (the product's default)")
    parser.add_argument("--epsilon", type=float, default=0.1, help="LinUCB's exploration (the product's default)")
    parser.add_argument("--advice", help="the advice library as JSON (default: the repository's seed)")
    parser.add_argument("--explore", choices=("uniform", "mix"), default="mix", help="how LinUCB spends epsilon: half on the heuristic's pick and half uniformly (as the product), or all uniformly")
    parser.add_argument("--log", help="write the first LinUCB version's decisions here, as ml/ope.py reads them")
    parser.add_argument("--log-shadow", help="with --log: a LinUCB of this feature version learns alongside, and its picks are logged")
    parser.add_argument("--prior-seed", type=int, help="LinUCB starts each person from a population prior fitted on another cohort of as many people and days, drawn with this seed")
    parser.add_argument("--prior-strength", type=float, default=3.0, help="with --prior-seed: how many observations the prior is worth (A = strength I)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once (default: one per core)")
    args = parser.parse_args(argv)

    def fail(message):
        print(json.dumps({"event": "error", "error": message}), flush=True)
        return 2

    policies = [name.strip() for name in args.policies.split(",") if name.strip()]
    versions = [name.strip() for name in args.features.split(",") if name.strip()]
    known = ("linucb", "heuristic", "random", "full-info", "expected-feedback")
    unknown = [name for name in policies if name not in known]
    if unknown:
        return fail(f"unknown policy {unknown[0]}; known: {', '.join(known)}")
    if [name for name in versions if name not in features.VERSIONS]:
        return fail(f"unknown feature version; known: {', '.join(features.VERSIONS)}")
    if args.people < 1 or args.days < 1:
        return fail("--people and --days must be at least 1")
    if args.prior_seed is not None and (args.prior_seed == args.seed or not args.prior_strength > 0):
        return fail("--prior-seed must differ from --seed (the prior comes from other people), and --prior-strength must be positive")
    if VERSIONED.intersection(policies) and numpy is None:
        return fail("linucb, full-info and expected-feedback in the simulator need numpy (pip install numpy)")

    started = time.perf_counter()
    library = read_advice(args.advice)
    jobs = [(name, version) for name in policies for version in (versions if name in VERSIONED else [None])]
    runs = {}
    # The runs are independent: one process each, as many at once as there are cores.
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, min(args.jobs, len(jobs)))) as pool:
        pending = {pool.submit(run_one, name, version, args, library): (name, version) for name, version in jobs}
        for done in concurrent.futures.as_completed(pending):
            run = done.result()
            runs[run["policy"]] = run
            overall = run["overall"]
            print(json.dumps({"event": "progress", "policy": run["policy"], "reward_per_decision": overall["reward_per_decision"], "gap_closed": overall["gap_closed"], "seconds": round(time.perf_counter() - started, 2)}), flush=True)
    runs = [runs[f"{name}/{version}" if version else name] for name, version in jobs]
    logged = next((run["log"] for run in runs if run["log"] is not None), None)
    truth = None
    if logged is not None:
        with open(args.log, "w", encoding="utf-8") as file:
            for entry in logged:
                file.write(json.dumps(entry) + "\n")
        names = logged[0]["truth"].keys() if logged else []
        truth = {name: sum(entry["truth"][name] for entry in logged) / len(logged) for name in names}
    summary = {
        "event": "summary",
        "people": args.people,
        "days": args.days,
        "seed": args.seed,
        "alpha": args.alpha,
        "epsilon": args.epsilon,
        "prior": None if args.prior_seed is None else {"seed": args.prior_seed, "strength": args.prior_strength},
        "segments": {name: {"share": spec["share"], "expressible": spec["expressible"]} for name, spec in SEGMENTS.items()},
        "policies": {run["policy"]: {"mean_reward": run["overall"]["reward_per_decision"], **run["overall"], "segments": run["segments"]} for run in runs},
        "seconds": round(time.perf_counter() - started, 2),
    }
    if truth is not None:
        summary["log"] = {"path": args.log, "decisions": len(logged), "true_values": truth}
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
