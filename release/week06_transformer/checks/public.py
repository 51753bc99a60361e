"""Public checks for week 6 (attention and the transformer). Shipped with the release; hidden.py
reuses the probes on other shapes and seeds.

Probes feed seeded float64 inputs (and, for modules, seeded float64 weights loaded by parameter
name), call the learner's code and return what it returned, nothing computed from it: a probe
runs in the learner's process, where torch and this module can be patched. Properties (rows sum
to 1, how much earlier positions move when later ones change) are computed by each check's
`derive`, in the grader, from the raw outputs read back as numpy arrays; a derive that needs the
probe's inputs rebuilds them with the same helper and seeds. Every faithful implementation gives
the reference's raw outputs to ~1e-12, so they are compared too (values=True): a trivial body
that happens to meet a property (an identity block, uniform weights) earns nothing.

Contracts before values: probes call the learner's code through `coursekit.probing.call` (or
`call_module` below), which says in one line when a function returns the wrong number or type of
values or modifies an input in place. A `*_contract` check calls it directly and returns what came
back and what its arguments hold afterwards as raw outputs, so that the mistake catalogue can also
name those mistakes. Dtypes stated in a docstring (the float32 positional table) are exact.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

from coursekit import probing
from coursekit.checks import Check
from coursekit.deriving import computable, largest, max_change
from coursekit.probing import afterwards, build, call, call_module, need, paired, randint, randn, returned

# ---------------------------------------------------------------- mask helpers (independent of
# the learner's causal_mask / padding_mask, so each check tests one function)


def lower_triangle(Tq: int, Tk: int) -> torch.Tensor:
    """(Tq, Tk) bool: True where key j <= query i."""
    return torch.tensor([[j <= i for j in range(Tk)] for i in range(Tq)])


def key_mask(lengths: list[int], T: int) -> torch.Tensor:
    """(B, 1, 1, T) bool: True at the first lengths[b] key positions of row b."""
    return torch.tensor([[j < n for j in range(T)] for n in lengths]).view(len(lengths), 1, 1, T)


def random_mask(*shape: int, seed: int) -> torch.Tensor:
    """Random bool mask with key 0 always visible, so no query row is fully masked."""
    mask = randn(*shape, seed=seed) > -0.3
    mask[..., 0] = True
    return mask


# ---------------------------------------------------------------- derive helpers (run in the grader,
# on numpy arrays: never in the learner's process)


# ---------------------------------------------------------------- integer inputs (sizes, lengths, counts)
# Each is its public value on the public inputs (check() and the released expected outputs) and drawn
# fresh at grading (coursekit.probing.choose), so no table of the public checks can answer a graded one.
# A derive that needs them remakes them with the same helper and seed.


class Sizes(probing.Sizes):
    """The kit's Sizes plus this week's kinds of sizes (heads, head widths, padded row lengths)."""

    def heads(self, public: int) -> int:
        """A number of heads: one stays one (a single-head check), more stay more than one."""
        return 1 if public == 1 else self(public, max(2, public - 1), public + 3)

    def head_dim(self, public: int) -> int:
        return self(public, max(2, public // 2), public + public // 2 + 1)

    def lengths(self, public: tuple[int, ...] | list[int], public_T: int, T: int) -> list[int]:
        """Row lengths in 1..T for a batch of at least len(public) rows: a full row stays full, a
        length-1 row stays 1 and a padded row stays padded (2..T-1); extra rows anywhere in 1..T."""
        B = self(len(public), len(public), len(public) + 3)
        drawn = []
        for b in range(B):
            n = public[b] if b < len(public) else 0
            if n >= public_T:
                drawn.append(T)
            elif n == 1 or (n and T <= 2):
                drawn.append(1)
            elif n:
                drawn.append(self.within(n, 2, T))
            else:  # a row the public inputs do not have: any length
                drawn.append(self.within(1, 1, T + 1))
        return drawn


# ---------------------------------------------------------------- scaled_dot_product_attention


def probe_attention(ns, lead=(2, 3), Tq: int = 4, Tk: int = 4, d_k: int = 8, d_v: int = 8,
                    mask: str = "none", seed: int = 1):
    """Inputs scaled by 2 so the 1/sqrt(d_k) factor matters; mask: none, causal, random, keys.
    Every size is drawn fresh at grading (square stays square)."""
    size = Sizes(seed)
    lead = tuple(size(n, 1, n + 3) for n in lead)
    square, Tq = Tq == Tk, size(Tq)
    Tk = Tq if square else size(Tk)
    d_k, d_v = size(d_k), size(d_v)
    q = 2 * randn(*lead, Tq, d_k, seed=seed)
    k = 2 * randn(*lead, Tk, d_k, seed=seed + 1)
    v = randn(*lead, Tk, d_v, seed=seed + 2)
    masks = {
        "none": lambda: None,
        "causal": lambda: lower_triangle(Tq, Tk),
        "random": lambda: random_mask(*lead, Tq, Tk, seed=seed + 3),
        "keys": lambda: key_mask([max(1, Tk - 2 * b) for b in range(lead[0])], Tk).view(lead[0], *[1] * len(lead), Tk),
    }
    return call(ns, "scaled_dot_product_attention", q, k, v, mask=masks[mask](), returns=("output", "weights"))


def probe_attention_stress(ns, seed: int = 19):
    """float32 q (2, 3, 5, 16) of mean 2, k (2, 3, 6, 16) of mean 20, v (2, 3, 6, 8), a random mask:
    scores of about 160 +- 60 whose differences within a row stay moderate (std ~4). exp() of such
    scores overflows float32 to inf; a softmax that subtracts each row's max does not. Sizes drawn
    fresh at grading (d_k 12..20: scores of 140..180)."""
    size = Sizes(seed)
    B, H, Tq, Tk, d_k, d_v = size(2), size(3), size(5), size(6), size(16, 12, 21), size(8)
    q = 2 + 3 * randn(B, H, Tq, d_k, seed=seed, dtype=torch.float32)
    k = randn(B, H, Tk, d_k, seed=seed + 1, dtype=torch.float32) + 20
    v = randn(B, H, Tk, d_v, seed=seed + 2, dtype=torch.float32)
    mask = random_mask(B, H, Tq, Tk, seed=seed + 3)
    return call(ns, "scaled_dot_product_attention", q, k, v, mask=mask, returns=("output", "weights"))


def probe_attention_contract(ns, seed: int = 9):
    """Called directly: what came back and the four arguments afterwards, raw (see `returned`)."""
    size = Sizes(seed)
    B, Tq, Tk, d_k, d_v = size(2), size(4), size(5), size(8), size(3)
    q, k, v = 2 * randn(B, Tq, d_k, seed=seed), 2 * randn(B, Tk, d_k, seed=seed + 1), randn(B, Tk, d_v, seed=seed + 2)
    mask = random_mask(B, Tq, Tk, seed=seed + 3)
    result = need(ns, "scaled_dot_product_attention")(q, k, v, mask)
    return returned(result, ("output", "weights")) | afterwards(q=q, k=k, v=v, mask=mask)


def attention_properties_inputs(seed: int):
    """q (3, 5, 6), k (3, 7, 6), v (3, 7, 4) and a random (3, 5, 7) mask (sizes drawn fresh at
    grading): made by the probe, remade by derive."""
    size = Sizes(seed)
    B, Tq, Tk, d_k, d_v = size(3), size(5), size(7), size(6), size(4)
    q, k, v = randn(B, Tq, d_k, seed=seed), randn(B, Tk, d_k, seed=seed + 1), randn(B, Tk, d_v, seed=seed + 2)
    return q, k, v, random_mask(B, Tq, Tk, seed=seed + 3)


def probe_attention_properties(ns, seed: int = 7):
    """Weights are a distribution over the keys that puts no mass on masked keys (see attention_properties)."""
    q, k, v, mask = attention_properties_inputs(seed)
    return call(ns, "scaled_dot_product_attention", q, k, v, mask=mask, returns=("output", "weights"))


def attention_properties(raw, seed: int = 7):
    mask = attention_properties_inputs(seed)[3].numpy()
    return computable(
        output_shape=lambda: np.array(raw["output"].shape),
        weights_shape=lambda: np.array(raw["weights"].shape),
        max_row_sum_error=lambda: largest(raw["weights"].sum(-1) - 1),
        max_weight_on_masked_keys=lambda: largest(np.where(mask, 0.0, raw["weights"])),
        min_weight=lambda: raw["weights"].astype(np.float64).min().reshape(1),
    )


# ---------------------------------------------------------------- causal_mask / padding_mask


def probe_causal_mask(ns, T: int = 5, low: int = 2, high: int = 12, seed: int = 5):
    """causal_mask(T), T drawn from [low, high) at grading."""
    return call(ns, "causal_mask", Sizes(seed)(T, low, high), returns=("mask",))


def probe_padding_mask(ns, lengths=(3, 1, 5, 4), T: int = 5, seed: int = 6):
    """T and the lengths (full, length-1 and padded rows kept so) drawn fresh at grading."""
    size = Sizes(seed)
    T_drawn = size(T, 3, 2 * T + 1)
    return call(ns, "padding_mask", torch.tensor(size.lengths(lengths, T, T_drawn)), T_drawn, returns=("mask",))


# ---------------------------------------------------------------- sinusoidal_positional_encoding


def probe_positional_encoding(ns, T: int = 6, d_model: int = 8, seed: int = 8):
    """T and d_model (even; 2 stays 2) drawn fresh at grading."""
    size = Sizes(seed)
    T = size(T, max(2, T // 2), T + T // 4 + 7)
    half = d_model // 2
    half = 1 if half == 1 else size(half, max(2, half // 2), 2 * half + 1)
    return call(ns, "sinusoidal_positional_encoding", T, 2 * half, returns=("pe",))


# ---------------------------------------------------------------- LayerNorm


def probe_layernorm(ns, shape=(2, 3, 8), eps: float | None = None, scale: float = 1.0, seed: int = 21):
    """Rows of mean ~3 and std ~`scale`; eps=None keeps the default of the given __init__. Every
    dimension drawn fresh at grading (at least 2 features)."""
    size = Sizes(seed)
    shape = (*(size(n) for n in shape[:-1]), size(shape[-1], max(2, shape[-1] // 2)))
    kwargs = {} if eps is None else {"eps": eps}
    ln = build(ns, "LayerNorm", shape[-1], seed=seed, **kwargs)
    x = 3 + scale * randn(*shape, seed=seed + 1)
    return call_module(ln, "LayerNorm", x, returns=("y",))


def probe_layernorm_stress(ns, shape=(4, 3, 16), mean: float = 1000.0, seed: int = 28):
    """float32 module and rows of mean ~`mean` and std ~1: E[x^2] - E[x]^2 cancels catastrophically
    in float32 (about 0.5 off after normalising, or NaN), the mean of (x - mean)^2 does not."""
    size = Sizes(seed)
    shape = (*(size(n) for n in shape[:-1]), size(shape[-1], max(8, shape[-1] // 2)))
    ln = build(ns, "LayerNorm", shape[-1], seed=seed).float()
    x = mean + randn(*shape, seed=seed + 1, dtype=torch.float32)
    return call_module(ln, "LayerNorm", x, returns=("y",))


# ---------------------------------------------------------------- MultiHeadAttention


def attention_sizes(size: Sizes, d_model: int, n_heads: int) -> tuple[int, int]:
    """(d_model, n_heads) drawn fresh at grading, d_model a multiple of n_heads."""
    heads = size.heads(n_heads)
    return heads * size.head_dim(d_model // n_heads), heads


def probe_mha(ns, B: int = 2, Tq: int = 5, Tk: int | None = None, d_model: int = 8, n_heads: int = 2,
              mask: str = "none", seed: int = 31):
    """Self-attention when Tk is None, else cross-attention to a (B, Tk, d_model) input. Sizes drawn
    fresh at grading."""
    size = Sizes(seed)
    d_model, n_heads = attention_sizes(size, d_model, n_heads)
    B, Tq = size(B), size(Tq)
    Tk = None if Tk is None else size(Tk)
    mha = build(ns, "MultiHeadAttention", d_model, n_heads, seed=seed)
    x_q = randn(B, Tq, d_model, seed=seed + 1)
    x_kv = x_q if Tk is None else randn(B, Tk, d_model, seed=seed + 2)
    Tk = x_kv.shape[1]
    masks = {"none": None, "causal": lower_triangle(Tq, Tk),
             "keys": key_mask([max(1, Tk - 2 * b) for b in range(B)], Tk)}
    return call_module(mha, "MultiHeadAttention", x_q, x_kv, mask=masks[mask], returns=("output", "weights"))


def probe_mha_contract(ns, seed: int = 34):
    """Called directly: what came back and the inputs afterwards, raw (see `returned`)."""
    size = Sizes(seed)
    d_model, n_heads = attention_sizes(size, 8, 2)
    Tq, Tk = size(3), size(4, 3)
    lengths = size.lengths([4, 2], 4, Tk)
    mha = build(ns, "MultiHeadAttention", d_model, n_heads, seed=seed)
    x_q, x_kv = randn(len(lengths), Tq, d_model, seed=seed + 1), randn(len(lengths), Tk, d_model, seed=seed + 2)
    mask = key_mask(lengths, Tk)
    return returned(mha(x_q, x_kv, mask), ("output", "weights")) | afterwards(x_q=x_q, x_kv=x_kv, mask=mask)


def batch_permutation(seed: int) -> list[int]:
    """A seeded permutation of a batch of 3..7 rows (4 on the public inputs) that moves every row (one
    cycle through all of them): made by the probe, remade by derive."""
    B = Sizes(seed)(4, 3, 8)
    order = torch.argsort(randn(B, seed=seed + 3)).tolist()
    cycle = [0] * B
    for i, row in enumerate(order):
        cycle[row] = order[(i + 1) % B]
    return cycle


def probe_mha_batch_permutation(ns, seed: int = 37):
    """The same inputs twice, the second time with the batch rows shuffled (see batch_rows_mixed)."""
    size = Sizes(seed + 50)
    d_model, n_heads = attention_sizes(size, 12, 3)
    perm = torch.tensor(batch_permutation(seed))
    mha = build(ns, "MultiHeadAttention", d_model, n_heads, seed=seed)
    x_q, x_kv = randn(len(perm), size(5), d_model, seed=seed + 1), randn(len(perm), size(6), d_model, seed=seed + 2)
    base = call_module(mha, "MultiHeadAttention", x_q, x_kv, returns=("output", "weights"))
    permuted = call_module(mha, "MultiHeadAttention", x_q[perm], x_kv[perm], returns=("output", "weights"))
    return base | {f"{name}_permuted_batch": value for name, value in permuted.items()}


def batch_rows_mixed(raw, seed: int = 37):
    """Shuffling the batch must shuffle the outputs the same way: batch rows never mix."""
    perm = batch_permutation(seed)
    return computable(
        output_change=lambda: max_change(raw["output"][perm], raw["output_permuted_batch"]),
        weights_change=lambda: max_change(raw["weights"][perm], raw["weights_permuted_batch"]),
    )


# ---------------------------------------------------------------- EncoderBlock


def block_sizes(size: Sizes, d_model: int, n_heads: int, d_ff: int) -> tuple[int, int, int]:
    """(d_model, n_heads, d_ff) drawn fresh at grading."""
    return (*attention_sizes(size, d_model, n_heads), size(d_ff))


def probe_encoder_block(ns, B: int = 2, T: int = 5, d_model: int = 8, n_heads: int = 2, d_ff: int = 16,
                        lengths=None, seed: int = 41):
    size = Sizes(seed)
    dims = block_sizes(size, d_model, n_heads, d_ff)
    T_drawn = size(T, 3)
    lengths = None if lengths is None else size.lengths(lengths, T, T_drawn)
    B = size(B) if lengths is None else len(lengths)
    block = build(ns, "EncoderBlock", *dims, seed=seed)
    x = randn(B, T_drawn, dims[0], seed=seed + 1)
    return call_module(block, "EncoderBlock", x, src_mask=None if lengths is None else key_mask(lengths, T_drawn))


def probe_encoder_contract(ns, seed: int = 49):
    """Called directly: what came back and the inputs afterwards, raw (a residual added in place,
    x += ..., changes the caller's x)."""
    size = Sizes(seed)
    dims = block_sizes(size, 8, 2, 16)
    T = size(4, 3)
    lengths = size.lengths([4, 2], 4, T)
    block = build(ns, "EncoderBlock", *dims, seed=seed)
    x, mask = randn(len(lengths), T, dims[0], seed=seed + 1), key_mask(lengths, T)
    return returned(block(x, mask), ("output",)) | afterwards(x=x, src_mask=mask)


def real_positions(lengths, T: int) -> torch.Tensor:
    """(B, T, 1) bool: True at the real (non-padding) positions of each row."""
    return key_mask(list(lengths), T).view(len(lengths), T, 1)


def encoder_padding_sizes(lengths, T: int, seed: int) -> tuple[list[int], int, tuple[int, int, int]]:
    """(lengths, T, block dims), drawn fresh at grading: made by the probe, remade by derive."""
    size = Sizes(seed)
    T_drawn = size(T, 3)
    return size.lengths(lengths, T, T_drawn), T_drawn, block_sizes(size, 8, 2, 16)


def probe_encoder_padding(ns, lengths=(4, 2, 6), T: int = 6, seed: int = 43):
    """The block on x and on x changed at padding positions only (see padding_leaks)."""
    lengths, T, dims = encoder_padding_sizes(lengths, T, seed)
    block = build(ns, "EncoderBlock", *dims, seed=seed)
    x = randn(len(lengths), T, dims[0], seed=seed + 1)
    moved = torch.where(real_positions(lengths, T), x, x + 3 * randn(*x.shape, seed=seed + 2))
    mask = key_mask(list(lengths), T)
    return (call_module(block, "EncoderBlock", x, src_mask=mask)
            | call_module(block, "EncoderBlock", moved, src_mask=mask, returns=("output_padding_changed",)))


def padding_leaks(raw, lengths=(4, 2, 6), T: int = 6, seed: int = 43):
    """Changing the inputs at padding positions must leave the outputs at real positions unchanged."""
    lengths, T, _ = encoder_padding_sizes(lengths, T, seed)
    real = real_positions(lengths, T).numpy()
    return computable(real_positions_change=lambda: max_change(raw["output"] * real,
                                                               raw["output_padding_changed"] * real))


# ---------------------------------------------------------------- DecoderBlock


def probe_decoder_block(ns, B: int = 2, Tt: int = 5, Ts: int = 6, d_model: int = 8, n_heads: int = 2,
                        d_ff: int = 16, lengths=(6, 3), seed: int = 51):
    size = Sizes(seed)
    dims = block_sizes(size, d_model, n_heads, d_ff)
    Tt, Ts_drawn = size(Tt), size(Ts, 3)
    lengths = None if lengths is None else size.lengths(lengths, Ts, Ts_drawn)
    B = size(B) if lengths is None else len(lengths)
    block = build(ns, "DecoderBlock", *dims, seed=seed)
    x = randn(B, Tt, dims[0], seed=seed + 1)
    memory = randn(B, Ts_drawn, dims[0], seed=seed + 2)
    mask = None if lengths is None else key_mask(lengths, Ts_drawn)
    return call_module(block, "DecoderBlock", x, memory, src_mask=mask)


def probe_decoder_contract(ns, seed: int = 52):
    """Called directly: what came back and the inputs afterwards, raw (see probe_encoder_contract)."""
    size = Sizes(seed)
    dims = block_sizes(size, 8, 2, 16)
    Tt, Ts = size(4), size(5, 3)
    lengths = size.lengths([5, 3], 5, Ts)
    block = build(ns, "DecoderBlock", *dims, seed=seed)
    x, memory = randn(len(lengths), Tt, dims[0], seed=seed + 1), randn(len(lengths), Ts, dims[0], seed=seed + 2)
    mask = key_mask(lengths, Ts)
    return returned(block(x, memory, mask), ("output",)) | afterwards(x=x, memory=memory, src_mask=mask)


def causality_sizes(T: int, t: int, seed: int) -> tuple[int, int]:
    """(T, t), drawn fresh at grading (t = 1 stays 1, otherwise 2..T-1): made by the probe, remade by derive."""
    size = Sizes(seed)
    T = size(T, max(3, t + 1))
    return T, 1 if t == 1 else size.within(t, 2, T)


def probe_decoder_causality(ns, T: int = 6, t: int = 3, seed: int = 53):
    """The block on x and on x changed at target positions >= t (see decoder_causality)."""
    T, t = causality_sizes(T, t, seed)
    size = Sizes(seed + 50)
    dims = block_sizes(size, 8, 2, 16)
    B, Ts = size(2), size(4)
    block = build(ns, "DecoderBlock", *dims, seed=seed)
    x, memory = randn(B, T, dims[0], seed=seed + 1), randn(B, Ts, dims[0], seed=seed + 2)
    moved = x.clone()
    moved[:, t:] += 3 * randn(B, T - t, dims[0], seed=seed + 3)
    return (call_module(block, "DecoderBlock", x, memory)
            | call_module(block, "DecoderBlock", moved, memory, returns=("output_later_targets_changed",)))


def decoder_causality(raw, T: int = 6, t: int = 3, seed: int = 53):
    """Outputs before t must not move; outputs from t on must."""
    T, t = causality_sizes(T, t, seed)
    before, after = "output", "output_later_targets_changed"
    return computable(earlier_positions_change=lambda: max_change(raw[before][:, :t], raw[after][:, :t]),
                      later_positions_move=lambda: max_change(raw[before][:, t:], raw[after][:, t:]) > 1e-3)


def probe_decoder_memory_padding(ns, lengths=(5, 2), Ts: int = 5, seed: int = 55):
    """The block with the encoder memory as is and changed at padding positions (see memory_padding_leaks)."""
    size = Sizes(seed)
    dims = block_sizes(size, 8, 2, 16)
    Tt, Ts_drawn = size(4), size(Ts, 3)
    lengths = size.lengths(lengths, Ts, Ts_drawn)
    B, Ts = len(lengths), Ts_drawn
    block = build(ns, "DecoderBlock", *dims, seed=seed)
    x, memory = randn(B, Tt, dims[0], seed=seed + 1), randn(B, Ts, dims[0], seed=seed + 2)
    moved = torch.where(real_positions(lengths, Ts), memory, memory + 3 * randn(B, Ts, dims[0], seed=seed + 3))
    mask = key_mask(lengths, Ts)
    return (call_module(block, "DecoderBlock", x, memory, src_mask=mask)
            | call_module(block, "DecoderBlock", x, moved, src_mask=mask, returns=("output_padding_memory_changed",)))


def memory_padding_leaks(raw):
    """Changing the encoder memory at padding positions must leave the decoder output unchanged."""
    return computable(output_change=lambda: max_change(raw["output"], raw["output_padding_memory_changed"]))


# ---------------------------------------------------------------- Seq2SeqTransformer

TINY = dict(vocab_size=11, d_model=16, n_heads=2, d_ff=32, n_layers=2, max_len=12)


def tiny_config(size: Sizes, longest: int, **sizes) -> dict:
    """TINY (with `sizes` over it), every size drawn fresh at grading: a vocabulary of 8..15 tokens,
    room for `longest` positions (drawn first), one layer staying one."""
    config = TINY | sizes
    n_heads = size.heads(config["n_heads"])
    half = config["d_model"] // config["n_heads"] // 2  # an even d_model: the positional table needs one
    d_model = n_heads * 2 * size(half, max(1, half // 2), half + half // 2 + 1)
    layers = config["n_layers"]
    return dict(vocab_size=size(config["vocab_size"], 8, 16), d_model=d_model, n_heads=n_heads,
                d_ff=size(config["d_ff"]), n_layers=1 if layers == 1 else size(layers, 2, 4),
                max_len=size.within(config["max_len"], longest, longest + 6))


def tiny_model(ns, seed: int, config: dict) -> torch.nn.Module:
    """The learner's model with seeded weights; `pos` gets seeded random rows (any table must be
    added as given, and a positional-encoding bug is not counted twice)."""
    model = build(ns, "Seq2SeqTransformer", seed=seed, **config)
    with torch.no_grad():
        model.pos.copy_(randn(config["max_len"], config["d_model"], seed=seed + 100))
    return model


def probe_seq2seq_logits(ns, lengths=(7, 4, 2), Ts: int = 7, Tt: int = 5, use_lengths: bool = True,
                         seed: int = 61, **sizes):
    size = Sizes(seed)
    Ts_drawn, Tt = size(Ts, 3), size(Tt)
    lengths = size.lengths(lengths, Ts, Ts_drawn)
    config = tiny_config(size, max(Ts_drawn, Tt), **sizes)
    model = tiny_model(ns, seed, config)
    V = config["vocab_size"]
    src = randint(3, V, (len(lengths), Ts_drawn), seed=seed + 1)
    tgt = randint(3, V, (len(lengths), Tt), seed=seed + 2)
    src_lengths = torch.tensor(lengths) if use_lengths else None
    with torch.no_grad():
        return call_module(model, "Seq2SeqTransformer", src, tgt, src_lengths=src_lengths, returns=("logits",))


LATER = 4  # seq2seq_properties changes the target tokens from this position on (public inputs)


def seq2seq_properties_sizes(seed: int) -> dict:
    """Batch, lengths, model sizes and the first changed target position, drawn fresh at grading:
    made by the probe, remade by derive."""
    size = Sizes(seed)
    Ts, Tt = size(6, 3), size(7, 3)
    lengths = size.lengths([6, 3], 6, Ts)
    return dict(Ts=Ts, Tt=Tt, lengths=lengths, later=size.within(LATER, 1, Tt), config=tiny_config(size, max(Ts, Tt)))


def probe_seq2seq_properties(ns, seed: int = 63):
    """Logits for a base input and for three changed copies (see seq2seq_properties)."""
    sizes = seq2seq_properties_sizes(seed)
    model = tiny_model(ns, seed, sizes["config"])
    V, B, at = sizes["config"]["vocab_size"], len(sizes["lengths"]), sizes["later"]
    src, tgt = randint(3, V, (B, sizes["Ts"]), seed=seed + 1), randint(3, V, (B, sizes["Tt"]), seed=seed + 2)
    lengths = torch.tensor(sizes["lengths"])

    def another(tokens):  # another ordinary token (ids 3..V-1)
        return (tokens + 1 - 3) % (V - 3) + 3

    later, padded, real = tgt.clone(), src.clone(), src.clone()
    later[:, at:] = another(later[:, at:])
    for row, n in enumerate(sizes["lengths"]):
        padded[row, n:] = another(padded[row, n:])
    real[:, 0] = another(real[:, 0])
    runs = {"logits": (src, tgt), "logits_later_targets_changed": (src, later),
            "logits_source_padding_changed": (padded, tgt), "logits_first_source_token_changed": (real, tgt)}
    outputs = {}
    with torch.no_grad():
        for name, (source, target) in runs.items():
            outputs |= call_module(model, "Seq2SeqTransformer", source, target, src_lengths=lengths, returns=(name,))
    return outputs


def seq2seq_properties(raw, seed: int = 63):
    """Causal in the target, blind to source padding, sensitive to the real source tokens."""
    at = seq2seq_properties_sizes(seed)["later"]
    return computable(
        logits_shape=lambda: np.array(raw["logits"].shape),
        earlier_logits_change_when_later_targets_change=lambda: max_change(
            raw["logits"][:, :at], raw["logits_later_targets_changed"][:, :at]),
        logits_change_when_padding_changes=lambda: max_change(raw["logits"], raw["logits_source_padding_changed"]),
        logits_move_when_a_source_token_changes=lambda: max_change(
            raw["logits"], raw["logits_first_source_token_changed"]) > 1e-3,
    )


# ---------------------------------------------------------------- greedy_decode


class ScriptedModel(torch.nn.Module):
    """A stand-in for a trained Seq2SeqTransformer whose greedy output is known.

    encode sums each row's real source tokens; after the target prefix y_1..y_t the next token is
    (3 * y_t + t + that sum) % vocab_size, certain (one-hot logits).
    """

    def __init__(self, vocab_size: int = 9):
        super().__init__()
        self.vocab_size = vocab_size

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        real = torch.ones_like(src, dtype=torch.bool) if src_mask is None else src_mask.reshape(src.shape)
        return (src * real).sum(dim=1, keepdim=True)  # (B, 1)

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        t = torch.arange(1, tgt.shape[1] + 1)
        return F.one_hot((3 * tgt + t + memory) % self.vocab_size, self.vocab_size).double()

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, src_lengths: torch.Tensor | None = None) -> torch.Tensor:
        src_mask = None if src_lengths is None else key_mask(src_lengths.tolist(), src.shape[1])
        return self.decode(tgt, self.encode(src, src_mask), src_mask)


def special_ids(size: Sizes, vocab_size: int, public_vocab: int, bos_id: int, eos_id: int) -> tuple[int, int]:
    """(bos_id, eos_id), two different ids drawn fresh at grading."""
    bos = size.within(bos_id, 0, vocab_size)
    return bos, (bos + size.within((eos_id - bos_id) % public_vocab, 1, vocab_size)) % vocab_size


def probe_greedy_scripted(ns, B: int = 6, Ts: int = 5, max_len: int = 8, vocab_size: int = 9,
                          bos_id: int = 1, eos_id: int = 2, lengths=None, seed: int = 71):
    """Batch, source length, steps (1 stays 1), vocabulary and BOS/EOS ids drawn fresh at grading."""
    size = Sizes(seed)
    Ts_drawn, steps, V = size(Ts, 3), 1 if max_len == 1 else size(max_len, 3), size(vocab_size, 5, 16)
    bos, eos = special_ids(size, V, vocab_size, bos_id, eos_id)
    lengths = None if lengths is None else size.lengths(lengths, Ts, Ts_drawn)
    B = size(B) if lengths is None else len(lengths)
    src = randint(3, V, (B, Ts_drawn), seed=seed)
    src_lengths = None if lengths is None else torch.tensor(lengths)
    return call(ns, "greedy_decode", ScriptedModel(V), src, steps, bos, eos,
                src_lengths=src_lengths, returns=("tokens",))


# ---------------------------------------------------------------- apply_rope


def rope_positions(kind: str, T: int, size: Sizes, seed: int) -> torch.Tensor:
    """(T,) int64 positions: "from_zero" 0..T-1 (self-attention over a whole sequence); "gaps" increasing
    by 1..4 from a start of about 7 (kept tokens of a longer text); "long" the same from about 3000. The
    start is drawn fresh at grading."""
    if kind == "from_zero":
        return torch.arange(T)
    start = size(7) if kind == "gaps" else size(3000, 2000, 6001)
    return start + randint(1, 5, (T,), seed=seed).cumsum(0) - 1


ROPE_TOLERANCE = dict(atol=1e-4, rtol=1e-4)  # a cos/sin table computed in float32 (GPT-J, Hugging Face) has
# angles off by up to ~6e-8 x position rad: <= 4e-5 after rotating float64 x at the positions of these checks
# (at most ~150); every catalogued mistake is off by more than 0.1


def probe_rope(ns, lead=(2, 3), T: int = 5, d: int = 8, positions: str = "from_zero", base: int = 10000,
               dtype: torch.dtype = torch.float64, seed: int = 91):
    """apply_rope on x (*lead, T, d). Every size and the base are drawn fresh at grading (d stays even,
    one pair stays one)."""
    size = Sizes(seed)
    lead = tuple(size(n) for n in lead)
    T = size(T)
    half = d // 2
    half = 1 if half == 1 else size(half, 2, 2 * half + 1)
    x = randn(*lead, T, 2 * half, seed=seed, dtype=dtype)
    return call(ns, "apply_rope", x, rope_positions(positions, T, size, seed + 1), base=float(size(base)))


def probe_rope_contract(ns, seed: int = 93):
    """Called directly on float32 x: what came back and x and positions afterwards, raw (see `returned`)."""
    size = Sizes(seed)
    B, T, half = size(2), size(4), size(3, 2, 7)
    x = randn(B, T, 2 * half, seed=seed, dtype=torch.float32)
    positions = rope_positions("gaps", T, size, seed + 1)
    result = need(ns, "apply_rope")(x, positions, base=float(size(500)))
    return returned(result, ("output",)) | afterwards(x=x, positions=positions)


def rope_relative_inputs(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int, float]:
    """q and k (H, T, d), positions (T,) in 0..49, a shift and a base, drawn fresh at grading: made by the
    probe, remade by derive."""
    size = Sizes(seed)
    H, T, half = size(3), size(6), size(4, 2, 9)
    q, k = randn(H, T, 2 * half, seed=seed), randn(H, T, 2 * half, seed=seed + 1)
    return q, k, randint(0, 50, (T,), seed=seed + 2), size(37, 1, 100), float(size(10000))


def probe_rope_relative(ns, seed: int = 95):
    """q and k rotated at their positions, and again with every position shifted (see rope_relative)."""
    q, k, positions, shift, base = rope_relative_inputs(seed)
    runs = {"q": (q, positions), "k": (k, positions), "q_shifted": (q, positions + shift),
            "k_shifted": (k, positions + shift)}
    outputs = {}
    for name, (x, at) in runs.items():
        outputs |= call(ns, "apply_rope", x, at, base=base, returns=(name,))
    return outputs


def rope_relative(raw, seed: int = 95):
    """Scores q_m . k_n depend on the offset n - m only, so shifting every position leaves them; each
    rotation keeps the vector's length."""
    q, k, *_ = rope_relative_inputs(seed)

    def scores(a, b):  # (H, T, T)
        return a @ np.swapaxes(b, -1, -2)

    return computable(
        scores_change_when_every_position_shifts=lambda: max_change(
            scores(raw["q"], raw["k"]), scores(raw["q_shifted"], raw["k_shifted"])),
        length_change=lambda: max_change(np.linalg.norm(raw["q"], axis=-1), np.linalg.norm(q.numpy(), axis=-1)),
    )


# Probes are bound with partial, not looked up by name when they run; properties are derived in the
# grader, and the raw outputs are compared too (values=True, the default) for every check.
CHECKS = [
    Check("attention_values", "scaled_dot_product_attention", probe_attention, points=2,
          description="output and weights for q, k, v of shape (2, 3, 4, 8), no mask"),
    Check("attention_causal", "scaled_dot_product_attention",
          partial(probe_attention, mask="causal", seed=3), points=2,
          description="the same with a (4, 4) lower-triangular mask broadcast over batch and heads"),
    Check("attention_properties", "scaled_dot_product_attention",
          **paired(probe_attention_properties, attention_properties, seed=7), points=1,
          description="q (3, 5, 6), k (3, 7, 6), v (3, 7, 4), a random mask: output and weights; weights are "
                      ">= 0, sum to 1 over the keys and are 0 on masked keys"),
    Check("attention_contract", "scaled_dot_product_attention", probe_attention_contract, points=1,
          description="returns a tuple (output, weights) and leaves q, k, v and the mask unchanged"),
    Check("causal_mask_5", "causal_mask", probe_causal_mask, points=1, exact_dtype=True,
          description="causal_mask(5): a (5, 5) bool lower triangle, diagonal included"),
    Check("padding_mask_values", "padding_mask", probe_padding_mask, points=1, exact_dtype=True,
          description="padding_mask(tensor([3, 1, 5, 4]), 5): shape (4, 1, 1, 5), True at real tokens"),
    Check("positional_encoding_small", "sinusoidal_positional_encoding", probe_positional_encoding, points=2,
          atol=1e-5,  # float32 output: equally correct formulas differ by float32 rounding
          exact_dtype=True,  # the docstring promises float32 (a float64 table breaks training far from the cause)
          description="the (6, 8) table, float32"),
    Check("layernorm_values", "LayerNorm", probe_layernorm, points=2,
          description="LayerNorm(8) with seeded weight and bias on a (2, 3, 8) input"),
    Check("layernorm_large_eps", "LayerNorm", partial(probe_layernorm, eps=0.1, scale=0.3, seed=23),
          points=1, description="eps=0.1 on rows of std 0.3: shows where eps goes and which variance is used"),
    Check("mha_self_attention", "MultiHeadAttention", probe_mha, points=2,
          description="MultiHeadAttention(8, 2), seeded weights, self-attention on (2, 5, 8): output and weights"),
    Check("mha_cross_attention_masked", "MultiHeadAttention",
          partial(probe_mha, Tq=3, Tk=6, mask="keys", seed=33), points=2,
          description="cross-attention from (2, 3, 8) to (2, 6, 8) with a padding mask"),
    Check("mha_contract", "MultiHeadAttention", probe_mha_contract, points=1,
          description="returns a tuple (output, weights) and leaves x_q, x_kv and the mask unchanged"),
    Check("encoder_block_values", "EncoderBlock", partial(probe_encoder_block, lengths=[5, 3]), points=2,
          description="EncoderBlock(8, 2, 16), seeded weights, on (2, 5, 8) with a padding mask"),
    Check("encoder_block_contract", "EncoderBlock", probe_encoder_contract, points=1,
          description="returns one tensor and leaves x and the mask unchanged"),
    Check("encoder_block_padding", "EncoderBlock",
          **paired(probe_encoder_padding, padding_leaks, lengths=(4, 2, 6), T=6, seed=43), points=1,
          description="EncoderBlock(8, 2, 16) on (3, 6, 8), then with the inputs at padding positions changed: "
                      "both outputs, which must agree at the real positions"),
    Check("decoder_block_values", "DecoderBlock", probe_decoder_block, points=2,
          description="DecoderBlock(8, 2, 16), seeded weights, x (2, 5, 8), memory (2, 6, 8), padded memory"),
    Check("decoder_block_contract", "DecoderBlock", probe_decoder_contract, points=1,
          description="returns one tensor and leaves x, memory and the mask unchanged"),
    Check("decoder_block_causal", "DecoderBlock",
          **paired(probe_decoder_causality, decoder_causality, T=6, t=3, seed=53), points=1,
          description="DecoderBlock(8, 2, 16) on x (2, 6, 8), then with target positions >= 3 changed: both "
                      "outputs; positions 0..2 must not move"),
    Check("seq2seq_logits", "Seq2SeqTransformer", probe_seq2seq_logits, points=3,
          description="logits of a tiny model (2 layers, d_model 16) with seeded weights, padded sources"),
    Check("seq2seq_properties", "Seq2SeqTransformer", **paired(probe_seq2seq_properties, seq2seq_properties, seed=63),
          points=2, description="logits for a base input and with later targets, source padding and the first "
                                "source token changed: causal in the target, ignores source padding, reads the "
                                "real source"),
    Check("greedy_decode_scripted", "greedy_decode", partial(probe_greedy_scripted, lengths=(5, 3, 1, 4, 2, 5)),
          points=2, description="8 greedy steps with a scripted model whose next token is known, padded sources; "
                                "EOS after a row ends"),
    Check("rope_contract", "apply_rope", probe_rope_contract, points=1, exact_dtype=True,
          atol=1e-5, rtol=1e-5,  # float32 x: correct orders of operations differ by float32 rounding
          description="float32 x (2, 4, 6): returns one float32 tensor and leaves x and positions unchanged"),
    Check("rope_values", "apply_rope", probe_rope, points=2, **ROPE_TOLERANCE,
          description="x (2, 3, 5, 8), positions 0..4, base 10000"),
    Check("rope_positions_and_base", "apply_rope",
          partial(probe_rope, lead=(3,), T=6, d=10, positions="gaps", base=100, seed=101), points=2,
          **ROPE_TOLERANCE, description="x (3, 6, 10) at increasing positions with gaps, from about 7, base 100"),
    Check("rope_relative_position", "apply_rope", **paired(probe_rope_relative, rope_relative, seed=95),
          points=1, **ROPE_TOLERANCE,
          description="q, k (3, 6, 8) at positions in 0..49, then every position shifted by 37: the rotated "
                      "vectors; q . k must not change and lengths must be kept"),
]
