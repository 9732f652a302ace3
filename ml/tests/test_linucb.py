"""Tests of ml/linucb.py. Run from the repository root: python3 -m unittest discover -s ml/tests -t ."""

import math
import os
import random
import subprocess
import sys
import unittest

from ml import linucb
from ml.tests.support import both_paths, numpy_path


def random_history(rng, d, steps):
    return [([rng.uniform(-2, 2) for _ in range(d)], rng.choice([0.0, 1.0, -0.5])) for _ in range(steps)]


def trained(d, history):
    state = linucb.fresh_state(d)
    for x, reward in history:
        state = linucb.update(state, x, reward)
    return state


def direct(d, history):
    """A = I + sum of x x^T and b = sum of r x, from the definition."""
    a = [[1.0 if i == j else 0.0 for j in range(d)] for i in range(d)]
    b = [0.0] * d
    for x, reward in history:
        for i in range(d):
            b[i] += reward * x[i]
            for j in range(d):
                a[i][j] += x[i] * x[j]
    return a, b


class UpdateTest(unittest.TestCase):
    def test_a_fresh_state_is_the_identity_model(self):
        self.assertEqual(linucb.fresh_state(2), {"d": 2, "A_inv": [[1.0, 0.0], [0.0, 1.0]], "b": [0.0, 0.0], "pulls": 0, "reward_sum": 0.0})

    def test_sherman_morrison_equals_the_direct_inverse(self):
        rng = random.Random(11)
        d = 5
        history = random_history(rng, d, 40)
        state = trained(d, history)
        a, b = direct(d, history)
        expected = linucb.inverse(a)
        for i in range(d):
            for j in range(d):
                self.assertAlmostEqual(state["A_inv"][i][j], expected[i][j], places=12)
            self.assertAlmostEqual(state["b"][i], b[i], places=12)
        self.assertEqual(state["pulls"], 40)
        self.assertAlmostEqual(state["reward_sum"], sum(reward for _, reward in history), places=12)

    def test_one_update_by_hand(self):
        # x = [1, 2]: A = [[2, 2], [2, 5]], A_inv = [[5, -2], [-2, 2]] / 6.
        state = linucb.update(linucb.fresh_state(2), [1.0, 2.0], 0.5)
        expected = [[5 / 6, -2 / 6], [-2 / 6, 2 / 6]]
        for row, want in zip(state["A_inv"], expected):
            for value, wanted in zip(row, want):
                self.assertAlmostEqual(value, wanted, places=15)
        self.assertEqual((state["b"], state["pulls"], state["reward_sum"]), ([0.5, 1.0], 1, 0.5))

    def test_updates_keep_a_inv_exactly_symmetric_and_leave_their_input_alone(self):
        state = linucb.fresh_state(4)
        rng = random.Random(3)
        for x, reward in random_history(rng, 4, 25):
            previous = state
            state = linucb.update(state, x, reward)
            self.assertIsNot(state, previous)
            self.assertEqual(previous["pulls"] + 1, state["pulls"])
        rows = state["A_inv"]
        self.assertTrue(all(rows[i][j] == rows[j][i] for i in range(4) for j in range(4)))

    def test_overflow_shows_in_is_finite_state(self):
        state = {**linucb.fresh_state(1), "reward_sum": 1.7e308}
        self.assertTrue(linucb.is_finite_state(state))
        self.assertFalse(linucb.is_finite_state(linucb.update(state, [1.0], 1e308)))
        self.assertFalse(linucb.is_finite_state(linucb.update(linucb.fresh_state(2), [1e200, 1.0], 0.0)))


class RevertTest(unittest.TestCase):
    def test_reverting_any_one_update_equals_the_model_that_never_had_it(self):
        rng = random.Random(5)
        d = 5
        history = random_history(rng, d, 30)
        full = trained(d, history)
        # Not only the last one: updates are sums, so any of them can be taken back out.
        for index in (29, 12, 0):
            x, reward = history[index]
            reverted = linucb.revert(full, x, reward)
            without = trained(d, history[:index] + history[index + 1 :])
            for i in range(d):
                for j in range(d):
                    self.assertAlmostEqual(reverted["A_inv"][i][j], without["A_inv"][i][j], places=11)
                self.assertAlmostEqual(reverted["b"][i], without["b"][i], places=11)
            self.assertEqual(reverted["pulls"], 29)
            self.assertAlmostEqual(reverted["reward_sum"], without["reward_sum"], places=11)

    def test_update_then_revert_gives_back_a_fresh_model(self):
        fresh = linucb.fresh_state(3)
        back = linucb.revert(linucb.update(fresh, [0.5, -1.0, 2.0], 1.0), [0.5, -1.0, 2.0], 1.0)
        for row, want in zip(back["A_inv"], fresh["A_inv"]):
            for value, wanted in zip(row, want):
                self.assertAlmostEqual(value, wanted, places=14)
        self.assertEqual((back["pulls"], back["reward_sum"]), (0, 0.0))
        self.assertTrue(all(abs(value) < 1e-14 for value in back["b"]))

    def test_an_update_the_model_never_took_is_refused(self):
        with self.assertRaisesRegex(linucb.InvalidValue, "no update to revert"):
            linucb.revert(linucb.fresh_state(2), [1.0, 0.0], 1.0)
        # One pull of [1, 0] leaves room for no [3, 0]: A - x x^T would not be positive definite.
        once = linucb.update(linucb.fresh_state(2), [1.0, 0.0], 1.0)
        with self.assertRaisesRegex(linucb.InvalidValue, "not part of this model"):
            linucb.revert(once, [3.0, 0.0], 1.0)


class MigrateTest(unittest.TestCase):
    OLD = ["is_overdue", "task_age_days", "priority", "hour_of_day", "day_of_week"]
    NEW = ["bias", "todo", "is_overdue", "due_soon", "task_age_days", "priority"]

    def test_what_both_versions_name_is_kept_exactly_when_nothing_couples_it_to_a_dropped_feature(self):
        rng = random.Random(9)
        # Learnt on vectors whose dropped features are zero: carrying over must equal learning the
        # same rewards under the new version, with the new features zero.
        history = [([rng.choice([0.0, 1.0]), rng.random(), rng.random(), 0.0, 0.0], rng.choice([1.0, -1.0, 0.5])) for _ in range(30)]
        old = trained(5, history)
        migrated = linucb.migrate(old, self.OLD, self.NEW)
        expected = trained(6, [([0.0, 0.0, x[0], 0.0, x[1], x[2]], reward) for x, reward in history])
        self.assertEqual((migrated["d"], migrated["pulls"]), (6, 30))
        self.assertAlmostEqual(migrated["reward_sum"], expected["reward_sum"], places=12)
        for i in range(6):
            self.assertAlmostEqual(migrated["b"][i], expected["b"][i], places=12)
            for j in range(6):
                self.assertAlmostEqual(migrated["A_inv"][i][j], expected["A_inv"][i][j], places=10)
        rows = migrated["A_inv"]
        self.assertTrue(all(rows[i][j] == rows[j][i] for i in range(6) for j in range(6)))

    def test_the_same_names_in_another_order_is_the_same_model_reordered(self):
        old = trained(5, random_history(random.Random(2), 5, 20))
        order = [4, 0, 3, 1, 2]
        moved = linucb.migrate(old, self.OLD, [self.OLD[i] for i in order])
        for row, i in enumerate(order):
            self.assertAlmostEqual(moved["b"][row], old["b"][i], places=12)
            for column, j in enumerate(order):
                self.assertAlmostEqual(moved["A_inv"][row][column], old["A_inv"][i][j], places=10)

    def test_names_must_fit_the_model_and_be_distinct(self):
        with self.assertRaises(linucb.DimensionMismatch):
            linucb.migrate(linucb.fresh_state(3), self.OLD, self.NEW)
        with self.assertRaisesRegex(linucb.InvalidValue, "distinct"):
            linucb.migrate(linucb.fresh_state(5), self.OLD, ["bias", "bias"])

    def test_the_inverse_is_one_both_ways_without_numpy_and_with_it(self):
        a, _ = direct(4, random_history(random.Random(4), 4, 12))
        saved = linucb.USE_NUMPY
        try:
            for use_numpy in ([False, True] if linucb.numpy is not None else [False]):
                linucb.USE_NUMPY = use_numpy
                got = linucb.inverse(a)
                for i in range(4):
                    for j in range(4):
                        product = sum(a[i][k] * got[k][j] for k in range(4))
                        self.assertAlmostEqual(product, 1.0 if i == j else 0.0, places=10)
        finally:
            linucb.USE_NUMPY = saved


class ScoresTest(unittest.TestCase):
    # After one update with x = [1, 0] and reward 1: A_inv = [[0.5, 0], [0, 1]], b = [1, 0], theta = [0.5, 0].
    STATE = {"d": 2, "A_inv": [[0.5, 0.0], [0.0, 1.0]], "b": [1.0, 0.0], "pulls": 1, "reward_sum": 1.0}
    XS = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]

    def test_scores_match_a_hand_computation(self):
        means = [0.5, 0.0, 0.5]
        bonuses = [2.0 * math.sqrt(0.5), 2.0, 2.0 * math.sqrt(1.5)]
        for use_numpy in both_paths():
            with self.subTest(numpy=use_numpy), numpy_path(use_numpy):
                result = linucb.scores(self.STATE, self.XS, 2.0)
                for got, want in zip(result.means, means):
                    self.assertAlmostEqual(got, want, places=15)
                for got, want in zip(result.bonuses, bonuses):
                    self.assertAlmostEqual(got, want, places=15)
                for got, mean, bonus in zip(result.scores, means, bonuses):
                    self.assertAlmostEqual(got, mean + bonus, places=15)
                self.assertTrue(all(type(value) is float for value in result.scores + result.means + result.bonuses))

    def test_scores_match_the_definition_with_a_direct_inverse(self):
        rng = random.Random(5)
        for trial in range(30):
            d = rng.randint(1, 7)
            history = random_history(rng, d, rng.randint(0, 25))
            state = trained(d, history)
            a, b = direct(d, history)
            a_inv = linucb.inverse(a)
            theta = [sum(row[j] * b[j] for j in range(d)) for row in a_inv]
            xs = [[rng.uniform(-3, 3) for _ in range(d)] for _ in range(rng.randint(1, 50))]
            alpha = rng.random() * 2
            for use_numpy in both_paths():
                with self.subTest(trial=trial, numpy=use_numpy), numpy_path(use_numpy):
                    result = linucb.scores(state, xs, alpha)
                    for x, got in zip(xs, result.scores):
                        mean = sum(t * v for t, v in zip(theta, x))
                        quadratic = sum(x[i] * a_inv[i][j] * x[j] for i in range(d) for j in range(d))
                        self.assertAlmostEqual(got, mean + alpha * math.sqrt(quadratic), delta=1e-9 * (1 + abs(got)))

    def test_numpy_and_pure_python_agree(self):
        if linucb.numpy is None:
            self.skipTest("numpy is not importable here")
        rng = random.Random(2024)
        for trial in range(100):
            d = rng.randint(1, 9)
            state = trained(d, random_history(rng, d, rng.randint(0, 20)))
            xs = [[rng.uniform(-3, 3) for _ in range(d)] for _ in range(rng.randint(1, 60))]
            alpha = rng.random() * 2
            with numpy_path(False):
                pure = linucb.scores(state, xs, alpha)
            with numpy_path(True):
                fast = linucb.scores(state, xs, alpha)
            for name in ("scores", "means", "bonuses"):
                for left, right in zip(getattr(pure, name), getattr(fast, name)):
                    self.assertAlmostEqual(left, right, delta=1e-12 * (1 + abs(left)), msg=f"trial {trial}, {name}")

    def test_tuples_and_lists_score_alike(self):
        state = trained(3, random_history(random.Random(4), 3, 10))
        xs = [[0.1 + 0.2, 1 / 3, 2.0], [1e-300, 5e-324, -1.0]]
        for use_numpy in both_paths():
            with self.subTest(numpy=use_numpy), numpy_path(use_numpy):
                self.assertEqual(linucb.scores(state, [tuple(x) for x in xs], 0.7), linucb.scores(state, xs, 0.7))

    def test_the_pure_path_is_forced_by_the_environment(self):
        env = {**os.environ, "OO_SCORER_PURE": "1"}
        output = subprocess.run(
            [sys.executable, "-c", "from ml import linucb; print(linucb.USE_NUMPY)"], env=env, capture_output=True, text=True, check=True
        )
        self.assertEqual(output.stdout.strip(), "False")


class CheckTest(unittest.TestCase):
    STATE = {"d": 2, "A_inv": [[1.0, 0.0], [0.0, 1.0]], "b": [0.0, 0.0], "pulls": 0, "reward_sum": 0.0}

    def test_a_well_formed_state_passes_and_is_returned(self):
        self.assertIs(linucb.check_state(self.STATE), self.STATE)
        self.assertIs(linucb.check_state(self.STATE, 2), self.STATE)

    def test_a_state_of_another_dimension_is_a_mismatch(self):
        with self.assertRaises(linucb.DimensionMismatch) as caught:
            linucb.check_state(self.STATE, 3)
        self.assertEqual((caught.exception.d, caught.exception.given), (2, 3))
        self.assertEqual(str(caught.exception), "dimension mismatch: vectors have 3 values, the model has d=2")

    def test_malformed_states_name_the_value_at_fault(self):
        cases = [
            ([1], "state must be an object"),
            ({**self.STATE, "d": 0}, "state.d must be a positive integer"),
            ({**self.STATE, "d": True}, "state.d must be a positive integer"),
            ({**self.STATE, "A_inv": [[1.0, 0.0]]}, "state.A_inv must be a 2x2 matrix"),
            ({**self.STATE, "A_inv": [[1.0, 0.0], [0.0]]}, "state.A_inv[1] has 1 values, the model has d=2"),
            ({**self.STATE, "A_inv": [[1.0, 0.0], [0.0, math.inf]]}, "state.A_inv[1] must hold finite numbers only"),
            ({**self.STATE, "b": [0.0, None]}, "state.b must hold finite numbers only"),
            ({**self.STATE, "b": "00"}, "state.b must be a list of numbers"),
            ({**self.STATE, "pulls": -1}, "state.pulls must be a non-negative integer"),
            ({**self.STATE, "reward_sum": math.nan}, "state.reward_sum must be a finite number"),
        ]
        for state, message in cases:
            with self.subTest(message=message), self.assertRaises(linucb.InvalidValue) as caught:
                linucb.check_state(state)
            self.assertEqual(str(caught.exception), message)

    def test_finite_numbers_are_json_numbers_that_fit_a_double(self):
        self.assertTrue(linucb.finite_numbers([1, 2.5, -0.0]))
        for values in ([1.0, True], [1.0, "2"], [math.nan], [-math.inf], [10**400], [None]):
            with self.subTest(values=values):
                self.assertFalse(linucb.finite_numbers(values))
        self.assertEqual(linucb.check_number(3, "reward"), 3.0)
        with self.assertRaisesRegex(linucb.InvalidValue, "^reward must be a finite number$"):
            linucb.check_number(False, "reward")


if __name__ == "__main__":
    unittest.main()
