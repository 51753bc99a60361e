"""Week 2 beyond `validate`: the reference layers equal PyTorch's, the digits split is fixed and
stratified, and the benchmark's notebook loader finds every definition it times."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

pytestmark = pytest.mark.week02

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def ns() -> dict:
    spec = importlib.util.spec_from_file_location("week02_benchmark", ROOT / "benchmarks" / "week02_nn_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_notebook()


def test_conv_and_pooling_equal_torch(ns):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 9, 8, generator=gen, dtype=torch.float64)
    w = torch.randn(4, 3, 3, 2, generator=gen, dtype=torch.float64)
    b = torch.randn(4, generator=gen, dtype=torch.float64)
    for stride, padding in ((1, 0), (2, 1), (3, 2)):
        assert torch.allclose(ns["conv2d"](x, w, b, stride, padding), F.conv2d(x, w, b, stride, padding))
    assert torch.equal(ns["max_pool2d"](x, 3, 2, 1), F.max_pool2d(x, 3, 2, 1))
    assert torch.allclose(ns["avg_pool2d"](x, 3, 2, 1), F.avg_pool2d(x, 3, 2, 1))
    leaf = x.clone().requires_grad_()
    g = torch.randn(2, 3, 4, 3, generator=gen, dtype=torch.float64)
    F.max_pool2d(leaf, 3, 2).backward(g)
    assert torch.allclose(ns["max_pool2d_backward"](g, x, 3, 2), leaf.grad)


def test_partial_conv_without_holes_is_a_convolution(ns):
    torch.manual_seed(0)
    layer = ns["PartialConv2d"](3, 5, 3)
    x = torch.randn(2, 3, 7, 7)
    out, mask = layer(x, torch.ones(2, 1, 7, 7))
    assert torch.allclose(out, F.conv2d(x, layer.weight, layer.bias), atol=1e-6)
    assert torch.equal(mask, torch.ones(2, 1, 5, 5))


def test_digits_split_is_seeded_and_stratified(ns):
    X_train, y_train, X_test, y_test = ns["digits_split"]()
    assert X_train.shape == (1438, 1, 8, 8) and X_test.shape == (359, 1, 8, 8)
    assert float(X_train.max()) == 1.0 and float(X_train.min()) == 0.0
    counts = torch.bincount(y_test, minlength=10)
    assert int(counts.min()) >= 35 and int(counts.max()) <= 37
    again = ns["digits_split"]()
    assert torch.equal(again[3], y_test) and torch.equal(again[0], X_train)
