"""Helpers for a check's `derive`: properties computed in the grader from raw outputs.

A derive runs in the trusted grader on the learner's raw outputs read back as numpy arrays
(never in the learner's process), so nothing here may call learner code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np


def computable(**properties: Callable[[], Any]) -> dict[str, np.ndarray]:
    """The properties that can be computed from the learner's outputs. One that cannot (an output
    missing or of the wrong shape) is left out: it shows as missing next to that output's own problem."""
    derived = {}
    for name, compute in properties.items():
        with contextlib.suppress(ValueError, IndexError, TypeError, KeyError, AttributeError):
            derived[name] = np.asarray(compute())
    return derived


def largest(x: Any) -> np.ndarray:
    """max |x| as a 1-element array (one shape in memory and in .npz files, unlike a 0-d one)."""
    return np.abs(np.asarray(x, dtype=np.float64)).max(initial=0.0).reshape(1)


def max_change(a: Any, b: Any) -> np.ndarray:
    """The largest absolute difference between two outputs, as a 1-element array (inf - inf is NaN)."""
    with np.errstate(invalid="ignore"):
        return largest(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))


def integers(x: Any) -> np.ndarray:
    """x as int64, or a TypeError (left out by `computable`) if it holds anything but whole numbers."""
    x = np.asarray(x)
    if x.dtype.kind not in "biu":
        raise TypeError(f"expected integer ids, got {x.dtype}")
    return x.astype(np.int64)


def same(a: Any, b: Any) -> bool:
    """Equal shapes and equal values."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool((a == b).all())
