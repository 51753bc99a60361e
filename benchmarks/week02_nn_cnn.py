"""Benchmark week 2's reference layers against torch.nn.functional, side by side in one process.

Loads the master notebook's functions and classes (source/week02_nn_cnn/nn_cnn.ipynb) and times
them next to PyTorch's: im2col `conv2d` vs `F.conv2d`, `max_pool2d` / `avg_pool2d` vs `F`'s,
`max_pool2d_backward` vs autograd through `F.max_pool2d`, `PartialConv2d` vs `F.conv2d` (equal
when nothing is masked: its overhead) and vs NVIDIA's formula on random holes, `Bilinear` vs
`nn.Bilinear`, and the hand-written backward of a two-layer network vs autograd. Prints the
median time per call, the ratio (reference / PyTorch) and the largest absolute difference, in
float32 and float64. Then trains the notebook's digits CNN with `nn.Conv2d` and with the
reference `conv2d` inside the same architecture: accuracy and wall time of both.

    .venv/bin/python benchmarks/week02_nn_cnn.py               # about two minutes on an idle core
    .venv/bin/python benchmarks/week02_nn_cnn.py --epochs 0    # layers only
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "week02_nn_cnn" / "nn_cnn.ipynb"
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)


def load_notebook(path: Path = NOTEBOOK) -> dict[str, Any]:
    """The notebook's imports, functions and classes (no training, no plots), in a fresh namespace."""
    ns: dict[str, Any] = {"__name__": "nn_cnn_notebook"}
    for index, cell in enumerate(nbformat.read(str(path), as_version=4).cells):
        if cell.cell_type != "code" or {"train", "gpu-extra"} & set(cell.metadata.get("tags", [])):
            continue
        keep = [node for node in ast.parse(cell.source).body if isinstance(node, DEFINITIONS)
                and not (isinstance(node, ast.ImportFrom) and node.module == "coursekit")]
        exec(compile(ast.Module(body=keep, type_ignores=[]), f"{path.name}[{index}]", "exec"), ns)
    return ns


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall time of fn() in milliseconds after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def row(name: str, ours: Callable[[], torch.Tensor], theirs: Callable[[], torch.Tensor], repeat: int) -> None:
    error = (ours() - theirs()).abs().max().item()
    t_ours, t_theirs = median_ms(ours, repeat), median_ms(theirs, repeat)
    print(f"{name:52s} {t_ours:9.3f} {t_theirs:9.3f} {t_ours / t_theirs:7.2f}x {error:10.1e}")


def layers(ns: dict[str, Any], repeat: int) -> None:
    gen = torch.Generator().manual_seed(0)
    print(f"{'operation (shapes)':52s} {'ref ms':>9s} {'torch ms':>9s} {'ratio':>8s} {'max |diff|':>10s}")
    conv_sizes = [  # (N, C_in, H, C_out, k, stride, padding)
        (64, 1, 8, 32, 3, 1, 1),     # the digits CNN's first layer
        (64, 32, 8, 32, 3, 1, 1),    # its second
        (16, 64, 32, 64, 3, 1, 1),
        (8, 3, 64, 16, 5, 2, 2),
    ]
    for dtype in (torch.float32, torch.float64):
        tag = "f32" if dtype == torch.float32 else "f64"
        for N, C, H, Co, k, s, p in conv_sizes:
            x = torch.randn(N, C, H, H, generator=gen, dtype=dtype)
            w = torch.randn(Co, C, k, k, generator=gen, dtype=dtype) / (C * k * k) ** 0.5
            b = torch.randn(Co, generator=gen, dtype=dtype)
            row(f"conv2d {tag} x{(N, C, H, H)} w{(Co, C, k, k)} s{s} p{p}",
                lambda x=x, w=w, b=b, s=s, p=p: ns["conv2d"](x, w, b, s, p),
                lambda x=x, w=w, b=b, s=s, p=p: F.conv2d(x, w, b, s, p), repeat)
    x = torch.randn(64, 32, 32, 32, generator=gen)
    for k, s, p in ((2, None, 0), (3, 2, 1)):
        for name, ref in (("max_pool2d", F.max_pool2d), ("avg_pool2d", F.avg_pool2d)):
            row(f"{name} f32 x(64, 32, 32, 32) k{k} s{s or k} p{p}",
                lambda name=name, k=k, s=s, p=p: ns[name](x, k, s, p),
                lambda ref=ref, k=k, s=s, p=p: ref(x, k, s or k, p), repeat)
    x64 = x.double()
    for k, s in ((2, 2), (3, 2)):
        out = F.max_pool2d(x64, k, s)
        g = torch.randn(out.shape, generator=gen, dtype=torch.float64)

        def autograd_backward(k=k, s=s, g=g) -> torch.Tensor:
            leaf = x64.clone().requires_grad_()
            F.max_pool2d(leaf, k, s).backward(g)
            return leaf.grad

        row(f"max_pool2d_backward f64 k{k} s{s} vs autograd",
            lambda k=k, s=s, g=g: ns["max_pool2d_backward"](g, x64, k, s), autograd_backward, repeat)
    torch.manual_seed(0)
    pconv = ns["PartialConv2d"](32, 32, 3, padding=0)
    x = torch.randn(64, 32, 16, 16, generator=gen)
    ones = torch.ones(64, 1, 16, 16)
    holes = (torch.rand(64, 1, 16, 16, generator=gen) > 0.25).float()
    with torch.no_grad():
        row("PartialConv2d f32, mask of ones, p0 vs F.conv2d", lambda: pconv(x, ones)[0],
            lambda: F.conv2d(x, pconv.weight, pconv.bias), repeat)
        row("PartialConv2d f32, 25% holes vs NVIDIA's formula", lambda: pconv(x, holes)[0],
            lambda: nvidia_partial_conv(x, holes, pconv.weight, pconv.bias), repeat)
        ours, theirs = ns["Bilinear"](64, 48, 32), nn.Bilinear(64, 48, 32)
        theirs.load_state_dict(ours.state_dict())
        x1, x2 = torch.randn(256, 64, generator=gen), torch.randn(256, 48, generator=gen)
        row("Bilinear f32 (256, 64) x (256, 48) -> 32 vs nn.Bilinear", lambda: ours(x1, x2),
            lambda: theirs(x1, x2), repeat)
    two_layer(ns, gen, repeat)


def nvidia_partial_conv(x: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Partial convolution as NVIDIA's reference code computes it (stride 1, no padding): the
    renormalisation ratio k*k / (sum(M) + 1e-8), applied to the convolution without its bias."""
    k = weight.shape[-1]
    count = F.conv2d(mask, torch.ones(1, 1, k, k, dtype=mask.dtype))
    update = count.clamp(0, 1)
    raw = F.conv2d(x * mask, weight, bias)
    b = bias.view(1, -1, 1, 1)
    return ((raw - b) * (k * k) / (count + 1e-8) * update + b) * update


def two_layer(ns: dict[str, Any], gen: torch.Generator, repeat: int) -> None:
    """Forward + hand-written backward of linear-ReLU-linear-softmax CE vs the same with autograd."""
    X = torch.randn(512, 64, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 10, (512,), generator=gen)
    W1 = torch.randn(256, 64, generator=gen, dtype=torch.float64) / 8
    b1 = torch.zeros(256, dtype=torch.float64)
    W2 = torch.randn(10, 256, generator=gen, dtype=torch.float64) / 16
    b2 = torch.zeros(10, dtype=torch.float64)

    def by_hand() -> torch.Tensor:
        pre = ns["linear_forward"](X, W1, b1)
        h = pre.clamp(min=0)
        _, dlogits = ns["softmax_cross_entropy"](ns["linear_forward"](h, W2, b2), y)
        dh, dW2, _ = ns["linear_backward"](dlogits, h, W2)
        return torch.cat([ns["linear_backward"](ns["relu_backward"](dh, pre), X, W1)[1].flatten(), dW2.flatten()])

    def by_autograd() -> torch.Tensor:
        w1, w2 = W1.clone().requires_grad_(), W2.clone().requires_grad_()
        F.cross_entropy(torch.relu(X @ w1.T + b1) @ w2.T + b2, y).backward()
        return torch.cat([w1.grad.flatten(), w2.grad.flatten()])

    row("2-layer MLP f64 (512x64 -> 256 -> 10): backward", by_hand, by_autograd, repeat)


class RefConv(nn.Conv2d):
    """nn.Conv2d whose forward is the reference im2col conv2d (autograd differentiates through it)."""

    conv2d: Callable[..., torch.Tensor]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return type(self).conv2d(x, self.weight, self.bias, self.stride[0], self.padding[0])


def cnn(ns: dict[str, Any], epochs: int) -> None:
    """The notebook's digits CNN, trained as in the notebook, with nn.Conv2d and with the reference conv2d."""
    X_train, y_train, X_test, y_test = ns["digits_split"]()
    test = [(X_test, y_test)]
    RefConv.conv2d = staticmethod(ns["conv2d"])
    print(f"\ndigits CNN, {epochs} epochs, Adam 3e-3, batch 64 ({len(y_train)} train / {len(y_test)} test images)")
    results = {}
    for label in ("nn.Conv2d", "reference conv2d"):
        torch.manual_seed(0)
        model = ns["make_cnn"]()
        if label != "nn.Conv2d":
            for i, layer in enumerate(model):
                if isinstance(layer, nn.Conv2d):
                    swapped = RefConv(layer.in_channels, layer.out_channels, layer.kernel_size,
                                      padding=layer.padding)
                    swapped.load_state_dict(layer.state_dict())
                    model[i] = swapped
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X_train, y_train), batch_size=64,
                                             shuffle=True, generator=torch.Generator().manual_seed(0))
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        start = time.perf_counter()
        for _ in range(epochs):
            ns["train_epoch"](model, loader, optimizer)
        seconds = time.perf_counter() - start
        loss, accuracy = ns["evaluate"](model, test)
        results[label] = seconds
        print(f"  {label:18s} test accuracy {accuracy:.4f}  test loss {loss:.4f}  train time {seconds:6.1f} s")
    print(f"  time ratio reference / nn.Conv2d: {results['reference conv2d'] / results['nn.Conv2d']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per operation (median reported)")
    parser.add_argument("--epochs", type=int, default=15, help="CNN training epochs; 0 skips the CNN")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.repeat} calls")
    ns = load_notebook()
    layers(ns, args.repeat)
    if args.epochs:
        cnn(ns, args.epochs)


if __name__ == "__main__":
    main()
