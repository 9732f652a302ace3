"""LinUCB maths: a fresh model, scores, the Sherman-Morrison update, and checks of a model's shape.

A library for the scorer (ml/scorer.py) and for anything else that runs the same policy offline,
such as a simulator or off-policy evaluation. It holds no state of its own.

A model is a plain dict, the shape the scorer reads and writes and the Bun side stores:

    {"d": 5, "A_inv": [[...], ...], "b": [...], "pulls": 0, "reward_sum": 0.0}

    d           feature dimension
    A_inv       d x d inverse of A = I + sum of x x^T over every update
    b           d values, sum of reward * x over every update
    pulls       number of updates
    reward_sum  sum of the rewards

score   theta = A_inv b, mean = theta . x, bonus = alpha * sqrt(x^T A_inv x), score = mean + bonus
update  A_inv' = A_inv - (A_inv x)(A_inv x)^T / (1 + x^T A_inv x)   (Sherman-Morrison), b' = b + r x
migrate the model carried over to another feature version, by feature name (see `migrate`)
revert  A_inv' = A_inv + (A_inv x)(A_inv x)^T / (1 - x^T A_inv x), b' = b - r x: the update taken
        back out (A = I + sum x x^T and b are sums, so the order of updates does not matter); the
        result equals the model that never had it, up to rounding in the last bits

Everything is plain Python, except `scores`, which uses numpy when it is importable (unless
OO_SCORER_PURE=1): for the serving shape (up to ~50 vectors of d=5) it computes the scores in a
tenth of the time. Both compute the same formulas, summing in their own orders, so their results
may differ in the last bits. The update stays plain Python either way: at d=5 it is faster so.
"""

import math
import os
from collections import namedtuple
from itertools import chain
from operator import mul

try:
    import numpy
except ImportError:
    numpy = None

# Read at each call, so tests can run both paths in one process.
USE_NUMPY = numpy is not None and os.environ.get("OO_SCORER_PURE", "") in ("", "0")


class InvalidValue(ValueError):
    """A model or vector that is not what LinUCB takes; the message names the value at fault."""


class DimensionMismatch(InvalidValue):
    """A model of dimension `d` met vectors of `given` values."""

    def __init__(self, d, given):
        super().__init__(f"dimension mismatch: vectors have {given} values, the model has d={d}")
        self.d = d
        self.given = given


_NUMBER_TYPES = frozenset((float, int))


def finite_numbers(values):
    """True when every value is a finite JSON number (true/false are refused: bool is an int subclass)."""
    if not _NUMBER_TYPES.issuperset(map(type, values)):
        return False
    try:
        # One C-level sum instead of a check per value: inf and nan survive it, and so would
        # anything that overflows it, which would overflow the scores too.
        return math.isfinite(sum(values, 0.0))
    except OverflowError:
        return False


def check_number(value, what):
    """`value` as a float, when it is a finite number."""
    if not finite_numbers((value,)):
        raise InvalidValue(f"{what} must be a finite number")
    return float(value)


def check_vector(value, d, what):
    """`value`, when it is a list of `d` finite numbers."""
    if type(value) is not list:
        raise InvalidValue(f"{what} must be a list of numbers")
    if len(value) != d:
        raise InvalidValue(f"{what} has {len(value)} values, the model has d={d}")
    if not finite_numbers(value):
        raise InvalidValue(f"{what} must hold finite numbers only")
    return value


def check_matrix(rows, d, what):
    """`rows`, when every row is a vector of `d` values; `what` names row {index}. One pass over
    all the values when they are right, the row at fault found only when they are not."""
    for index, row in enumerate(rows):
        if type(row) is not list or len(row) != d:
            check_vector(row, d, what.format(index))
    if not finite_numbers(list(chain.from_iterable(rows))):
        for index, row in enumerate(rows):
            check_vector(row, d, what.format(index))
    return rows


def check_state(state, d=None):
    """`state`, when it is a well-formed model (of dimension `d`, when given)."""
    if type(state) is not dict:
        raise InvalidValue("state must be an object")
    state_d = state.get("d")
    if type(state_d) is not int or state_d < 1:
        raise InvalidValue("state.d must be a positive integer")
    if d is not None and d != state_d:
        raise DimensionMismatch(state_d, d)
    rows = state.get("A_inv")
    if type(rows) is not list or len(rows) != state_d:
        raise InvalidValue(f"state.A_inv must be a {state_d}x{state_d} matrix")
    check_matrix(rows, state_d, "state.A_inv[{}]")
    check_vector(state.get("b"), state_d, "state.b")
    pulls = state.get("pulls")
    if type(pulls) is not int or pulls < 0:
        raise InvalidValue("state.pulls must be a non-negative integer")
    check_number(state.get("reward_sum"), "state.reward_sum")
    return state


def fresh_state(d):
    """The model before any update: A_inv = I, b = 0."""
    identity = [[1.0 if row == column else 0.0 for column in range(d)] for row in range(d)]
    return {"d": d, "A_inv": identity, "b": [0.0] * d, "pulls": 0, "reward_sum": 0.0}


def dot(left, right):
    return sum(map(mul, left, right), 0.0)


Scores = namedtuple("Scores", "scores means bonuses")


def scores(state, xs, alpha):
    """Scores (mean + bonus), means and bonuses of the vectors `xs` (lists of floats, in order).
    Nothing here checks that they are finite: values too large overflow to inf or nan."""
    if USE_NUMPY:
        return _scores_numpy(state["A_inv"], state["b"], xs, alpha)
    a_inv = state["A_inv"]
    theta = [dot(row, state["b"]) for row in a_inv]
    means = [dot(theta, x) for x in xs]
    # Rounding can push x^T A_inv x a hair below zero for a near-null x.
    bonuses = [alpha * math.sqrt(max(dot(x, [dot(row, x) for row in a_inv]), 0.0)) for x in xs]
    return Scores([mean + bonus for mean, bonus in zip(means, bonuses)], means, bonuses)


def _scores_numpy(a_inv, b, xs, alpha):
    a_inv = numpy.array(a_inv, dtype=numpy.float64)
    # A copy whatever xs is, so the same vectors give the same bits however they came.
    x = numpy.array(xs, dtype=numpy.float64)
    # Overflow shows as inf or nan in the results, as in plain Python.
    with numpy.errstate(over="ignore", invalid="ignore"):
        means = x @ (a_inv @ numpy.array(b, dtype=numpy.float64))
        quadratic = ((x @ a_inv) * x).sum(axis=1)  # x^T A_inv x for each row x
        bonuses = alpha * numpy.sqrt(numpy.maximum(quadratic, 0.0))
        return Scores((means + bonuses).tolist(), means.tolist(), bonuses.tolist())


def update(state, x, reward):
    """The model after observing `reward` for `x`, a new dict (`state` is left as it was). Nothing
    here checks that it is finite: values too large overflow to inf or nan."""
    a_inv = state["A_inv"]
    a_inv_x = [dot(row, x) for row in a_inv]
    denominator = 1.0 + dot(x, a_inv_x)
    # A_inv is symmetric, so x^T A_inv is (A_inv x)^T; reusing it keeps A_inv exactly symmetric.
    updated = [[value - (a_inv_x[i] * a_inv_x[j]) / denominator for j, value in enumerate(row)] for i, row in enumerate(a_inv)]
    return {
        "d": state["d"],
        "A_inv": updated,
        "b": [value + reward * feature for value, feature in zip(state["b"], x)],
        "pulls": state["pulls"] + 1,
        "reward_sum": float(state["reward_sum"]) + reward,
    }


def revert(state, x, reward):
    """The model with the update for (`x`, `reward`) taken back out, a new dict. Only an update the
    model took can be reverted: without it, A - x x^T need not be invertible (raises InvalidValue)."""
    if state["pulls"] < 1:
        raise InvalidValue("state has no update to revert")
    a_inv = state["A_inv"]
    a_inv_x = [dot(row, x) for row in a_inv]
    denominator = 1.0 - dot(x, a_inv_x)
    # x^T A_inv x < 1 holds for any x the model was updated with; at or past 1 it never was.
    if denominator <= 1e-12:
        raise InvalidValue("x was not part of this model: the revert would not be invertible")
    reverted = [[value + (a_inv_x[i] * a_inv_x[j]) / denominator for j, value in enumerate(row)] for i, row in enumerate(a_inv)]
    return {
        "d": state["d"],
        "A_inv": reverted,
        "b": [value - reward * feature for value, feature in zip(state["b"], x)],
        "pulls": state["pulls"] - 1,
        "reward_sum": float(state["reward_sum"]) - reward,
    }


class ArrayModel:
    """One model held as numpy arrays and updated in place, for loops of many decisions (the
    simulator): the same formulas as `scores` and `update`, without a dict round trip per call.
    Needs numpy."""

    def __init__(self, d):
        self.d = d
        self.a_inv = numpy.eye(d)
        self.b = numpy.zeros(d)
        self.pulls = 0
        self.reward_sum = 0.0

    def scores(self, xs, alpha):
        """mean + alpha * sqrt(x^T A_inv x) for each row of the matrix `xs`."""
        means = xs @ (self.a_inv @ self.b)
        quadratic = ((xs @ self.a_inv) * xs).sum(axis=1)
        return means + alpha * numpy.sqrt(numpy.maximum(quadratic, 0.0))

    def update(self, x, reward):
        a_inv_x = self.a_inv @ x
        self.a_inv -= numpy.outer(a_inv_x, a_inv_x) / (1.0 + x @ a_inv_x)
        self.b += reward * x
        self.pulls += 1
        self.reward_sum += reward

    def state(self):
        """The model as the scorer and the server store it."""
        return {"d": self.d, "A_inv": self.a_inv.tolist(), "b": self.b.tolist(), "pulls": self.pulls, "reward_sum": self.reward_sum}


def inverse(matrix):
    """The inverse of a symmetric positive definite matrix (an A or an A_inv): numpy's when it is
    importable, else Gauss-Jordan with partial pivoting."""
    if USE_NUMPY:
        return numpy.linalg.inv(numpy.array(matrix, dtype=numpy.float64)).tolist()
    n = len(matrix)
    work = [[float(value) for value in row] + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(matrix)]
    for column in range(n):
        pivot = max(range(column, n), key=lambda row: abs(work[row][column]))
        work[column], work[pivot] = work[pivot], work[column]
        scale = work[column][column]
        work[column] = [value / scale for value in work[column]]
        for row in range(n):
            if row != column and work[row][column] != 0.0:
                factor = work[row][column]
                work[row] = [value - factor * pivot_value for value, pivot_value in zip(work[row], work[column])]
    return [row[n:] for row in work]


def migrate(state, old_names, new_names):
    """The model carried over to another feature version, a new dict: what it learnt about a
    feature both versions name is kept (its rows and columns of A, its entry of b), a new feature
    starts as a fresh model does (identity, zero), a feature the new version drops is forgotten.
    Its couplings with dropped features go with them, so the carried part is a close prior, not the
    exact model a replay under the new version would give."""
    if len(set(new_names)) != len(new_names) or len(set(old_names)) != len(old_names):
        raise InvalidValue("feature names must be distinct")
    if len(old_names) != state["d"]:
        raise DimensionMismatch(state["d"], len(old_names))
    old_index = {name: index for index, name in enumerate(old_names)}
    a = inverse(state["A_inv"])
    carried = [old_index.get(name) for name in new_names]
    d = len(new_names)
    new_a = [
        [a[i][j] if i is not None and j is not None else (1.0 if row == column else 0.0) for column, j in enumerate(carried)]
        for row, i in enumerate(carried)
    ]
    new_a_inv = inverse(new_a)
    # Symmetric by construction; rounding in the inverse must not make it otherwise.
    new_a_inv = [[(new_a_inv[i][j] + new_a_inv[j][i]) / 2 for j in range(d)] for i in range(d)]
    return {
        "d": d,
        "A_inv": new_a_inv,
        "b": [float(state["b"][i]) if i is not None else 0.0 for i in carried],
        "pulls": state["pulls"],
        "reward_sum": float(state["reward_sum"]),
    }


def is_finite_state(state):
    """True when no value of the model overflowed."""
    values = chain(chain.from_iterable(state["A_inv"]), state["b"], (state["reward_sum"],))
    return all(map(math.isfinite, values))
