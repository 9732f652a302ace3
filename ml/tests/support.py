"""Helpers shared by the ml tests."""

from contextlib import contextmanager

from ml import linucb


@contextmanager
def numpy_path(enabled):
    """Runs the block with linucb's numpy path on or off."""
    previous = linucb.USE_NUMPY
    linucb.USE_NUMPY = enabled
    try:
        yield
    finally:
        linucb.USE_NUMPY = previous


def both_paths():
    """The paths this machine can run: pure Python always, numpy when importable."""
    return [False, True] if linucb.numpy is not None else [False]
