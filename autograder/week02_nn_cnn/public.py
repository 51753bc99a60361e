"""Public checks for week 2 (neural networks from the inside). Shipped with the release; hidden.py
reuses the probes on other shapes, seeds and edge cases.

Probes make seeded inputs (float64 unless a check is about float32 numerics), call the learner's
code through `coursekit.probing.call` / `call_module` (return arity and type, inputs left unchanged,
before any value) and return what came back, nothing computed from it: a probe runs in the
learner's process. Properties (rows of dlogits summing to 0, how much an output moves when values
under a hole change) are computed by each check's `derive`, in the grader, from the raw outputs.
Every faithful implementation gives the reference's raw outputs to ~1e-12 in float64, so they are
compared too. Every size is drawn fresh at grading (`Sizes`), so the public expected outputs
answer no graded check. Each probe tests one function: inputs are built here, never with another
of the learner's functions.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn as nn

from coursekit.checks import Check
from coursekit.deriving import computable, largest, max_change
from coursekit.probing import (
    Sizes,
    build,
    call,
    call_module,
    generator,
    randint,
    randn,
    seeded_weights,
)

# ---------------------------------------------------------------- linear layer and ReLU


def probe_linear_forward(ns, N: int = 4, d_in: int = 5, d_out: int = 3, square: bool = False, seed: int = 1):
    """x (N, d_in), weight (d_out, d_in), bias (d_out,); square makes N = d_in = d_out, where a
    missing transpose still runs."""
    size = Sizes(seed)
    N, d_in, d_out = size(N, 2), size(d_in, 2), size(d_out, 2)
    if square:
        d_in = d_out = N
    x, w, b = randn(N, d_in, seed=seed), randn(d_out, d_in, seed=seed + 1), randn(d_out, seed=seed + 2)
    return call(ns, "linear_forward", x, w, b, returns=("y",))


def probe_linear_backward(ns, N: int = 4, d_in: int = 5, d_out: int = 3, square: bool = False, seed: int = 3):
    size = Sizes(seed)
    N, d_in, d_out = size(N, 2), size(d_in, 2), size(d_out, 2)
    if square:
        d_in = d_out = N
    g, x, w = randn(N, d_out, seed=seed), randn(N, d_in, seed=seed + 1), randn(d_out, d_in, seed=seed + 2)
    return call(ns, "linear_backward", g, x, w, returns=("grad_x", "grad_weight", "grad_bias"))


def probe_relu_backward(ns, shape=(3, 4, 5), zeros: bool = True, seed: int = 5):
    """x with about a third of its entries exactly 0 (zeros=True): the gradient there is 0."""
    size = Sizes(seed)
    shape = tuple(size(n) for n in shape)
    x = randn(*shape, seed=seed)
    if zeros:
        x = x.masked_fill(randn(*shape, seed=seed + 1) > 0.5, 0.0)
    g = randn(*shape, seed=seed + 2)
    return call(ns, "relu_backward", g, x, returns=("grad_x",))


# ---------------------------------------------------------------- softmax cross-entropy


def softmax_inputs(N: int, C: int, scale: float, dtype: torch.dtype, seed: int):
    size = Sizes(seed)
    N, C = size(N, 2), size(C, 2)
    logits = (scale * randn(N, C, seed=seed)).to(dtype)
    return logits, randint(0, C, (N,), seed=seed + 1)


def probe_softmax_ce(ns, N: int = 6, C: int = 5, scale: float = 2.0, dtype=torch.float64, seed: int = 7):
    logits, y = softmax_inputs(N, C, scale, dtype, seed)
    return call(ns, "softmax_cross_entropy", logits, y, returns=("loss", "dlogits"))


def softmax_properties(raw):
    """Each row of dlogits sums to 0 and the loss is finite (NaN or inf where the max is not subtracted)."""
    return computable(
        max_dlogits_row_sum=lambda: largest(np.asarray(raw["dlogits"], dtype=np.float64).sum(axis=1)),
        loss_is_finite=lambda: np.isfinite(np.asarray(raw["loss"], dtype=np.float64)).reshape(1),
    )


# ---------------------------------------------------------------- gradient check


def smooth_function(A: torch.Tensor):
    """f(x) = sum(sin(x) * x^2) + 0.5 ||A x||^2 (x a matrix), and its exact gradient."""
    def f(x: torch.Tensor) -> torch.Tensor:
        return (torch.sin(x) * x**2).sum() + 0.5 * (A @ x).pow(2).sum()

    def grad(x: torch.Tensor) -> torch.Tensor:
        return torch.cos(x) * x**2 + 2 * x * torch.sin(x) + A.T @ (A @ x)

    return f, grad


def probe_gradient_check(ns, rows: int = 3, cols: int = 4, eps: float | None = 1e-3, error: float = 0.0,
                         seed: int = 9):
    """The numerical gradient of a smooth function and the relative error to its exact gradient
    (scaled by 1 + error, so a known error must be measured). eps=None keeps the default 1e-6."""
    size = Sizes(seed)
    rows, cols = size(rows, 2), size(cols, 2)
    x = randn(rows, cols, seed=seed)
    f, grad = smooth_function(randn(rows, rows, seed=seed + 1))
    analytic = grad(x) * (1 + error)
    kwargs = {} if eps is None else {"eps": eps}
    return call(ns, "gradient_check", f, x, analytic, returns=("numerical", "rel"), **kwargs)


def probe_gradient_check_zero(ns, seed: int = 11):
    """A constant function with a zero analytic gradient (both norms 0: rel must be 0.0), next to a
    smooth function, so that a body returning zeros earns nothing."""
    size = Sizes(seed)
    x = randn(size(2), size(3), seed=seed)
    zero = call(ns, "gradient_check", lambda t: torch.zeros((), dtype=t.dtype), x, torch.zeros_like(x),
                returns=("numerical", "rel"))
    f, grad = smooth_function(randn(x.shape[0], x.shape[0], seed=seed + 1))
    smooth = call(ns, "gradient_check", f, x, grad(x), eps=1e-3, returns=("numerical", "rel"))
    return {"numerical_zero": zero["numerical"], "rel_zero": zero["rel"],
            "numerical_smooth": smooth["numerical"], "rel_smooth": smooth["rel"]}


# ---------------------------------------------------------------- optimisers


def quadratic_gradients(n: int, seed: int):
    """grad(p, t) = A p + noise_t: a gradient that depends on where the learner's steps went."""
    A = randn(n, n, seed=seed)
    A = A @ A.T / n + torch.eye(n, dtype=torch.float64)
    noise = randn(64, n, seed=seed + 1)
    return lambda p, t: A @ p + noise[t % 64]


def probe_sgd(ns, n: int = 5, steps: int = 6, lr: float = 0.05, momentum: float = 0.9, seed: int = 13):
    """`steps` chained calls from p0 with zero velocity; returns every param and velocity."""
    size = Sizes(seed)
    n, steps = size(n, 2), size(steps, 3)
    grad = quadratic_gradients(n, seed)
    p, vel = randn(n, seed=seed + 2), torch.zeros(n, dtype=torch.float64)
    out = {}
    for t in range(steps):
        result = call(ns, "sgd_momentum_step", p, grad(p, t), vel, lr=lr, momentum=momentum,
                      returns=("param", "velocity"))
        p, vel = result["param"], result["velocity"]
        out |= {f"param_{t}": p, f"velocity_{t}": vel}
    return out


def probe_adam(ns, n: int = 5, steps: int = 6, lr: float = 0.05, betas=(0.9, 0.999), eps: float = 1e-8,
               grad_scale: float = 1.0, seed: int = 15):
    """`steps` chained calls (t = 1, 2, ...) with zero moments; returns every param, m and v.
    grad_scale 1e-3 with eps 1e-3 makes where eps goes matter."""
    size = Sizes(seed)
    n, steps = size(n, 2), size(steps, 3)
    grad = quadratic_gradients(n, seed)
    p = randn(n, seed=seed + 2)
    m, v = torch.zeros(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64)
    out = {}
    for t in range(1, steps + 1):
        result = call(ns, "adam_step", p, grad_scale * grad(p, t), m, v, t, lr=lr, betas=betas, eps=eps,
                      returns=("param", "m", "v"))
        p, m, v = result["param"], result["m"], result["v"]
        out |= {f"param_{t}": p, f"m_{t}": m, f"v_{t}": v}
    return out


# ---------------------------------------------------------------- convolution and pooling


def probe_conv2d(ns, N: int = 2, C_in: int = 3, C_out: int = 4, H: int = 7, W: int = 6, kH: int = 3, kW: int = 3,
                 stride: int = 1, padding: int = 0, bias: bool = True, dtype=torch.float64, seed: int = 17):
    size = Sizes(seed)
    N, C_in, C_out = size(N), size(C_in), size(C_out)
    kH, kW = size(kH, 1, kH + 2), size(kW, 1, kW + 2)
    H, W = size(H, kH + 2, 2 * H + 1), size(W, kW + 2, 2 * W + 1)
    x = randn(N, C_in, H, W, seed=seed, dtype=dtype)
    w = randn(C_out, C_in, kH, kW, seed=seed + 1, dtype=dtype)
    b = randn(C_out, seed=seed + 2, dtype=dtype) if bias else None
    return call(ns, "conv2d", x, w, bias=b, stride=stride, padding=padding, returns=("y",))


def pool_input(N: int, C: int, H: int, W: int, shift: float, seed: int) -> torch.Tensor:
    size = Sizes(seed)
    return randn(size(N), size(C), size(H, H - 2, H + 5), size(W, W - 2, W + 5), seed=seed) + shift


def probe_pool(ns, name: str = "max_pool2d", N: int = 2, C: int = 3, H: int = 8, W: int = 9, kernel_size: int = 2,
               stride: int | None = None, padding: int = 0, shift: float = 0.0, seed: int = 19):
    """stride=None leaves the learner's default; shift -2 makes most border windows all-negative
    (so zero padding would win the max)."""
    x = pool_input(N, C, H, W, shift, seed)
    kwargs = {} if stride is None else {"stride": stride}
    if padding:
        kwargs["padding"] = padding
    return call(ns, name, x, kernel_size, returns=("y",), **kwargs)


def probe_pool_backward(ns, N: int = 2, C: int = 2, H: int = 7, W: int = 8, kernel_size: int = 2,
                        stride: int | None = None, seed: int = 21):
    """dL/dy for y = max_pool2d(x, kernel_size, stride); the output size is computed here, not by the learner."""
    x = pool_input(N, C, H, W, 0.0, seed)
    s = kernel_size if stride is None else stride
    H_out, W_out = (x.shape[2] - kernel_size) // s + 1, (x.shape[3] - kernel_size) // s + 1
    g = randn(x.shape[0], x.shape[1], H_out, W_out, seed=seed + 1)
    kwargs = {} if stride is None else {"stride": stride}
    return call(ns, "max_pool2d_backward", g, x, kernel_size, returns=("grad_x",), **kwargs)


# ---------------------------------------------------------------- receptive field, parameter count


def random_layers(count: int, seed: int, max_kernel: int = 7, max_stride: int = 3) -> list[tuple[int, int]]:
    kernels = randint(1, max_kernel + 1, (count,), seed=seed).tolist()
    strides = randint(1, max_stride + 1, (count,), seed=seed + 1).tolist()
    return list(zip(kernels, strides, strict=True))


def probe_receptive_field(ns, count: int = 4, seed: int = 23):
    """A random stack of `count` (kernel 1..7, stride 1..3) layers."""
    return call(ns, "receptive_field", random_layers(Sizes(seed)(count, 1, 2 * count + 1), seed), returns=("field",))


def probe_receptive_field_edges(ns, seed: int = 60):
    """The empty stack (1 pixel) and a single layer (its kernel size), next to a random stack of 3,
    so that a constant answer earns nothing."""
    kernel, stride = (int(v) for v in randint(2, 8, (2,), seed=seed))
    return {"field_empty": call(ns, "receptive_field", [], returns=("field",))["field"],
            "field_single": call(ns, "receptive_field", [(kernel, stride)], returns=("field",))["field"],
            "field_stack": call(ns, "receptive_field", random_layers(3, seed + 1), returns=("field",))["field"]}


def probe_receptive_field_vgg(ns, before: int = 2, after: int = 1, seed: int = 24):
    """A VGG-like stack: `before` 3x3 convolutions, a 2x2 pool of stride 2, `after` 3x3 convolutions
    (public: conv3, conv3, pool2/2, conv3, 10 pixels; the counts drawn fresh at grading)."""
    size = Sizes(seed)
    before, after = size(before, 1, 5), size(after, 1, 5)
    return call(ns, "receptive_field", [(3, 1)] * before + [(2, 2)] + [(3, 1)] * after, returns=("field",))


class TiedModel(nn.Module):
    """An embedding whose weight the output layer shares, a frozen projection and a BatchNorm."""

    def __init__(self, vocab: int, dim: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.frozen = nn.Linear(dim, hidden)
        self.frozen.requires_grad_(False)
        self.norm = nn.BatchNorm1d(hidden)
        self.up = nn.Linear(hidden, dim)
        self.out = nn.Linear(dim, vocab, bias=False)
        self.out.weight = self.embed.weight  # tied: one tensor, two modules


def probe_count_parameters(ns, kind: str = "mlp", seed: int = 25):
    """kind mlp: Linear-ReLU-Linear-ReLU-Linear; tied: TiedModel (shared, frozen and buffer tensors);
    cnn: conv, BatchNorm2d, linear with one frozen bias."""
    size = Sizes(seed)
    a, b, c = size(7, 2), size(5, 2), size(3, 2)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, c), nn.ReLU(), nn.Linear(c, 2))
    elif kind == "tied":
        model = TiedModel(a, b, c)
    else:
        model = nn.Sequential(nn.Conv2d(1, a, 3), nn.BatchNorm2d(a), nn.ReLU(), nn.Flatten(), nn.Linear(a * 4, c))
        model[4].bias.requires_grad_(False)
    return call(ns, "count_parameters", model, returns=("count",))


# ---------------------------------------------------------------- Bilinear and PartialConv2d


def probe_bilinear(ns, lead=(5,), in1: int = 4, in2: int = 3, out: int = 2, bias: bool = True, seed: int = 27):
    """x1 (*lead, in1), x2 (*lead, in2) into Bilinear(in1, in2, out) with seeded float64 weights;
    in1 == in2 is kept so (a transposed W then still runs)."""
    size = Sizes(seed)
    lead = tuple(size(n) for n in lead)
    square = in1 == in2
    in1, out = size(in1, 2), size(out)
    in2 = in1 if square else size(in2, 2)
    module = build(ns, "Bilinear", in1, in2, out, bias=bias, seed=seed)
    x1, x2 = randn(*lead, in1, seed=seed + 1), randn(*lead, in2, seed=seed + 2)
    return call_module(module, "Bilinear", x1, x2, returns=("y",))


def random_holes(N: int, H: int, W: int, seed: int, dtype=torch.float64) -> torch.Tensor:
    """(N, 1, H, W) masks of 0./1.: random scattered holes plus one 3x3 square hole per image, so
    some windows are wholly inside a hole and some partly."""
    mask = (torch.rand(N, 1, H, W, generator=generator(seed)) > 0.3).to(dtype)
    tops = randint(0, H - 2, (N,), seed=seed + 1).tolist()
    lefts = randint(0, W - 2, (N,), seed=seed + 2).tolist()
    for i, (top, left) in enumerate(zip(tops, lefts, strict=True)):
        mask[i, :, top:top + 3, left:left + 3] = 0
    return mask


def pconv_inputs(N, C_in, C_out, H, W, k, seed):
    size = Sizes(seed)
    N, C_in, C_out = size(N), size(C_in), size(C_out)
    H, W = size(H, 6, 2 * H + 1), size(W, 6, 2 * W + 1)
    return N, C_in, C_out, H, W, k


def probe_pconv(ns, N: int = 2, C_in: int = 3, C_out: int = 4, H: int = 8, W: int = 7, k: int = 3, stride: int = 1,
                padding: int = 1, bias: bool = True, dtype=torch.float64, seed: int = 29):
    N, C_in, C_out, H, W, k = pconv_inputs(N, C_in, C_out, H, W, k, seed)
    module = build(ns, "PartialConv2d", C_in, C_out, k, stride=stride, padding=padding, bias=bias, seed=seed)
    module = module.to(dtype)
    x = randn(N, C_in, H, W, seed=seed + 3, dtype=dtype)
    mask = random_holes(N, H, W, seed + 4, dtype)
    return call_module(module, "PartialConv2d", x, mask, returns=("output", "new_mask"))


def probe_pconv_ignores_holes(ns, N: int = 2, C_in: int = 2, C_out: int = 3, H: int = 8, W: int = 8, seed: int = 31):
    """The same module on x and on x with other (large) values under the holes: raw outputs of both."""
    N, C_in, C_out, H, W, k = pconv_inputs(N, C_in, C_out, H, W, 3, seed)
    module = build(ns, "PartialConv2d", C_in, C_out, k, stride=1, padding=1, seed=seed)
    x = randn(N, C_in, H, W, seed=seed + 3)
    mask = random_holes(N, H, W, seed + 4)
    scribbled = torch.where(mask.bool(), x, 50 * randn(N, C_in, H, W, seed=seed + 5))
    first = call_module(module, "PartialConv2d", x, mask, returns=("output", "new_mask"))
    second = call_module(module, "PartialConv2d", scribbled, mask, returns=("output", "new_mask"))
    return {"output": first["output"], "new_mask": first["new_mask"], "output_scribbled": second["output"]}


def pconv_ignores_holes(raw):
    """How much the output moved when only values under the holes changed (0 for a partial conv)."""
    return computable(change_from_hole_values=lambda: max_change(raw["output"], raw["output_scribbled"]))


# ---------------------------------------------------------------- train_epoch and evaluate


def small_model(seed: int, d_in: int, hidden: int, classes: int) -> nn.Module:
    """Linear-BatchNorm-ReLU-Linear in float64 with seeded weights (BatchNorm: train and eval differ)."""
    model = nn.Sequential(nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, classes))
    return seeded_weights(model, seed)


def batches(sizes: list[int], d_in: int, classes: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(randn(n, d_in, seed=seed + 10 * i), randint(0, classes, (n,), seed=seed + 10 * i + 1))
            for i, n in enumerate(sizes)]


def loop_sizes(seed: int, batch_sizes: tuple[int, ...]) -> tuple[int, int, int, list[int]]:
    size = Sizes(seed)
    d_in, hidden, classes = size(6, 2), size(8, 3), size(3, 2)
    sizes = [size(n, 2) for n in batch_sizes[:-1]] + [size(batch_sizes[-1], 2, batch_sizes[0])]
    return d_in, hidden, classes, sizes


def model_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter and buffer after the call, under names without dots."""
    return {f"state_{name.replace('.', '_')}": value for name, value in model.state_dict().items()}


def probe_train_epoch(ns, batch_sizes=(8, 8, 8, 5), lr: float = 0.1, optimizer: str = "sgd", seed: int = 33):
    """One epoch over batches (the last one smaller) of a model handed over in eval mode, with stale
    gradients already in .grad; returns the loss and the model's state afterwards."""
    d_in, hidden, classes, sizes = loop_sizes(seed, batch_sizes)
    model = small_model(seed, d_in, hidden, classes)
    for p in model.parameters():
        p.grad = torch.ones_like(p)  # left over from an earlier backward
    opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=lr))
    result = call(ns, "train_epoch", model, batches(sizes, d_in, classes, seed), opt, returns=("loss",))
    return result | model_state(model)


def probe_evaluate(ns, batch_sizes=(16, 16, 7), seed: int = 35):
    """A model handed over in train mode (BatchNorm with running statistics of its own); returns the
    loss, the accuracy and the model's state afterwards (evaluation must not change it)."""
    d_in, hidden, classes, sizes = loop_sizes(seed, batch_sizes)
    model = small_model(seed, d_in, hidden, classes)
    with torch.no_grad():
        model[1].running_mean.copy_(randn(hidden, seed=seed + 7))
        model[1].running_var.copy_(randn(hidden, seed=seed + 8).abs() + 0.5)
        model[3].weight.mul_(4)  # confident logits: some right, some wrong
    model.train()
    result = call(ns, "evaluate", model, batches(sizes, d_in, classes, seed), returns=("loss", "accuracy"))
    return result | model_state(model)


CHECKS = [
    Check("linear_forward_batch", "linear_forward", probe_linear_forward, points=1,
          description="x (4, 5), weight (3, 5), bias (3,)"),
    Check("linear_forward_square", "linear_forward", partial(probe_linear_forward, N=4, square=True, seed=2),
          points=1, description="N = D_in = D_out = 4: every orientation of W runs, only x W^T is right"),
    Check("linear_backward_batch", "linear_backward", probe_linear_backward, points=1,
          description="grad_out (4, 3), x (4, 5), weight (3, 5)"),
    Check("linear_backward_square", "linear_backward", partial(probe_linear_backward, N=4, square=True, seed=4),
          points=1, description="all dims 4, where a transposed gradient has the right shape"),
    Check("relu_backward_with_zeros", "relu_backward", probe_relu_backward, points=1,
          description="x (3, 4, 5) with a third of its entries exactly 0 (gradient 0 there)"),
    Check("softmax_ce_small", "softmax_cross_entropy", probe_softmax_ce, derive=softmax_properties, points=1,
          description="logits (6, 5) of scale 2: loss and dlogits (each row sums to 0)"),
    Check("softmax_ce_float32_1000", "softmax_cross_entropy",
          partial(probe_softmax_ce, N=5, C=4, scale=1000.0, dtype=torch.float32, seed=8),
          derive=softmax_properties, points=1, exact_dtype=True,
          atol=1e-3, rtol=1e-5,  # float32: losses of ~1000 carry rounding of ~1e-4
          description="float32 logits of about +-1000: finite loss and gradient, in float32"),
    Check("gradient_check_smooth", "gradient_check", probe_gradient_check, points=1,
          description="f = sum(sin(x) x^2) + |Ax|^2/2 at x (3, 4), eps 1e-3: central differences"),
    Check("gradient_check_known_error", "gradient_check", partial(probe_gradient_check, error=0.01, seed=10),
          points=1, description="an analytic gradient 1% too large: rel must measure it (about 0.005)"),
    Check("sgd_momentum_trajectory", "sgd_momentum_step", probe_sgd, points=1,
          description="6 chained steps, lr 0.05, momentum 0.9 (params and velocities)"),
    Check("adam_trajectory", "adam_step", probe_adam, points=1,
          description="6 chained steps from t = 1, lr 0.05, default betas and eps (params, m, v)"),
    Check("adam_large_eps", "adam_step", partial(probe_adam, eps=1e-3, grad_scale=1e-3, seed=16), points=1,
          description="gradients of about 1e-3 with eps 1e-3: eps is added after the square root"),
    Check("conv2d_basic", "conv2d", probe_conv2d, points=1,
          description="x (2, 3, 7, 6), weight (4, 3, 3, 3), bias, stride 1, no padding"),
    Check("conv2d_stride_padding", "conv2d", partial(probe_conv2d, stride=2, padding=1, seed=18), points=1,
          description="stride 2, padding 1"),
    Check("max_pool2d_default_stride", "max_pool2d", probe_pool, points=1,
          description="kernel 2, stride left to its default (= kernel size) on (2, 3, 8, 9)"),
    Check("max_pool2d_padding_negative", "max_pool2d",
          partial(probe_pool, kernel_size=3, stride=2, padding=1, shift=-2.0, seed=20), points=1,
          description="kernel 3, stride 2, padding 1 on inputs of mean -2: padding must not win"),
    Check("avg_pool2d_default_stride", "avg_pool2d", partial(probe_pool, name="avg_pool2d", seed=22), points=1,
          description="kernel 2, stride left to its default"),
    Check("avg_pool2d_padding", "avg_pool2d",
          partial(probe_pool, name="avg_pool2d", kernel_size=3, stride=2, padding=1, seed=24), points=1,
          description="kernel 3, stride 2, padding 1 (padding counts in the mean)"),
    Check("max_pool2d_backward_default", "max_pool2d_backward", probe_pool_backward, points=1,
          description="kernel 2, default stride: each gradient to its window's argmax"),
    Check("max_pool2d_backward_overlap", "max_pool2d_backward",
          partial(probe_pool_backward, kernel_size=3, stride=1, seed=26), points=1,
          description="kernel 3, stride 1: overlapping windows, gradients summed"),
    Check("receptive_field_random_stack", "receptive_field", probe_receptive_field, points=1,
          description="4 layers of random kernel and stride"),
    Check("receptive_field_cnn", "receptive_field", probe_receptive_field_vgg, points=1,
          description="conv3, conv3, pool2/2, conv3: 10 pixels"),
    Check("count_parameters_mlp", "count_parameters", probe_count_parameters, points=1,
          description="a three-layer MLP"),
    Check("count_parameters_tied_frozen", "count_parameters", partial(probe_count_parameters, kind="tied", seed=28),
          points=1, description="tied embedding, a frozen layer and BatchNorm buffers"),
    Check("bilinear_batch", "Bilinear", probe_bilinear, points=1,
          description="x1 (5, 4), x2 (5, 3) into Bilinear(4, 3, 2)"),
    Check("bilinear_square", "Bilinear", partial(probe_bilinear, in1=3, in2=3, out=4, seed=30), points=1,
          description="in1 = in2 = 3, where W and its transpose both run"),
    Check("partial_conv_random_holes", "PartialConv2d", probe_pconv, points=2,
          description="3x3, padding 1 on (2, 3, 8, 7) with random holes: output and updated mask"),
    Check("partial_conv_ignores_hole_values", "PartialConv2d",
          probe_pconv_ignores_holes, derive=pconv_ignores_holes, points=1,
          description="other values under the holes change nothing"),
    Check("train_epoch_sgd", "train_epoch", probe_train_epoch, points=2,
          description="one epoch (batches of 8, 8, 8, 5), SGD with momentum, model handed over in eval mode"),
    Check("evaluate_batchnorm", "evaluate", probe_evaluate, points=2,
          description="batches of 16, 16, 7, model handed over in train mode: loss, accuracy, state unchanged"),
]
