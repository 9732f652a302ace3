"""Tests of ml/sim.py. Run from the repository root: python3 -m unittest discover -s ml/tests -t ."""

import argparse
import contextlib
import io
import json
import random
import unittest

import os
import tempfile

from ml import linucb, ope, sim


def run(*args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = sim.main(list(args))
        except SystemExit as stop:  # argparse's errors
            code = stop.code
    lines = [json.loads(line) for line in out.getvalue().strip().split("\n")]
    return code, lines


@unittest.skipIf(linucb.numpy is None, "the simulator's LinUCB needs numpy")
class SimulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        code, lines = run("--people", "60", "--days", "21", "--seed", "5", "--features", "f1,f2")
        assert code == 0
        cls.lines = lines
        cls.summary = lines[-1]

    def test_json_lines_progress_then_a_summary_with_each_policy(self):
        self.assertEqual([line["event"] for line in self.lines], ["progress"] * 4 + ["summary"])
        self.assertEqual(set(self.summary["policies"]), {"linucb/f1", "linucb/f2", "heuristic", "random"})
        for result in self.summary["policies"].values():
            self.assertLessEqual(result["reward"]["low"], result["mean_reward"])
            self.assertLessEqual(result["mean_reward"], result["oracle"] + 1e-12)
            self.assertEqual(set(result["segments"]), set(sim.SEGMENTS))

    def test_every_policy_meets_the_same_people_and_visits(self):
        decisions = {name: result["decisions"] for name, result in self.summary["policies"].items()}
        self.assertEqual(len(set(decisions.values())), 1, decisions)

    def test_random_closes_no_gap_and_learning_closes_more_with_richer_features(self):
        policies = self.summary["policies"]
        self.assertLess(abs(policies["random"]["gap_closed"]), 0.05)
        self.assertGreater(policies["linucb/f1"]["gap_closed"], policies["random"]["gap_closed"] + 0.1)
        self.assertGreater(policies["linucb/f2"]["gap_closed"], policies["linucb/f1"]["gap_closed"] + 0.1)

    def test_the_ceilings_show_what_features_and_noisy_reactions_cost(self):
        _, lines = run("--people", "60", "--days", "14", "--seed", "5", "--policies", "full-info,expected-feedback,linucb,random", "--features", "f2")
        policies = lines[-1]["policies"]
        self.assertEqual(set(policies), {"full-info/f2", "expected-feedback/f2", "linucb/f2", "random"})
        # Fed the true value of every candidate, the fit closes more of the gap than learning from reactions, never more than all of it.
        self.assertGreater(policies["full-info/f2"]["gap_closed"], policies["linucb/f2"]["gap_closed"])
        self.assertLessEqual(policies["full-info/f2"]["gap_closed"], 1.0)
        # The same learner fed each pick's expected reward instead of one reaction learns clearly more.
        self.assertGreater(policies["expected-feedback/f2"]["gap_closed"], policies["linucb/f2"]["gap_closed"] + 0.05)
        self.assertEqual(policies["expected-feedback/f2"]["decisions"], policies["linucb/f2"]["decisions"])

    def test_the_same_seed_gives_the_same_results_and_another_seed_others(self):
        strip = lambda summary: {name: result["mean_reward"] for name, result in summary["policies"].items()}
        _, again = run("--people", "12", "--days", "5", "--seed", "9", "--policies", "linucb,random")
        _, same = run("--people", "12", "--days", "5", "--seed", "9", "--policies", "linucb,random")
        _, other = run("--people", "12", "--days", "5", "--seed", "10", "--policies", "linucb,random")
        self.assertEqual(strip(again[-1]), strip(same[-1]))
        self.assertNotEqual(strip(again[-1]), strip(other[-1]))


@unittest.skipIf(linucb.numpy is None, "the simulator's LinUCB needs numpy")
class LogTest(unittest.TestCase):
    def test_a_logged_run_writes_what_ope_reads_with_exact_propensities_and_the_truth_beside(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "log.jsonl")
            code, lines = run("--people", "20", "--days", "7", "--seed", "2", "--policies", "linucb", "--features", "f2",
                              "--epsilon", "0.3", "--explore", "mix", "--log", path, "--log-shadow", "f1")
            self.assertEqual(code, 0)
            summary = lines[-1]
            with open(path, encoding="utf-8") as file:
                logged = [json.loads(line) for line in file]
            self.assertEqual(len(logged), summary["log"]["decisions"])
            self.assertEqual(len(logged), summary["policies"]["linucb/f2"]["decisions"])
            self.assertEqual(set(summary["log"]["true_values"]), {"random", "heuristic", "linucb-f1"})
            for entry in logged:
                k = entry["candidates"]
                # 0.7 on the greedy pick, 0.15 on the heuristic's, 0.15 / K on each: the one served has at least 0.15 / K.
                self.assertGreaterEqual(entry["propensity"], 0.15 / k - 1e-12)
                self.assertLessEqual(entry["propensity"], 1.0 + 1e-12)
                self.assertEqual(set(entry["targets"]), {"heuristic", "linucb-f1"})
            result = ope.evaluate(ope.read_log([json.dumps(entry) for entry in logged]), rounds=50)
            self.assertGreater(result["targets"]["heuristic"]["effective_sample_size"], 0.1 * len(logged))


class ArgumentsTest(unittest.TestCase):
    def test_bad_arguments_are_one_error_line_and_exit_2(self):
        for args, message in (
            (["--policies", "greedy"], "unknown policy greedy"),
            (["--features", "f9"], "unknown feature version"),
            (["--people", "0"], "at least 1"),
            (["--seed", "3", "--prior-seed", "3"], "must differ from --seed"),
            (["--prior-seed", "3", "--prior-strength", "0"], "must be positive"),
            (["--people", "2.5"], "argument --people: invalid int value: '2.5'"),
            (["--bogus"], "unrecognized arguments: --bogus"),
            (["--seed"], "argument --seed: expected one argument"),
        ):
            with contextlib.redirect_stderr(io.StringIO()) as stderr:
                code, lines = run(*args)
            self.assertEqual(stderr.getvalue(), "")
            self.assertEqual(code, 2)
            self.assertEqual(len(lines), 1)
            self.assertIn(message, lines[0]["error"])

    def test_a_population_prior_starts_people_from_what_another_cohort_shares(self):
        args = argparse.Namespace(people=40, days=10, prior_seed=11, alpha=0.3, epsilon=0.1, explore="mix")
        theta = sim.fit_prior("f2", args, sim.read_advice())
        names = list(sim.features.names("f2"))
        # Every kind of person in the scenario likes an overdue task and a high priority.
        self.assertGreater(theta[names.index("is_overdue")], 0)
        self.assertGreater(theta[names.index("todo*priority")], 0)
        # Before any reaction, someone starting from the prior ranks an overdue urgent task above an
        # undated ordinary one; starting from nothing, the two tie.
        clock = {"now": sim.START, "hour": 10, "weekday": 1}
        task = {"kind": "todo", "source": "todoist", "category": None, "added_at": sim.START - 2 * sim.DAY}
        xs = linucb.numpy.array([sim.features.vector({**task, "priority": 4, "due_at": sim.START - sim.DAY}, clock, "f2"), sim.features.vector({**task, "priority": 1, "due_at": None}, clock, "f2")])
        with_prior = sim.LinUcbLearner("f2", 0.3, 0.1, prior=(theta, 3.0)).start().scores(xs, 0.0)
        self.assertGreater(with_prior[0], with_prior[1])
        fresh = sim.LinUcbLearner("f2", 0.3, 0.1).start().scores(xs, 0.0)
        self.assertEqual(fresh[0], fresh[1])
        # End to end, the same people fare otherwise with the prior, and the summary names it.
        common = ("--people", "20", "--days", "5", "--seed", "5", "--policies", "linucb", "--features", "f2")
        code, with_lines = run(*common, "--prior-seed", "6")
        self.assertEqual(code, 0)
        self.assertEqual(with_lines[-1]["prior"], {"seed": 6, "strength": 3.0})
        _, without_lines = run(*common)
        self.assertIsNone(without_lines[-1]["prior"])
        self.assertNotEqual(with_lines[-1]["policies"]["linucb/f2"]["mean_reward"], without_lines[-1]["policies"]["linucb/f2"]["mean_reward"])

    def test_the_seed_library_is_the_products(self):
        library = sim.read_advice()
        self.assertEqual(len(library), 66)
        self.assertEqual(library[0], {"id": "water-first", "category": "body", "time_of_day": "morning", "day_kind": "any", "priority": 2})


@unittest.skipIf(linucb.numpy is None, "ArrayModel needs numpy")
class ArrayModelTest(unittest.TestCase):
    def test_the_array_model_computes_what_the_scorer_computes(self):
        rng = random.Random(3)
        model, state = linucb.ArrayModel(4), linucb.fresh_state(4)
        for _ in range(30):
            x = [rng.uniform(-1, 1) for _ in range(4)]
            reward = rng.choice([1.0, -0.5, 0.0])
            model.update(linucb.numpy.array(x), reward)
            state = linucb.update(state, x, reward)
        xs = [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(6)]
        for got, want in zip(model.scores(linucb.numpy.array(xs), 0.7), linucb.scores(state, xs, 0.7).scores):
            self.assertAlmostEqual(float(got), want, places=10)
        self.assertEqual((model.state()["pulls"], model.state()["d"]), (30, 4))
