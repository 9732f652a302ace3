#!/usr/bin/env python3
"""oO off-policy evaluation: what another policy would have earned, from the log of the serving one.

    python3 ml/ope.py LOG.jsonl [--bootstrap 200] [--seed 1] [--min-decisions 100]

LOG.jsonl holds one decision per line:

    {"candidates": K, "groups": ["task", "advice", ...] (K labels, optional),
     "xs": [[...], ...] (K feature vectors of one version, optional),
     "action": i, "propensity": p, "reward": r,
     "targets": {"heuristic": j, ...}}

`action` is the index of the candidate served, `propensity` the probability the serving policy had
of serving it (as logged), `reward` what the person's reaction was worth (0 without one), and each
target is the index a policy would have picked there (a deterministic policy, such as a shadow
policy logged beside the serving one). The uniform random policy is always evaluated as "random".

For every target: IPS (mean of w r, w = pi(a) / p), SNIPS (sum w r / sum w) and DR (a direct model
q fitted on the log, corrected by w (r - q)), each with a 95 % bootstrap interval over
decisions, and the effective sample size (sum w)^2 / sum w^2, the number of decisions the estimate
is worth. The direct model is a ridge regression of the reward on the candidates' vectors when every
decision carries "xs" (so a feature version can be tried on a log older than it), else the mean
reward of each group. Also the logged policy's own mean reward. Refuses, with one clear line, a log without
propensities or smaller than --min-decisions. Output: one JSON object on stdout.

numpy makes a million decisions take seconds; without it the same computation runs in plain Python.
"""

import argparse
import json
import math
import os
import random
import sys

if __package__:
    from . import linucb
else:
    # Run as a script, as `oo ope` runs it: linucb.py sits next to this file.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True
    import linucb

try:
    import numpy
except ImportError:
    numpy = None


class Refused(Exception):
    """The log cannot support an estimate; the message says why."""


def read_log(lines):
    decisions = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except ValueError as error:
            raise Refused(f"line {number} is not JSON: {error}") from None
        k, action, propensity = row.get("candidates"), row.get("action"), row.get("propensity")
        if type(k) is not int or k < 1 or type(action) is not int or not 0 <= action < k:
            raise Refused(f"line {number}: candidates and action must be a count and an index into it")
        if type(propensity) not in (int, float) or not 0 < propensity <= 1:
            raise Refused(f"line {number}: no usable propensity (got {propensity!r}); only decisions logged with theirs can be evaluated")
        reward = row.get("reward") or 0.0
        groups = row.get("groups") or ["all"] * k
        if len(groups) != k:
            raise Refused(f"line {number}: groups must label each of the {k} candidates")
        xs = row.get("xs")
        if xs is not None and (
            type(xs) is not list or len(xs) != k or any(type(x) is not list or len(x) != len(xs[0]) or not all(type(v) in (int, float) for v in x) for x in xs)
        ):
            raise Refused(f"line {number}: xs must hold one vector of numbers, all of one length, for each of the {k} candidates")
        decisions.append({"k": k, "action": action, "propensity": float(propensity), "reward": float(reward), "groups": groups, "xs": xs, "targets": row.get("targets") or {}})
    return decisions


def linear_model(decisions, ridge=1.0):
    """Weights of a ridge regression of the reward on the served candidates' vectors."""
    d = len(decisions[0]["xs"][0])
    if any(len(decision["xs"][0]) != d for decision in decisions):
        raise Refused("xs must have one length across the log")
    a = [[ridge if i == j else 0.0 for j in range(d)] for i in range(d)]
    b = [0.0] * d
    for decision in decisions:
        x, r = decision["xs"][decision["action"]], decision["reward"]
        for i in range(d):
            b[i] += r * x[i]
            row = a[i]
            for j in range(d):
                row[j] += x[i] * x[j]
    a_inv = linucb.inverse(a)
    return [sum(row[j] * b[j] for j in range(d)) for row in a_inv]


def direct_model(decisions):
    """The mean reward of each group of candidate, from the served ones: the direct model of DR."""
    totals = {}
    for d in decisions:
        group = d["groups"][d["action"]]
        total = totals.setdefault(group, [0.0, 0])
        total[0] += d["reward"]
        total[1] += 1
    overall = sum(d["reward"] for d in decisions) / len(decisions)
    return {group: s / n for group, (s, n) in totals.items()}, overall


def direct_q(decisions):
    """q(decision, index): the direct model's expected reward of one candidate of a decision."""
    if all(d["xs"] is not None for d in decisions):
        weights = linear_model(decisions)
        return lambda d, index: sum(w * x for w, x in zip(weights, d["xs"][index]))
    model, overall = direct_model(decisions)
    return lambda d, index: model.get(d["groups"][index], overall)


def per_decision(decisions, target, q=None):
    """For one target: each decision's weight w, IPS term w r, and DR term."""
    q = q or direct_q(decisions)
    weights, ips, dr = [], [], []
    for d in decisions:
        k, action = d["k"], d["action"]
        if target == "random":
            probability = 1.0 / k
            expected_q = sum(q(d, index) for index in range(k)) / k
        else:
            pick = d["targets"].get(target)
            if type(pick) is not int or not 0 <= pick < k:
                raise Refused(f"a decision has no pick of {target}")
            probability = 1.0 if pick == action else 0.0
            expected_q = q(d, pick)
        w = probability / d["propensity"]
        weights.append(w)
        ips.append(w * d["reward"])
        dr.append(expected_q + w * (d["reward"] - q(d, action)))
    return weights, ips, dr


def estimates(weights, ips, dr):
    total_w = sum(weights)
    return {
        "ips": sum(ips) / len(ips),
        "snips": sum(ips) / total_w if total_w > 0 else None,
        "dr": sum(dr) / len(dr),
    }


def bootstrap(weights, ips, dr, rounds, rng):
    """95 % percentile intervals of the three estimates, resampling decisions with replacement."""
    n = len(weights)
    if numpy is not None:
        generator = numpy.random.default_rng(rng.randrange(2**32))
        w, i, r = numpy.asarray(weights), numpy.asarray(ips), numpy.asarray(dr)
        samples = {"ips": [], "snips": [], "dr": []}
        for _ in range(rounds):
            pick = generator.integers(0, n, n)
            sw = w[pick].sum()
            si = i[pick].sum()
            samples["ips"].append(si / n)
            samples["snips"].append(si / sw if sw > 0 else math.nan)
            samples["dr"].append(r[pick].mean())
    else:
        samples = {"ips": [], "snips": [], "dr": []}
        for _ in range(rounds):
            pick = [rng.randrange(n) for _ in range(n)]
            sw = sum(weights[j] for j in pick)
            si = sum(ips[j] for j in pick)
            samples["ips"].append(si / n)
            samples["snips"].append(si / sw if sw > 0 else math.nan)
            samples["dr"].append(sum(dr[j] for j in pick) / n)
    intervals = {}
    for name, values in samples.items():
        values = sorted(value for value in values if not math.isnan(value))
        if not values:
            intervals[name] = None
            continue
        low = values[int(0.025 * (len(values) - 1))]
        high = values[int(math.ceil(0.975 * (len(values) - 1)))]
        intervals[name] = [low, high]
    return intervals


def evaluate(decisions, rounds=200, seed=1, min_decisions=100):
    needed = max(1, min_decisions)
    if len(decisions) < needed:
        raise Refused(f"the log holds {len(decisions)} decisions; at least {needed} are needed for an estimate worth reading")
    rng = random.Random(seed)
    names = sorted({name for d in decisions for name in d["targets"]})
    q = direct_q(decisions)
    result = {"decisions": len(decisions), "logged": {"mean_reward": sum(d["reward"] for d in decisions) / len(decisions)}, "targets": {}}
    for target in ["random", *names]:
        try:
            weights, ips, dr = per_decision(decisions, target, q)
        except Refused as error:
            result["targets"][target] = {"error": str(error)}
            continue
        sum_w, sum_w2 = sum(weights), sum(w * w for w in weights)
        result["targets"][target] = {
            **estimates(weights, ips, dr),
            "intervals": bootstrap(weights, ips, dr, rounds, rng),
            "effective_sample_size": (sum_w * sum_w) / sum_w2 if sum_w2 > 0 else 0.0,
            "matched": sum(1 for w in weights if w > 0),
        }
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description="Off-policy evaluation over a decision log.")
    parser.add_argument("log", help="decisions as JSON lines ('-' for stdin)")
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-decisions", type=int, default=100)
    args = parser.parse_args(argv)
    try:
        if args.log == "-":
            decisions = read_log(sys.stdin)
        else:
            with open(args.log, encoding="utf-8") as file:
                decisions = read_log(file)
        result = evaluate(decisions, args.bootstrap, args.seed, args.min_decisions)
    except (Refused, OSError) as error:
        print(json.dumps({"error": str(error)}), flush=True)
        return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
