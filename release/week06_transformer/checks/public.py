"""Public checks for week 6 (attention and the transformer). Shipped with the release; hidden.py
reuses the probes on other shapes and seeds.

Value checks feed seeded float64 inputs (and, for modules, seeded float64 weights loaded by
parameter name), so any faithful implementation matches the reference to ~1e-12. Property checks
return numbers every correct implementation gives exactly, e.g. how much earlier positions move
when later ones change (0 for a causal decoder).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursekit.checks import Check
from coursekit.probing import build, need, randint, randn

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


def largest(x: torch.Tensor) -> torch.Tensor:
    """max |x| as a 1-element tensor (one shape in memory and in .npz files, unlike a 0-d one)."""
    return x.detach().abs().max().reshape(1)


def max_change(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return largest(a - b)


# ---------------------------------------------------------------- scaled_dot_product_attention


def probe_attention(ns, lead=(2, 3), Tq: int = 4, Tk: int = 4, d_k: int = 8, d_v: int = 8,
                    mask: str = "none", seed: int = 1):
    """Inputs scaled by 2 so the 1/sqrt(d_k) factor matters; mask: none, causal, random, keys."""
    q = 2 * randn(*lead, Tq, d_k, seed=seed)
    k = 2 * randn(*lead, Tk, d_k, seed=seed + 1)
    v = randn(*lead, Tk, d_v, seed=seed + 2)
    masks = {
        "none": lambda: None,
        "causal": lambda: lower_triangle(Tq, Tk),
        "random": lambda: random_mask(*lead, Tq, Tk, seed=seed + 3),
        "keys": lambda: key_mask([max(1, Tk - 2 * b) for b in range(lead[0])], Tk).view(lead[0], *[1] * len(lead), Tk),
    }
    out, weights = need(ns, "scaled_dot_product_attention")(q, k, v, masks[mask]())
    return {"output": out, "weights": weights}


def probe_attention_properties(ns, seed: int = 7):
    """Weights are a distribution over the keys that puts no mass on masked keys."""
    q, k, v = randn(3, 5, 6, seed=seed), randn(3, 7, 6, seed=seed + 1), randn(3, 7, 4, seed=seed + 2)
    mask = random_mask(3, 5, 7, seed=seed + 3)
    out, weights = need(ns, "scaled_dot_product_attention")(q, k, v, mask)
    return {
        "output_shape": list(out.shape),
        "weights_shape": list(weights.shape),
        "max_row_sum_error": largest(weights.sum(-1) - 1),
        "max_weight_on_masked_keys": largest(weights.masked_fill(mask, 0)),
        "min_weight": weights.detach().min().reshape(1),
    }


# ---------------------------------------------------------------- causal_mask / padding_mask


def probe_causal_mask(ns, T: int = 5):
    return {"mask": need(ns, "causal_mask")(T)}


def probe_padding_mask(ns, lengths=(3, 1, 5, 4), T: int = 5):
    return {"mask": need(ns, "padding_mask")(torch.tensor(lengths), T)}


# ---------------------------------------------------------------- sinusoidal_positional_encoding


def probe_positional_encoding(ns, T: int = 6, d_model: int = 8):
    return {"pe": need(ns, "sinusoidal_positional_encoding")(T, d_model)}


# ---------------------------------------------------------------- LayerNorm


def probe_layernorm(ns, shape=(2, 3, 8), eps: float | None = None, scale: float = 1.0, seed: int = 21):
    """Rows of mean ~3 and std ~`scale`; eps=None keeps the default of the given __init__."""
    kwargs = {} if eps is None else {"eps": eps}
    ln = build(ns, "LayerNorm", shape[-1], seed=seed, **kwargs)
    x = 3 + scale * randn(*shape, seed=seed + 1)
    return {"y": ln(x)}


# ---------------------------------------------------------------- MultiHeadAttention


def probe_mha(ns, B: int = 2, Tq: int = 5, Tk: int | None = None, d_model: int = 8, n_heads: int = 2,
              mask: str = "none", seed: int = 31):
    """Self-attention when Tk is None, else cross-attention to a (B, Tk, d_model) input."""
    mha = build(ns, "MultiHeadAttention", d_model, n_heads, seed=seed)
    x_q = randn(B, Tq, d_model, seed=seed + 1)
    x_kv = x_q if Tk is None else randn(B, Tk, d_model, seed=seed + 2)
    Tk = x_kv.shape[1]
    masks = {"none": None, "causal": lower_triangle(Tq, Tk),
             "keys": key_mask([max(1, Tk - 2 * b) for b in range(B)], Tk)}
    out, weights = mha(x_q, x_kv, masks[mask])
    return {"output": out, "weights": weights}


def probe_mha_batch_permutation(ns, seed: int = 37):
    """Shuffling the batch shuffles the outputs the same way: batch rows never mix."""
    mha = build(ns, "MultiHeadAttention", 12, 3, seed=seed)
    x_q, x_kv = randn(4, 5, 12, seed=seed + 1), randn(4, 6, 12, seed=seed + 2)
    perm = torch.tensor([2, 0, 3, 1])
    out, weights = mha(x_q, x_kv)
    out_p, weights_p = mha(x_q[perm], x_kv[perm])
    return {"output_change": max_change(out[perm], out_p), "weights_change": max_change(weights[perm], weights_p)}


# ---------------------------------------------------------------- EncoderBlock


def probe_encoder_block(ns, B: int = 2, T: int = 5, d_model: int = 8, n_heads: int = 2, d_ff: int = 16,
                        lengths=None, seed: int = 41):
    block = build(ns, "EncoderBlock", d_model, n_heads, d_ff, seed=seed)
    x = randn(B, T, d_model, seed=seed + 1)
    return {"output": block(x, None if lengths is None else key_mask(lengths, T))}


def probe_encoder_padding(ns, lengths=(4, 2, 6), T: int = 6, seed: int = 43):
    """Changing the inputs at padding positions leaves the outputs at real positions unchanged."""
    block = build(ns, "EncoderBlock", 8, 2, 16, seed=seed)
    x = randn(len(lengths), T, 8, seed=seed + 1)
    real = key_mask(list(lengths), T).view(len(lengths), T, 1)
    moved = torch.where(real, x, x + 3 * randn(*x.shape, seed=seed + 2))
    a, b = block(x, key_mask(list(lengths), T)), block(moved, key_mask(list(lengths), T))
    return {"real_positions_change": max_change(a * real, b * real)}


# ---------------------------------------------------------------- DecoderBlock


def probe_decoder_block(ns, B: int = 2, Tt: int = 5, Ts: int = 6, d_model: int = 8, n_heads: int = 2,
                        d_ff: int = 16, lengths=(6, 3), seed: int = 51):
    block = build(ns, "DecoderBlock", d_model, n_heads, d_ff, seed=seed)
    x = randn(B, Tt, d_model, seed=seed + 1)
    memory = randn(B, Ts, d_model, seed=seed + 2)
    return {"output": block(x, memory, None if lengths is None else key_mask(list(lengths), Ts))}


def probe_decoder_causality(ns, T: int = 6, t: int = 3, seed: int = 53):
    """Change target positions >= t: outputs before t must not move, outputs from t must."""
    block = build(ns, "DecoderBlock", 8, 2, 16, seed=seed)
    x, memory = randn(2, T, 8, seed=seed + 1), randn(2, 4, 8, seed=seed + 2)
    moved = x.clone()
    moved[:, t:] += 3 * randn(2, T - t, 8, seed=seed + 3)
    a, b = block(x, memory), block(moved, memory)
    return {"earlier_positions_change": max_change(a[:, :t], b[:, :t]),
            "later_positions_move": max_change(a[:, t:], b[:, t:]) > 1e-3}


def probe_decoder_memory_padding(ns, lengths=(5, 2), Ts: int = 5, seed: int = 55):
    """Changing the encoder memory at padding positions leaves the decoder output unchanged."""
    block = build(ns, "DecoderBlock", 8, 2, 16, seed=seed)
    x, memory = randn(2, 4, 8, seed=seed + 1), randn(2, Ts, 8, seed=seed + 2)
    real = key_mask(list(lengths), Ts).view(2, Ts, 1)
    moved = torch.where(real, memory, memory + 3 * randn(2, Ts, 8, seed=seed + 3))
    mask = key_mask(list(lengths), Ts)
    return {"output_change": max_change(block(x, memory, mask), block(x, moved, mask))}


# ---------------------------------------------------------------- Seq2SeqTransformer

TINY = dict(vocab_size=11, d_model=16, n_heads=2, d_ff=32, n_layers=2, max_len=12)


def tiny_model(ns, seed: int, **sizes) -> torch.nn.Module:
    """The learner's model with seeded weights; `pos` gets seeded random rows (any table must be
    added as given, and a positional-encoding bug is not counted twice)."""
    config = TINY | sizes
    model = build(ns, "Seq2SeqTransformer", seed=seed, **config)
    with torch.no_grad():
        model.pos.copy_(randn(config["max_len"], config["d_model"], seed=seed + 100))
    return model


def probe_seq2seq_logits(ns, lengths=(7, 4, 2), Ts: int = 7, Tt: int = 5, use_lengths: bool = True,
                         seed: int = 61, **sizes):
    model = tiny_model(ns, seed, **sizes)
    V = model.lm_head.out_features
    src = randint(3, V, (len(lengths), Ts), seed=seed + 1)
    tgt = randint(3, V, (len(lengths), Tt), seed=seed + 2)
    src_lengths = torch.tensor(lengths) if use_lengths else None
    with torch.no_grad():
        return {"logits": model(src, tgt, src_lengths)}


def probe_seq2seq_properties(ns, seed: int = 63):
    """Causal in the target, blind to source padding, sensitive to the real source tokens."""
    model = tiny_model(ns, seed)
    src, tgt = randint(3, 11, (2, 6), seed=seed + 1), randint(3, 11, (2, 7), seed=seed + 2)
    lengths = torch.tensor([6, 3])
    later, padded, real = tgt.clone(), src.clone(), src.clone()
    later[:, 4:] = (later[:, 4:] + 1 - 3) % 8 + 3  # another ordinary token (ids 3..10)
    padded[1, 3:] = (padded[1, 3:] + 1 - 3) % 8 + 3
    real[:, 0] = (real[:, 0] + 1 - 3) % 8 + 3
    with torch.no_grad():
        base = model(src, tgt, lengths)
        return {
            "logits_shape": list(base.shape),
            "earlier_logits_change_when_later_targets_change":
                max_change(base[:, :4], model(src, later, lengths)[:, :4]),
            "logits_change_when_padding_changes": max_change(base, model(padded, tgt, lengths)),
            "logits_move_when_a_source_token_changes": max_change(base, model(real, tgt, lengths)) > 1e-3,
        }


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


def probe_greedy_scripted(ns, B: int = 6, Ts: int = 5, max_len: int = 8, vocab_size: int = 9,
                          bos_id: int = 1, eos_id: int = 2, lengths=None, seed: int = 71):
    src = randint(3, vocab_size, (B, Ts), seed=seed)
    src_lengths = None if lengths is None else torch.tensor(lengths)
    out = need(ns, "greedy_decode")(ScriptedModel(vocab_size), src, max_len, bos_id, eos_id, src_lengths)
    return {"tokens": out}


CHECKS = [
    Check("attention_values", "scaled_dot_product_attention", probe_attention, points=2,
          description="output and weights for q, k, v of shape (2, 3, 4, 8), no mask"),
    Check("attention_causal", "scaled_dot_product_attention",
          lambda ns: probe_attention(ns, mask="causal", seed=3), points=2,
          description="the same with a (4, 4) lower-triangular mask broadcast over batch and heads"),
    Check("attention_properties", "scaled_dot_product_attention", probe_attention_properties, points=1,
          description="shapes; weights are >= 0, sum to 1 over the keys and are 0 on masked keys"),
    Check("causal_mask_5", "causal_mask", probe_causal_mask, points=1,
          description="causal_mask(5): a (5, 5) bool lower triangle, diagonal included"),
    Check("padding_mask_values", "padding_mask", probe_padding_mask, points=1,
          description="padding_mask(tensor([3, 1, 5, 4]), 5): shape (4, 1, 1, 5), True at real tokens"),
    Check("positional_encoding_small", "sinusoidal_positional_encoding", probe_positional_encoding, points=2,
          atol=1e-5,  # float32 output: equally correct formulas differ by float32 rounding
          description="the (6, 8) table"),
    Check("layernorm_values", "LayerNorm", probe_layernorm, points=2,
          description="LayerNorm(8) with seeded weight and bias on a (2, 3, 8) input"),
    Check("layernorm_large_eps", "LayerNorm", lambda ns: probe_layernorm(ns, eps=0.1, scale=0.3, seed=23),
          points=1, description="eps=0.1 on rows of std 0.3: shows where eps goes and which variance is used"),
    Check("mha_self_attention", "MultiHeadAttention", probe_mha, points=2,
          description="MultiHeadAttention(8, 2), seeded weights, self-attention on (2, 5, 8): output and weights"),
    Check("mha_cross_attention_masked", "MultiHeadAttention",
          lambda ns: probe_mha(ns, Tq=3, Tk=6, mask="keys", seed=33), points=2,
          description="cross-attention from (2, 3, 8) to (2, 6, 8) with a padding mask"),
    Check("encoder_block_values", "EncoderBlock", lambda ns: probe_encoder_block(ns, lengths=[5, 3]), points=2,
          description="EncoderBlock(8, 2, 16), seeded weights, on (2, 5, 8) with a padding mask"),
    Check("encoder_block_padding", "EncoderBlock", probe_encoder_padding, points=1,
          description="inputs at padding positions do not change the outputs at real positions"),
    Check("decoder_block_values", "DecoderBlock", probe_decoder_block, points=2,
          description="DecoderBlock(8, 2, 16), seeded weights, x (2, 5, 8), memory (2, 6, 8), padded memory"),
    Check("decoder_block_causal", "DecoderBlock", probe_decoder_causality, points=1,
          description="changing target positions >= 3 leaves the outputs at positions 0..2 unchanged"),
    Check("seq2seq_logits", "Seq2SeqTransformer", probe_seq2seq_logits, points=3,
          description="logits of a tiny model (2 layers, d_model 16) with seeded weights, padded sources"),
    Check("seq2seq_properties", "Seq2SeqTransformer", probe_seq2seq_properties, points=2,
          description="causal in the target, ignores source padding, reads the real source"),
    Check("greedy_decode_scripted", "greedy_decode",
          lambda ns: probe_greedy_scripted(ns, lengths=(5, 3, 1, 4, 2, 5)), points=2,
          description="8 greedy steps with a scripted model whose next token is known, padded sources; "
                      "EOS after a row ends"),
]
