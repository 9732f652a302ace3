"""Tests of ml/features.py: the same vectors as serving. Run from the repository root:
python3 -m unittest discover -s ml/tests -t ."""

import json
import os
import unittest

from ml import features

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "feature_fixtures.json")


def as_python(candidate):
    """A fixture's candidate (serving's field names) as ml/features.py takes it."""
    return {
        "kind": candidate["kind"],
        "source": candidate["source"],
        "priority": candidate["priority"],
        "category": candidate["category"],
        "due_at": candidate["dueAt"],
        "added_at": candidate["addedAt"],
    }


class ConformanceTest(unittest.TestCase):
    def test_every_fixture_vector_is_computed_exactly_as_serving_computes_it(self):
        with open(FIXTURES, encoding="utf-8") as file:
            cases = json.load(file)["cases"]
        self.assertGreater(len(cases), 400)
        self.assertEqual({case["version"] for case in cases}, set(features.VERSIONS))
        for case in cases:
            with self.subTest(version=case["version"], clock=case["clock"], candidate=case["candidate"]):
                self.assertEqual(features.vector(as_python(case["candidate"]), case["clock"], case["version"]), case["vector"])

    def test_round4_rounds_halves_up_like_javascript(self):
        self.assertEqual(features.round4(0.00005), 0.0001)
        self.assertEqual(features.round4(2 / 3), 0.6667)

    def test_an_unknown_primitive_is_named(self):
        with self.assertRaisesRegex(ValueError, 'unknown feature primitive "moon_phase"'):
            features._term("advice*moon_phase")
