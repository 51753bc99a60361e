"""Public checks for week 7 (transfer learning). Shipped with the release; hidden.py reuses the probes.

Probes make seeded inputs (float64 where the function allows it, fixed torch.Generators, small toy
modules defined here so that no check depends on another graded function), call the learner's code and
return what came back, raw: the embedding matrix and coverage, a model's weights, flags and gradients
after loading or tying, which optimizer group holds each parameter, pooled vectors, logits, the probe's
W, b and accuracy, the Procrustes map and errors. Whatever a correct answer must satisfy (one shared
tensor, frozen flags, orthogonality) shows in those raw outputs; a derive computes properties from them
in the grader.

Contracts before values: every call goes through `coursekit.probing.call`, which reports in one line a
wrong number or type of returned values, or an input modified in place. Dtypes stated in a docstring
(the matrix in vectors' dtype, the embedding in the model's dtype) are exact.

Fresh inputs: every size (vocabularies, dimensions, batch and sequence lengths, numbers of layers and
classes) is drawn with `Sizes`, and the learning rates and decays from it: the public value here, a fresh
one when grading.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn as nn

from coursekit.checks import Check
from coursekit.deriving import computable, largest
from coursekit.probing import (
    Sizes,
    build,
    call,
    call_module,
    generator,
    mixed,
    need,
    paired,
    randint,
    randn,
    seeded_weights,
)

# ---------------------------------------------------------------- build_embedding_matrix


def embedding_inputs(seed: int, n_pre: int = 12, V: int = 10, known: int = 6, d: int = 5, dtype=torch.float64,
                     all_known: bool = False):
    """(vocab, pretrained_vocab, vectors): `known` words of vocab are pretrained words in another order
    and position, the rest are OOV words and a special token (all_known: none); vectors have
    per-dimension means and scales."""
    s = Sizes(seed)
    n_pre, V, d = s(n_pre, 3), s(V, 3), s(d, 2)
    if all_known:
        n_pre = known = max(n_pre, V)
        V = known
    else:
        known = s.within(known, 0, min(V - 1, n_pre) + 1)  # at least one OOV word
    pretrained = [f"w{i}" for i in torch.randperm(n_pre, generator=generator(seed + 1)).tolist()]
    chosen = [pretrained[i] for i in torch.randperm(n_pre, generator=generator(seed + 2))[:known].tolist()]
    others = ["<unk>"] + [f"new{i}" for i in range(V - known - 1)] if known < V else []
    words = chosen + others
    vocab = [words[i] for i in torch.randperm(len(words), generator=generator(seed + 3)).tolist()]
    scales = 0.5 + torch.arange(d, dtype=torch.float64)  # a different spread per dimension
    vectors = (randn(n_pre, d, seed=seed + 4) * scales + 3 * randn(d, seed=seed + 5)).to(dtype)
    return vocab, pretrained, vectors


def probe_embedding_matrix(ns, seed: int = 1, **sizes):
    vocab, pretrained, vectors = embedding_inputs(seed, **sizes)
    return call(ns, "build_embedding_matrix", vocab, pretrained, vectors, generator(seed + 6),
                returns=("matrix", "coverage"))


def probe_embedding_statistics(ns, seed: int = 7):
    """3,000 OOV rows of 4 dimensions: their per-dimension mean and spread are derived in the grader."""
    vocab, pretrained, vectors = embedding_inputs(seed, n_pre=40, V=3000, known=20, d=4)
    return call(ns, "build_embedding_matrix", vocab, pretrained, vectors, generator(seed + 6),
                returns=("matrix", "coverage"))


def oov_statistics(raw, seed: int = 7):
    """Mean and standard deviation of the OOV rows, minus the pretrained rows' (both near 0 when right)."""
    vocab, pretrained, vectors = embedding_inputs(seed, n_pre=40, V=3000, known=20, d=4)
    oov = np.array([w not in set(pretrained) for w in vocab])
    v = vectors.numpy()
    return computable(
        oov_mean_minus_pretrained_mean=lambda: raw["matrix"][oov].mean(0) - v.mean(0),
        oov_std_over_pretrained_std=lambda: raw["matrix"][oov].std(0) / v.std(0),
        distinct_oov_rows=lambda: len(np.unique(raw["matrix"][oov].round(9), axis=0)),
    )


# ---------------------------------------------------------------- load_pretrained_embeddings and tie_weights


class TiedToy(nn.Module):
    """An embedding, a layer, and a head tied to the embedding (as after tie_weights)."""

    def __init__(self, V: int, d: int):
        super().__init__()
        self.tok_emb = nn.Embedding(V, d)
        self.mix = nn.Linear(d, d)
        self.lm_head = nn.Linear(d, V, bias=False)
        self.lm_head.weight = self.tok_emb.weight

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.lm_head(torch.tanh(self.mix(self.tok_emb(idx))))


class UntiedToy(TiedToy):
    """The same with an untied head of its own."""

    def __init__(self, V: int, d: int):
        super().__init__(V, d)
        self.lm_head = nn.Linear(d, V, bias=False)


def probe_load(ns, freeze: bool, seed: int = 11, float32: bool = False):
    """Load a float64 matrix into a tied toy model; then the weights, flags and head, and, after the
    model's embedding changes in place (as training would), the caller's matrix."""
    s = Sizes(seed)
    V, d = s(9, 2), s(4, 2)
    model = seeded_weights(TiedToy(V, d), seed)
    if float32:
        model = model.float()
    matrix = randn(V, d, seed=seed + 1)
    result = call(ns, "load_pretrained_embeddings", model, matrix, freeze=freeze, returns=("model",))
    out = {
        "returned_the_model": result["model"] is model,
        "embedding": model.tok_emb.weight.detach().clone(),
        "head": model.lm_head.weight.detach().clone(),
        "embedding_requires_grad": model.tok_emb.weight.requires_grad,
        "other_requires_grad": [p.requires_grad for p in model.mix.parameters()],
    }
    with torch.no_grad():
        model.tok_emb.weight.add_(1.0)
    return out | {"matrix_after_model_changed": matrix}


def probe_tie(ns, seed: int = 21):
    """Tie an untied toy model; then its parameter count, logits, the embedding's gradient and the head
    after the embedding changes in place."""
    s = Sizes(seed)
    V, d = s(8, 2), s(5, 2)
    model = seeded_weights(UntiedToy(V, d), seed)
    result = call(ns, "tie_weights", model, returns=("model",))
    idx = randint(0, V, (s(3), s(4)), seed=seed + 1)
    logits = model(idx)
    (logits * randn(*logits.shape, seed=seed + 2)).sum().backward()
    grad = model.tok_emb.weight.grad
    out = {
        "returned_the_model": result["model"] is model,
        "n_params": sum(p.numel() for p in model.parameters()),
        "logits": logits.detach(),
        "embedding_grad": grad if grad is not None else torch.zeros(V, d, dtype=torch.float64),
    }
    with torch.no_grad():
        model.tok_emb.weight.mul_(2.0)
    return out | {"head_after_embedding_changed": model.lm_head.weight.detach().clone()}


# ---------------------------------------------------------------- freeze


class Stack(nn.Module):
    """Names that trip naive prefix matching: layers.1 vs layers.10, head vs head_norm vs aux.head."""

    def __init__(self, n_layers: int):
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(n_layers)])
        self.head = nn.Linear(3, 2)
        self.head_norm = nn.LayerNorm(2)
        self.aux = nn.ModuleDict({"head": nn.Linear(3, 1)})


def probe_freeze(ns, seed: int = 31):
    """Freeze ['layers.1', 'head', <another layer>], then unfreeze ['layers.5', 'emb.weight'] with
    frozen=False, starting from a model whose layer 5 is frozen: the counts and every flag after each call."""
    s = Sizes(seed)
    n_layers = s(12, 11, 16)
    other = s.within(3, 2, 10)
    model = Stack(n_layers)
    for p in model.layers[5].parameters():
        p.requires_grad_(False)
    first = call(ns, "freeze", model, ["layers.1", "head", f"layers.{other}"], returns=("count",))["count"]
    flags_first = [p.requires_grad for _, p in model.named_parameters()]
    second = call(ns, "freeze", model, ["layers.5", "emb.weight"], frozen=False, returns=("count",))["count"]
    return {"first_count": first, "first_flags": flags_first, "second_count": second,
            "second_flags": [p.requires_grad for _, p in model.named_parameters()],
            "counts_are_ints": [isinstance(first, int), isinstance(second, int)]}


# ---------------------------------------------------------------- layerwise_lr_groups


class ToyEncoder(nn.Module):
    def __init__(self, n_layer: int, d: int):
        super().__init__()
        self.tok_emb = nn.Embedding(7, d)
        self.pos_emb = nn.Embedding(4, d)
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(d, d), nn.LayerNorm(d)) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.mlm_transform = nn.Linear(d, d)
        self.mlm_bias = nn.Parameter(torch.zeros(7))


class ToyClassifier(nn.Module):
    def __init__(self, n_layer: int, d: int):
        super().__init__()
        self.encoder = ToyEncoder(n_layer, d)
        self.head = nn.Linear(d, 3)


def probe_lr_groups(ns, seed: int = 41, n_layer: int = 3):
    """The groups' learning rates, and for each named parameter (in model.named_parameters() order)
    the index of the group holding it (-1: none) and how many groups hold it."""
    s = Sizes(seed)
    L = s(n_layer, 1, 7)
    base_lr, decay = 1e-3 * s(4, 1, 10), 0.1 * s(5, 2, 10)
    model = ToyClassifier(L, 2)
    groups = need(ns, "layerwise_lr_groups")(model, base_lr, decay)  # a list: call() would take it for a tuple
    holder = {}
    times = {}
    for index, group in enumerate(groups):
        for p in group["params"]:
            holder[id(p)] = index
            times[id(p)] = times.get(id(p), 0) + 1
    named = list(model.named_parameters())
    return {"lrs": [float(group["lr"]) for group in groups],
            "group_of_parameter": [holder.get(id(p), -1) for _, p in named],
            "groups_holding_parameter": [times.get(id(p), 0) for _, p in named]}


def lr_of_parameter(raw):
    """Each parameter's learning rate (0 for none): what the optimizer will actually apply."""
    def rates():
        lrs, where = np.asarray(raw["lrs"], dtype=np.float64), np.asarray(raw["group_of_parameter"])
        return np.where(where >= 0, lrs[np.clip(where, 0, None)], 0.0)
    return computable(lr_of_parameter=rates)


# ---------------------------------------------------------------- pooling


def pooling_inputs(seed: int, B: int = 4, T: int = 7, C: int = 3, dtype=torch.float64, width: int | None = None):
    """hidden (B, T, C) with non-zero values at padding, mask (B, T) bool, lengths 1..T, every row non-empty.
    `width`: C as given (a module's width), not drawn."""
    s = Sizes(seed)
    B, T, C = s(B, 2), s(T, 3), s(C, 2)
    C = width or C
    hidden = (randn(B, T, C, seed=seed) + 2.0).to(dtype)
    lengths = randint(1, T + 1, (B,), seed=seed + 1)
    lengths[0] = T  # one full row
    mask = torch.arange(T)[None, :] < lengths[:, None]
    return hidden, mask


def probe_mean_pool(ns, seed: int = 51, dtype=torch.float64):
    hidden, mask = pooling_inputs(seed, dtype=dtype)
    return call(ns, "masked_mean_pool", hidden, mask, returns=("pooled",))


def probe_mean_pool_holes(ns, seed: int = 53):
    """A mask with holes (not a prefix): the real tokens are wherever mask is True."""
    hidden, _ = pooling_inputs(seed)
    mask = randint(0, 2, hidden.shape[:2], seed=seed + 2).bool()
    mask[:, 1] = True
    return call(ns, "masked_mean_pool", hidden, mask, returns=("pooled",))


def probe_cls_pool(ns, seed: int = 61):
    s = Sizes(seed)
    hidden = randn(s(3, 2), s(6, 2), s(4, 2), seed=seed)
    return call(ns, "cls_pool", hidden, returns=("pooled",))


# ---------------------------------------------------------------- ClassificationHead


def head_inputs(seed: int):
    s = Sizes(seed)
    d, K = s(6, 2), s(4, 2)
    hidden, mask = pooling_inputs(seed + 1, width=d)
    return d, K, hidden, mask


def probe_head(ns, seed: int = 71, pooling: str = "mean", train: bool = False):
    """Logits of a head with seeded float64 weights, dropout 0.3; in train mode dropout draws from a seeded RNG."""
    d, K, hidden, mask = head_inputs(seed)
    head = build(ns, "ClassificationHead", d, K, pooling=pooling, dropout=0.3, seed=seed)
    if train:
        head.train()
        torch.manual_seed(mixed(seed + 5))
    return call_module(head, "ClassificationHead", hidden, mask, returns=("logits",))


# ---------------------------------------------------------------- linear_probe


def probe_inputs(seed: int, N: int = 60, M: int = 40, D: int = 5, K: int = 3, offset: float = 0.0):
    """Features with class-dependent means (plus `offset`), labels in [0, K)."""
    s = Sizes(seed)
    N, M, D, K = s(N, 20), s(M, 10), s(D, 2), s(K, 2)
    centres = 1.5 * randn(K, D, seed=seed)
    train_y, eval_y = randint(0, K, (N,), seed=seed + 1), randint(0, K, (M,), seed=seed + 2)
    train_x = centres[train_y] + randn(N, D, seed=seed + 3) + offset
    eval_x = centres[eval_y] + randn(M, D, seed=seed + 4) + offset
    return train_x, train_y, eval_x, eval_y, K


def probe_linear_probe(ns, seed: int = 81, l2: float = 0.7, offset: float = 0.0, **sizes):
    train_x, train_y, eval_x, eval_y, K = probe_inputs(seed, offset=offset, **sizes)
    l2 = l2 * Sizes(seed + 50)(10) / 10
    out = call(ns, "linear_probe", train_x, train_y, eval_x, eval_y, K, l2, returns=("W", "b", "accuracy"))
    return out | {"accuracy_is_float": isinstance(out["accuracy"], float)}


# ---------------------------------------------------------------- procrustes


def procrustes_inputs(seed: int, n: int = 30, d: int = 4, noise: float = 0.1):
    """B is a random rotation of A plus noise: (A, B)."""
    s = Sizes(seed)
    n, d = s(n, 8), s(d, 2)
    n = max(n, 2 * d + 2)  # more pairs than dimensions: A^T B has full rank and W is unique
    A = randn(n, d, seed=seed)
    Q, _ = torch.linalg.qr(randn(d, d, seed=seed + 1))
    return A, A @ Q + noise * randn(n, d, seed=seed + 2)


def probe_procrustes(ns, seed: int = 91, noise: float = 0.1, **sizes):
    A, B = procrustes_inputs(seed, noise=noise, **sizes)
    out = call(ns, "procrustes", A, B, returns=("W", "before", "after"))
    return out | {"errors_are_floats": [isinstance(out["before"], float), isinstance(out["after"], float)]}


def orthogonality(raw):
    """||W^T W - I||: 0 for a rotation or reflection."""
    return computable(orthogonality_error=lambda: largest(raw["W"].T @ raw["W"] - np.eye(len(raw["W"]))))


CHECKS = [
    # ------------------------------------------------------------ build_embedding_matrix
    Check("embedding_matrix_values", "build_embedding_matrix", probe_embedding_matrix, points=3,
          exact_dtype=True,  # the docstring promises vectors' dtype
          description="a 10-word vocabulary (6 pretrained words in another order, OOV words, <unk>) from 12 "
                      "pretrained 5-d vectors: rows by word, OOV rows mu + sigma * z, coverage 0.6"),
    Check("embedding_matrix_all_known", "build_embedding_matrix",
          partial(probe_embedding_matrix, seed=3, n_pre=9, V=9, all_known=True), points=1,
          description="every word known: the pretrained rows permuted, coverage 1.0, nothing drawn"),
    Check("embedding_matrix_oov_statistics", "build_embedding_matrix",
          **paired(probe_embedding_statistics, oov_statistics), points=2,
          atol=1e-6, rtol=1e-6,
          description="2,980 OOV rows: their per-dimension mean and spread match the pretrained rows', all distinct"),
    Check("embedding_matrix_float32", "build_embedding_matrix",
          partial(probe_embedding_matrix, seed=5, dtype=torch.float32), points=1, exact_dtype=True,
          atol=1e-5, rtol=1e-5,  # float32 sums of a few values: rounding ~1e-7 relative
          description="float32 vectors give a float32 matrix (z drawn in float32)"),
    # ------------------------------------------------------------ load_pretrained_embeddings
    Check("load_embeddings_frozen", "load_pretrained_embeddings", partial(probe_load, freeze=True), points=2,
          exact_dtype=True,
          description="a tied toy model: the matrix copied into the embedding (the tied head follows), "
                      "embedding frozen, other layers untouched, the caller's matrix never shared"),
    Check("load_embeddings_trainable", "load_pretrained_embeddings", partial(probe_load, freeze=False, seed=13),
          points=1, exact_dtype=True, description="the same with freeze=False: the embedding trains"),
    Check("load_embeddings_float32_model", "load_pretrained_embeddings",
          partial(probe_load, freeze=True, seed=15, float32=True), points=1, exact_dtype=True,
          description="a float32 model and a float64 matrix: the embedding stays float32"),
    # ------------------------------------------------------------ tie_weights
    Check("tie_weights_shared", "tie_weights", probe_tie, points=3,
          description="an untied toy model: after tying, V*d fewer parameters, the logits use the embedding, "
                      "one gradient from both uses, and the head follows the embedding"),
    # ------------------------------------------------------------ freeze
    Check("freeze_prefixes", "freeze", probe_freeze, points=3,
          description="freeze ['layers.1', 'head', 'layers.3'] in a 12-layer stack, then unfreeze "
                      "['layers.5', 'emb.weight']: counts (ints) and every requires_grad flag"),
    # ------------------------------------------------------------ layerwise_lr_groups
    Check("lr_groups_three_layers", "layerwise_lr_groups", **paired(probe_lr_groups, lr_of_parameter), points=3,
          description="3 blocks, base 4e-3, decay 0.5: the head at the base rate, each layer below "
                      "multiplied by the decay, ln_f with the top block, the MLM head in no group"),
    Check("lr_groups_one_layer", "layerwise_lr_groups",
          **paired(partial(probe_lr_groups, seed=43, n_layer=1), lr_of_parameter), points=1,
          description="the same with a single block"),
    # ------------------------------------------------------------ masked_mean_pool
    Check("masked_mean_pool_values", "masked_mean_pool", probe_mean_pool, points=2,
          description="(4, 7, 3) hidden states with non-zero padding, rows of lengths 1..7"),
    Check("masked_mean_pool_holes", "masked_mean_pool", probe_mean_pool_holes, points=1,
          description="a mask with holes: the mean of wherever the mask is True"),
    Check("masked_mean_pool_float32", "masked_mean_pool", partial(probe_mean_pool, seed=55, dtype=torch.float32),
          points=1, exact_dtype=True, atol=1e-5, rtol=1e-5,  # float32 sums: rounding ~1e-7 relative
          description="float32 hidden states give float32 means"),
    # ------------------------------------------------------------ cls_pool
    Check("cls_pool_values", "cls_pool", probe_cls_pool, points=2,
          description="(3, 6, 4) hidden states: the first position of every row"),
    # ------------------------------------------------------------ ClassificationHead
    Check("head_mean_eval", "ClassificationHead", probe_head, points=2,
          description="mean pooling, dropout 0.3 in eval mode (no dropout): logits (B, n_classes)"),
    Check("head_cls_eval", "ClassificationHead", partial(probe_head, seed=73, pooling="cls"), points=1,
          description="pooling='cls': the first position"),
    Check("head_train_dropout", "ClassificationHead", partial(probe_head, seed=75, train=True), points=1,
          description="train mode, dropout drawn from a seeded RNG: self.drop on the pooled vector, then proj"),
    # ------------------------------------------------------------ linear_probe
    Check("linear_probe_values", "linear_probe", probe_linear_probe, points=3,
          description="60 training and 40 evaluation 5-d features of 3 classes, l2 0.7: W, b, accuracy"),
    Check("linear_probe_offset", "linear_probe", partial(probe_linear_probe, seed=83, offset=20.0), points=1,
          description="features far from the origin (+20): the unpenalised bias must absorb the offset"),
    # ------------------------------------------------------------ procrustes
    Check("procrustes_rotation", "procrustes", **paired(probe_procrustes, orthogonality), points=3,
          description="B = A Q + noise for a random orthogonal Q (30 x 4): W close to Q, orthogonal; "
                      "errors as floats"),
    Check("procrustes_unrelated", "procrustes",
          **paired(partial(probe_procrustes, seed=93, noise=5.0, n=12, d=5), orthogonality), points=1,
          description="mostly noise: W is still orthogonal (a least-squares W would not be)"),
]
