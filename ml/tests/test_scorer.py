"""Tests of ml/scorer.py. Run from the repository root: python3 -m unittest discover -s ml/tests -t ."""

import base64
import json
import math
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

from ml import linucb, scorer
from ml.tests.support import both_paths, numpy_path

ML_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ML_DIR, "scorer.py")


def score_request(state, xs, alpha=1.0):
    return {
        "policy": "linucb",
        "params": {"alpha": alpha},
        "state": state,
        "candidates": [{"id": f"c{index}", "x": x} for index, x in enumerate(xs)],
    }


def trained_state(d, steps, rng):
    state = None
    history = []
    for _ in range(steps):
        x = [rng.uniform(-2, 2) for _ in range(d)]
        reward = rng.choice([0.0, 1.0, -0.5])
        state = scorer.update({"state": state, "x": x, "reward": reward})["state"]
        history.append((x, reward))
    return state, history


class UpdateTest(unittest.TestCase):
    def test_a_null_state_is_the_identity_model_and_the_shape_is_kept(self):
        state = scorer.update({"state": None, "x": [1.0, 0.0], "reward": 1.0})["state"]
        self.assertEqual(list(state), ["d", "A_inv", "b", "pulls", "reward_sum"])
        self.assertEqual(state, {"d": 2, "A_inv": [[0.5, 0.0], [0.0, 1.0]], "b": [1.0, 0.0], "pulls": 1, "reward_sum": 1.0})

    def test_updates_keep_a_inv_exactly_symmetric(self):
        state, _ = trained_state(4, 25, random.Random(3))
        rows = state["A_inv"]
        self.assertTrue(all(rows[i][j] == rows[j][i] for i in range(4) for j in range(4)))

    def test_the_state_is_a_copy_and_the_request_state_is_left_alone(self):
        state, _ = trained_state(3, 5, random.Random(8))
        before = json.loads(json.dumps(state))
        updated = scorer.update({"state": state, "x": [1.0, 2.0, 3.0], "reward": 1.0})["state"]
        self.assertEqual(state, before)
        self.assertEqual(updated["pulls"], state["pulls"] + 1)


class RevertTest(unittest.TestCase):
    def test_revert_takes_an_update_back_out_in_the_same_shape(self):
        state, _ = trained_state(3, 6, random.Random(4))
        updated = scorer.update({"state": state, "x": [1.0, 2.0, 3.0], "reward": -0.5})["state"]
        reverted = scorer.revert({"state": updated, "x": [1.0, 2.0, 3.0], "reward": -0.5})["state"]
        self.assertEqual(list(reverted), ["d", "A_inv", "b", "pulls", "reward_sum"])
        self.assertEqual(reverted["pulls"], state["pulls"])
        for row, want in zip(reverted["A_inv"], state["A_inv"]):
            for value, wanted in zip(row, want):
                self.assertAlmostEqual(value, wanted, places=12)

    def test_a_revert_of_nothing_is_an_error_reply_and_the_loop_goes_on(self):
        reply = json.loads(scorer.answer_line(json.dumps({"id": 7, "op": "revert", "state": None, "x": [1.0], "reward": 1.0}).encode()))
        self.assertEqual(reply["id"], 7)
        self.assertIn("no update to revert", reply["error"])


class PackedStateTest(unittest.TestCase):
    def packed(self, state):
        d = state["d"]
        values = [value for row in state["A_inv"] for value in row] + state["b"]
        return {"d": d, "pulls": state["pulls"], "reward_sum": state["reward_sum"], "f64": base64.b64encode(struct.pack(f"<{len(values)}d", *values)).decode()}

    def test_a_packed_state_scores_exactly_as_the_same_state_in_decimal(self):
        state, _ = trained_state(3, 12, random.Random(6))
        xs = [[0.1, 0.5, 0.9], [1.0, 0.0, 0.25]]
        plain = scorer.score(score_request(state, xs))
        packed = scorer.score({**score_request(None, xs), "state": self.packed(state)})
        self.assertEqual(plain["scores"], packed["scores"])

    def test_a_model_sent_with_a_ref_is_kept_and_scored_by_its_ref_alone(self):
        state, _ = trained_state(3, 12, random.Random(8))
        xs = [[0.1, 0.5, 0.9], [1.0, 0.0, 0.25]]
        plain = scorer.score(score_request(state, xs))
        first = scorer.score({**score_request(None, xs), "state": {**self.packed(state), "ref": 901}})
        again = scorer.score({**score_request(None, xs), "state": {"ref": 901}})
        self.assertEqual(first["scores"], plain["scores"])
        self.assertEqual(again["scores"], plain["scores"])
        with self.assertRaisesRegex(scorer.BadRequest, "^unknown state ref 902$"):
            scorer.score({**score_request(None, xs), "state": {"ref": 902}})
        with self.assertRaisesRegex(scorer.BadRequest, "dimension mismatch"):
            scorer.score({**score_request(None, [[1.0, 2.0]]), "state": {"ref": 901}})
        for bad in (0, -1, "901", 1.5, True, None):
            with self.subTest(ref=bad), self.assertRaisesRegex(scorer.BadRequest, "state.ref must be a positive integer"):
                scorer.score({**score_request(None, xs), "state": {"ref": bad}})

    def test_the_least_recently_used_models_are_let_go_first(self):
        state, _ = trained_state(2, 3, random.Random(2))
        xs = [[0.5, 0.5]]
        kept, scorer.HELD_STATES = scorer.HELD_STATES, 3
        try:
            for ref in (11, 12, 13):
                scorer.score({**score_request(None, xs), "state": {**self.packed(state), "ref": ref}})
            scorer.score({**score_request(None, xs), "state": {"ref": 11}})  # 11 is now the most recently used
            scorer.score({**score_request(None, xs), "state": {**self.packed(state), "ref": 14}})
            for ref in (11, 13, 14):
                scorer.score({**score_request(None, xs), "state": {"ref": ref}})
            with self.assertRaisesRegex(scorer.BadRequest, "unknown state ref 12"):
                scorer.score({**score_request(None, xs), "state": {"ref": 12}})
        finally:
            scorer.HELD_STATES = kept

    def test_a_bad_packed_state_is_an_error_reply(self):
        state, _ = trained_state(2, 3, random.Random(1))
        good = self.packed(state)
        for bad, message in (
            ({**good, "f64": good["f64"][:-8]}, "d*d + d = 6"),
            ({**good, "f64": "not base64!"}, "not base64"),
            ({**good, "pulls": -1}, "pulls"),
            ({**good, "f64": base64.b64encode(struct.pack("<6d", 1, 0, 0, 1, float("nan"), 0)).decode()}, "finite"),
            ({**good, "d": 3}, "d*d + d = 12"),
        ):
            with self.subTest(message=message):
                reply = json.loads(scorer.answer_line(json.dumps({"id": 1, "op": "score", **score_request(None, [[1.0, 2.0]]), "state": bad}).encode()))
                self.assertIn(message, reply["error"])


class MigrateOpTest(unittest.TestCase):
    def test_migrate_carries_a_model_over_by_name_and_a_null_state_is_a_fresh_model(self):
        state, _ = trained_state(2, 4, random.Random(1))
        moved = scorer.migrate({"state": state, "from": ["a", "b"], "to": ["b", "c", "a"]})["state"]
        self.assertEqual((moved["d"], moved["pulls"], moved["b"][1]), (3, 4, 0.0))
        self.assertEqual(scorer.migrate({"state": None, "from": ["a"], "to": ["a", "b"]})["state"]["d"], 2)

    def test_bad_names_are_an_error_reply(self):
        reply = json.loads(scorer.answer_line(json.dumps({"id": 1, "op": "migrate", "state": None, "from": [], "to": ["a"]}).encode()))
        self.assertEqual(reply, {"id": 1, "error": "from must be a non-empty list of feature names"})


class ScoreTest(unittest.TestCase):
    # After one update with x = [1, 0] and reward 1: A = [[2, 0], [0, 1]], A_inv = [[0.5, 0], [0, 1]],
    # b = [1, 0], theta = [0.5, 0].
    STATE = {"d": 2, "A_inv": [[0.5, 0.0], [0.0, 1.0]], "b": [1.0, 0.0], "pulls": 1, "reward_sum": 1.0}
    XS = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]

    def test_scores_match_a_hand_computation(self):
        for use_numpy in both_paths():
            with self.subTest(numpy=use_numpy), numpy_path(use_numpy):
                reply = scorer.score(score_request(self.STATE, self.XS, alpha=2.0))
                means = [0.5, 0.0, 0.5]
                bonuses = [2.0 * math.sqrt(0.5), 2.0, 2.0 * math.sqrt(1.5)]
                for got, mean, bonus in zip(reply["scores"], means, bonuses):
                    self.assertAlmostEqual(got, mean + bonus, places=15)
                self.assertEqual([item["id"] for item in reply["detail"]], ["c0", "c1", "c2"])
                for item, mean, bonus in zip(reply["detail"], means, bonuses):
                    self.assertAlmostEqual(item["mean"], mean, places=15)
                    self.assertAlmostEqual(item["bonus"], bonus, places=15)
                self.assertEqual(reply["chosen"], "c2")
                self.assertEqual(reply["propensity"], 1.0)

    def test_a_fresh_model_scores_by_the_norm_of_x(self):
        reply = scorer.score(score_request(None, [[3.0, 4.0], [1.0, 0.0]], alpha=1.0))
        self.assertEqual(reply["scores"], [5.0, 1.0])

    def test_ties_go_to_the_first_candidate(self):
        reply = scorer.score(score_request(self.STATE, self.XS, alpha=0.0))
        self.assertEqual(reply["scores"], [0.5, 0.0, 0.5])
        self.assertEqual(reply["chosen"], "c0")


class PropensityTest(unittest.TestCase):
    XS = [[1.0, 0.0], [0.0, 0.5], [0.2, 0.2], [0.0, 0.1]]

    def test_greedy_picks_the_argmax_with_propensity_one(self):
        reply = scorer.score(score_request(None, self.XS))
        self.assertEqual((reply["chosen"], reply["propensity"]), ("c0", 1.0))

    def test_epsilon_seed_and_other_params_are_ignored(self):
        # Callers once asked the scorer to explore; exploration is theirs to draw now.
        greedy = scorer.score(score_request(None, self.XS))
        for extra in ({"epsilon": 0}, {"epsilon": 1.0, "seed": 7}, {"epsilon": 1.5, "seed": "x"}, {"something": [1]}):
            with self.subTest(params=extra):
                request = score_request(None, self.XS)
                request["params"].update(extra)
                for _ in range(20):
                    self.assertEqual(scorer.score(request), greedy)

    def test_params_default_to_alpha_one_with_detail(self):
        request = score_request(None, self.XS)
        del request["params"], request["policy"]
        reply = scorer.score(request)
        self.assertEqual(reply, scorer.score(score_request(None, self.XS, alpha=1.0)))
        self.assertEqual((reply["chosen"], reply["propensity"], len(reply["detail"])), ("c0", 1.0, len(self.XS)))

    def test_packed_vectors_score_as_candidates_named_by_their_index(self):
        state, _ = trained_state(2, 12, random.Random(3))
        for numpy_enabled in both_paths():
            with numpy_path(numpy_enabled), self.subTest(numpy=numpy_enabled):
                named = scorer.score(score_request(state, self.XS))
                bare = score_request(state, self.XS)
                bare.update(packed_vectors([candidate["x"] for candidate in bare.pop("candidates")]))
                indexed = scorer.score(bare)
                self.assertNotIn("scores", indexed)
                self.assertEqual(unpacked(indexed["scores_f64"]), named["scores"])
                self.assertEqual(indexed["propensity"], named["propensity"])
                self.assertEqual(indexed["chosen"], int(named["chosen"][1:]))
                self.assertEqual([entry["id"] for entry in indexed["detail"]], list(range(len(self.XS))))

    def test_packed_vectors_carry_every_bit_of_a_double(self):
        # Values that no short decimal writes exactly, and the reply's own bits back.
        xs = [[0.1 + 0.2, 1 / 3], [5e-324, 2.0**-1022], [1e150, -1e-150]]
        for numpy_enabled in both_paths():
            with numpy_path(numpy_enabled), self.subTest(numpy=numpy_enabled):
                named = scorer.score(score_request(None, xs))
                bare = score_request(None, xs)
                bare.update(packed_vectors(xs))
                del bare["candidates"]
                self.assertEqual(unpacked(scorer.score(bare)["scores_f64"]), named["scores"])

    def test_vectors_in_ten_thousandths_are_the_same_doubles(self):
        # Every four-decimal value in [0, 1], as the server rounds its features, and a few above.
        values = [q / 10000.0 for q in range(0, 10001, 7)] + [1.2345, 6.5535]
        xs = [values[start : start + 4] for start in range(0, len(values) - 3, 4)]
        state, _ = trained_state(4, 20, random.Random(5))
        for numpy_enabled in both_paths():
            with numpy_path(numpy_enabled), self.subTest(numpy=numpy_enabled):
                named = scorer.score(score_request(state, xs))
                bare = score_request(state, xs)
                del bare["candidates"]
                quantized = [round(value * 10000) for x in xs for value in x]
                bare.update(d=4, xs_q16=base64.b64encode(struct.pack(f"<{len(quantized)}H", *quantized)).decode())
                self.assertEqual(unpacked(scorer.score(bare)["scores_f64"]), named["scores"])

    def test_detail_can_be_left_out(self):
        request = score_request(None, self.XS)
        with_detail = scorer.score(request)
        request["params"]["detail"] = False
        without = scorer.score(request)
        self.assertEqual(len(with_detail["detail"]), len(self.XS))
        self.assertNotIn("detail", without)
        self.assertEqual(without["scores"], with_detail["scores"])
        self.assertEqual(without["chosen"], with_detail["chosen"])
        request["params"]["detail"] = "no"
        with self.assertRaisesRegex(scorer.BadRequest, "params.detail must be true or false"):
            scorer.score(request)


def answer(line):
    return json.loads(scorer.answer_line(line.encode()))


def packed_vectors(xs):
    """The "d" and "xs_f64" fields for these vectors."""
    values = [value for x in xs for value in x]
    return {"d": len(xs[0]), "xs_f64": base64.b64encode(struct.pack(f"<{len(values)}d", *values)).decode()}


def unpacked(scores_f64):
    raw = base64.b64decode(scores_f64)
    return list(struct.unpack(f"<{len(raw) // 8}d", raw))


class ValidationTest(unittest.TestCase):
    STATE = {"d": 2, "A_inv": [[1.0, 0.0], [0.0, 1.0]], "b": [0.0, 0.0], "pulls": 0, "reward_sum": 0.0}

    def score_error(self, **overrides):
        request = {"id": 9, "op": "score", **score_request(self.STATE, [[1.0, 2.0]]), **overrides}
        return answer(json.dumps(request))

    def test_bad_requests_get_a_clear_error_with_their_id(self):
        cases = [
            ({"candidates": []}, "candidates must be a non-empty list"),
            ({"candidates": [{"id": "a", "x": [1.0, 2.0, 3.0]}]}, "dimension mismatch: candidates[0].x has 3 values, the model has d=2"),
            ({"candidates": [{"id": "a", "x": [1.0, 2.0]}, {"id": "b", "x": [1.0]}]}, "candidates[1].x has 1 values, the model has d=2"),
            ({"candidates": [{"id": "a", "x": [1.0, "2"]}]}, "candidates[0].x must hold finite numbers only"),
            ({"candidates": [{"id": "a", "x": [1.0, True]}]}, "candidates[0].x must hold finite numbers only"),
            ({"candidates": [{"id": "a", "x": [1.0, 1e308]}]}, "scores overflow: features or state values are too large"),
            ({"candidates": [{"x": [1.0, 2.0]}]}, "candidates[0] must be an object with an id and x"),
            ({"policy": "thompson"}, 'unknown policy "thompson"; known: linucb'),
            ({"params": {"alpha": -1}}, "params.alpha must be >= 0"),
            ({"params": {"alpha": "1"}}, "params.alpha must be a finite number"),
            ({"params": [1]}, "params must be an object"),
            ({"state": {**self.STATE, "A_inv": [[1.0, 0.0]]}}, "state.A_inv must be a 2x2 matrix"),
            ({"state": {**self.STATE, "b": [0.0, None]}}, "state.b must hold finite numbers only"),
            ({"state": {**self.STATE, "pulls": -1}}, "state.pulls must be a non-negative integer"),
            ({"state": [1]}, "state must be an object or null"),
            ({"candidates": None, "d": 2, "xs_f64": ""}, "xs_f64 must hold whole vectors of d=2 values (16 bytes each), got 0 bytes"),
            ({"candidates": None, **packed_vectors([[1.0, 2.0, 3.0]]), "d": 2}, "xs_f64 must hold whole vectors of d=2 values (16 bytes each), got 24 bytes"),
            ({"candidates": None, **packed_vectors([[1.0, 2.0, 3.0]])}, "dimension mismatch: each packed vector has 3 values, the model has d=2"),
            ({"candidates": None, **packed_vectors([[1.0, math.nan]])}, "xs_f64 must hold finite numbers only"),
            ({"candidates": None, **packed_vectors([[1.0, -math.inf]])}, "xs_f64 must hold finite numbers only"),
            ({"candidates": None, "d": 2, "xs_f64": "not base64!"}, "xs_f64 is not base64: Only base64 data is allowed"),
            ({"candidates": None, "d": 2, "xs_f64": [1.0, 2.0]}, "xs_f64 must be a base64 string"),
            ({"candidates": None, **packed_vectors([[1.0, 2.0]]), "d": True}, "d must be a positive integer"),
            ({"candidates": None, "xs_f64": packed_vectors([[1.0, 2.0]])["xs_f64"]}, "d must be a positive integer"),
            (packed_vectors([[1.0, 2.0]]), "give candidates or packed xs, not both"),
            ({"candidates": None, **packed_vectors([[1.0, 2.0]]), "xs_q16": "AAA="}, "give xs_f64 or xs_q16, not both"),
            ({"candidates": None, "d": 2, "xs_q16": base64.b64encode(b"\x01\x00\x02").decode()}, "xs_q16 must hold whole vectors of d=2 values (4 bytes each), got 3 bytes"),
        ]
        for overrides, message in cases:
            with self.subTest(message=message):
                self.assertEqual(self.score_error(**overrides), {"id": 9, "error": message})

    def test_non_finite_numbers_are_refused(self):
        self.assertEqual(
            answer('{"id":1,"op":"update","state":null,"x":[1,NaN],"reward":1}'), {"id": None, "error": "non-finite number NaN in the request"}
        )
        self.assertEqual(answer('{"id":2,"op":"update","state":null,"x":[1,1e999],"reward":1}')["error"], "x must hold finite numbers only")
        self.assertEqual(answer('{"id":3,"op":"update","state":null,"x":[1,2],"reward":1e999}')["error"], "reward must be a finite number")
        huge = "1" + "0" * 400
        self.assertEqual(answer('{"id":4,"op":"update","state":null,"x":[1,%s],"reward":1}' % huge)["error"], "x must hold finite numbers only")

    def test_what_a_reply_could_not_carry_is_refused(self):
        refused_id = {"id": None, "error": "id must be a string, a finite number or null"}
        self.assertEqual(answer('{"id":1e400,"op":"health"}'), refused_id)
        self.assertEqual(answer('{"id":[1],"op":"health"}'), refused_id)
        self.assertEqual(answer('{"id":true,"op":"health"}'), refused_id)
        self.assertEqual(
            answer('{"id":9,"op":"score","state":null,"candidates":[{"id":"a","x":[1]},{"id":-1e400,"x":[2]}]}'),
            {"id": 9, "error": "candidates[1].id must be a string, a finite number or null"},
        )
        overflowing = {**self.STATE, "reward_sum": 1.7e308}
        self.assertEqual(
            answer(json.dumps({"id": 10, "op": "update", "state": overflowing, "x": [1.0, 0.0], "reward": 1e308})),
            {"id": 10, "error": "update overflows: features, reward or state values are too large"},
        )
        self.assertEqual(answer("[" * 100_000 + "]" * 100_000), {"id": None, "error": "invalid JSON: nested too deeply"})

    def test_unknown_ops_and_broken_json(self):
        self.assertEqual(answer('{"id":"a","op":"train"}'), {"id": "a", "error": 'unknown op "train"; known: score, update, revert, migrate, health'})
        self.assertEqual(answer('{"id":"a"}'), {"id": "a", "error": "unknown op null; known: score, update, revert, migrate, health"})
        self.assertEqual(answer("[1, 2]"), {"id": None, "error": "a request must be a JSON object"})
        self.assertTrue(answer("{not json")["error"].startswith("invalid JSON: "))

    def test_replies_are_compact_single_lines(self):
        line = scorer.answer_line(json.dumps({"id": 1, "op": "score", **score_request(None, [[1.0, 2.0]])}).encode())
        self.assertTrue(line.endswith(b"\n"))
        self.assertNotIn(b" ", line)
        self.assertEqual(line.count(b"\n"), 1)


class LineLoopTest(unittest.TestCase):
    """The real stdin/stdout loop, as the Bun side drives it."""

    def setUp(self):
        self.process = subprocess.Popen([sys.executable, "-u", SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def tearDown(self):
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()

    def ask(self, line):
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        # The reply must come without more input: the scorer flushes every line.
        ready, _, _ = select.select([self.process.stdout], [], [], 10)
        self.assertTrue(ready, f"no reply to {line!r}")
        return json.loads(self.process.stdout.readline())

    def test_errors_keep_the_loop_serving(self):
        self.assertIsNone(self.ask("this is not json")["id"])
        self.assertEqual(self.ask('{"id":1,"op":"explode"}')["id"], 1)
        self.assertIn("unknown policy", self.ask('{"id":2,"op":"score","policy":"x","state":null,"candidates":[{"id":"a","x":[1]}]}')["error"])
        self.assertIn("dimension mismatch", self.ask('{"id":3,"op":"update","state":{"d":1,"A_inv":[[1]],"b":[0],"pulls":0,"reward_sum":0},"x":[1,2],"reward":1}')["error"])
        self.assertIn("non-empty", self.ask('{"id":4,"op":"score","state":null,"candidates":[]}')["error"])
        self.assertIn("id must be", self.ask('{"id":1e400,"op":"health"}')["error"])
        self.assertIn("nested too deeply", self.ask("[" * 100_000)["error"])
        overflowing = '{"d":1,"A_inv":[[1]],"b":[0],"pulls":0,"reward_sum":1.7e308}'
        self.assertIn("update overflows", self.ask('{"id":7,"op":"update","state":%s,"x":[1],"reward":1e308}' % overflowing)["error"])
        self.assertEqual(self.ask('{"id":5,"op":"health"}')["ok"], True)
        reply = self.ask('{"id":6,"op":"score","params":{"epsilon":0},"state":null,"candidates":[{"id":"a","x":[1,0]},{"id":"b","x":[0,2]}]}')
        self.assertEqual((reply["id"], reply["chosen"], reply["scores"]), (6, "b", [1.0, 2.0]))

    def test_line_mode_does_not_load_the_http_server(self):
        # It takes ~40 ms to import, and calls made while the scorer starts have 150 ms to be answered.
        probe = "import sys; sys.path.insert(0, sys.argv[1]); import scorer; print('http.server' in sys.modules)"
        output = subprocess.run([sys.executable, "-c", probe, os.path.dirname(SCRIPT)], capture_output=True, text=True, check=True)
        self.assertEqual(output.stdout.strip(), "False")

    def test_sigint_is_left_to_the_parent(self):
        self.assertEqual(self.ask('{"id":1,"op":"health"}')["ok"], True)
        self.process.send_signal(signal.SIGINT)
        self.assertEqual(self.ask('{"id":2,"op":"health"}')["id"], 2)
        self.assertIsNone(self.process.poll())

    def test_blank_lines_are_skipped_and_pipelined_requests_answered_in_order(self):
        lines = "\n".join(['{"id":%d,"op":"health"}' % index if index % 3 else "" for index in range(30)])
        self.process.stdin.write(lines.encode() + b"\n")
        self.process.stdin.close()
        ids = [json.loads(line)["id"] for line in self.process.stdout]
        self.assertEqual(ids, [index for index in range(30) if index % 3])
        self.assertEqual(self.process.wait(timeout=10), 0)


class InstalledScriptTest(unittest.TestCase):
    """scorer.py and linucb.py alone in a directory, as the server writes them to DATA_DIR/ml/."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="oo-scorer-test-")
        self.addCleanup(shutil.rmtree, self.dir)
        for name in ("scorer.py", "linucb.py"):
            shutil.copy(os.path.join(ML_DIR, name), self.dir)

    def run_script(self, env):
        lines = '{"id":1,"op":"health"}\n{"id":2,"op":"score","state":null,"candidates":[{"id":"a","x":[3,4]}]}\n'
        # From another directory, so nothing but the script's own directory can provide linucb.
        output = subprocess.run(
            [sys.executable, "-u", os.path.join(self.dir, "scorer.py")], input=lines, env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=30
        )
        self.assertEqual(output.returncode, 0, output.stderr)
        return [json.loads(line) for line in output.stdout.splitlines()]

    def test_it_imports_linucb_from_its_own_directory(self):
        env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
        for extra in ({}, {"PYTHONSAFEPATH": "1"}):
            with self.subTest(env=extra):
                health, scored = self.run_script({**env, **extra})
                self.assertEqual((health["id"], health["ok"], health["version"]), (1, True, scorer.VERSION))
                self.assertEqual((scored["id"], scored["scores"], scored["chosen"]), (2, [5.0], "a"))
        # Nothing but the two files is left there (no __pycache__).
        self.assertEqual(sorted(os.listdir(self.dir)), ["linucb.py", "scorer.py"])


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class HttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.process = subprocess.Popen([sys.executable, SCRIPT, "--http", str(cls.port)], stderr=subprocess.PIPE, text=True)
        # The server announces itself once it is listening.
        assert "listening on" in cls.process.stderr.readline()
        cls.base = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.process.terminate()
        cls.process.wait()
        cls.process.stderr.close()

    def call(self, method, path, body=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    def test_health(self):
        status, reply = self.call("GET", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(reply, {"id": None, "ok": True, "version": scorer.VERSION, "numpy": linucb.USE_NUMPY})

    def test_score_and_update_without_op(self):
        status, updated = self.call("POST", "/update", {"id": "u", "state": None, "x": [1.0, 0.0], "reward": 1.0})
        self.assertEqual((status, updated["id"]), (200, "u"))
        self.assertEqual(updated["state"], ScoreTest.STATE)
        status, scored = self.call("POST", "/score", {"id": "s", **score_request(updated["state"], ScoreTest.XS, alpha=0.0)})
        self.assertEqual(status, 200)
        self.assertEqual((scored["id"], scored["scores"], scored["chosen"]), ("s", [0.5, 0.0, 0.5], "c0"))

    def test_errors_answer_400_and_unknown_routes_404(self):
        status, reply = self.call("POST", "/score", {"id": 1, "state": None, "candidates": []})
        self.assertEqual((status, reply["error"]), (400, "candidates must be a non-empty list"))
        status, reply = self.call("POST", "/update", b"{broken")
        self.assertEqual(status, 400)
        self.assertTrue(reply["error"].startswith("invalid JSON"))
        status, reply = self.call("POST", "/score", b"[" * 100_000)
        self.assertEqual((status, reply["error"]), (400, "invalid JSON: nested too deeply"))
        status, reply = self.call("GET", "/score")
        self.assertEqual((status, reply["error"]), (404, "no route GET /score"))


if __name__ == "__main__":
    unittest.main()
