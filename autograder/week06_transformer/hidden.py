"""Hidden checks for week 6: the public probes on other shapes, seeds and edge cases, plus the
learner's own Seq2SeqTransformer inside greedy_decode. As in public.py, probes return raw outputs
only; properties are derived in the grader (paired binds a probe and its derive to the same
inputs), and the raw outputs are compared too. Stress checks feed float32 inputs where the numerics
matter (large attention scores, LayerNorm rows with a large mean), with tolerances sized for float32."""

from __future__ import annotations

from functools import partial

import torch

from coursekit.checks import Check, sibling_module
from coursekit.probing import call, paired, randint

public = sibling_module(__file__, "public")


def probe_greedy_with_model(ns, seed: int = 79):
    """Greedy decoding with the learner's tiny model. Sharpened logits make the output depend on the
    prefix; with eos_id 9 one row alternates 6, 9, 6, ... unless it stops at its first 9 (on the
    public inputs; at grading the sizes, steps, lengths and EOS id are drawn fresh)."""
    size = public.Sizes(seed)
    Ts, steps = size(6, 3), size(7, 3)
    lengths = size.lengths([6, 2, 4, 5], 6, Ts)
    config = public.tiny_config(size, max(Ts, steps))
    eos = size.within(9, 3, config["vocab_size"])
    model = public.tiny_model(ns, seed, config)
    with torch.no_grad():
        model.lm_head.weight *= 6
        model.lm_head.bias.zero_()
    src = randint(3, config["vocab_size"], (len(lengths), Ts), seed=seed + 1)
    return call(ns, "greedy_decode", model, src, steps, 1, eos, src_lengths=torch.tensor(lengths),
                returns=("tokens",))


CHECKS = [
    # ------------------------------------------------------------ scaled_dot_product_attention
    Check("attention_rectangular_5d", "scaled_dot_product_attention",
          partial(public.probe_attention, lead=(2, 2, 3), Tq=3, Tk=6, d_k=5, d_v=7, mask="random", seed=11),
          points=2, description="q (2, 2, 3, 3, 5), k (..., 6, 5), v (..., 6, 7) with a random mask"),
    Check("attention_unbatched", "scaled_dot_product_attention",
          partial(public.probe_attention, lead=(), Tq=5, Tk=5, d_k=4, d_v=3, mask="causal", seed=13),
          points=1, description="2-D q, k, v (no batch dims) with a causal mask"),
    Check("attention_key_padding", "scaled_dot_product_attention",
          partial(public.probe_attention, lead=(3, 2), Tq=4, Tk=5, mask="keys", seed=15),
          points=1, description="a (3, 1, 1, 5) key-padding mask broadcast over heads and queries"),
    Check("attention_wide_heads", "scaled_dot_product_attention",
          partial(public.probe_attention, lead=(2,), Tq=3, Tk=3, d_k=64, d_v=4, seed=17),
          points=1, description="d_k = 64: large dot products, where the scaling matters most"),
    Check("attention_float32_large_scores", "scaled_dot_product_attention", public.probe_attention_stress,
          points=1,
          atol=1e-4, rtol=1e-4,  # float32 scores of ~160 carry rounding errors of ~1e-5 that the softmax passes on
          # (3e-5 from float64 truth); correct orders of operations agree to ~1e-6, exp() without the max gives NaN
          description="float32 inputs whose scores are about 160: the softmax must not overflow"),
    # ------------------------------------------------------------ masks
    Check("causal_mask_single_position", "causal_mask",
          partial(public.probe_causal_mask, T=1, low=1, high=2, seed=81), points=1, exact_dtype=True,
          description="causal_mask(1)"),
    Check("causal_mask_eight", "causal_mask",
          partial(public.probe_causal_mask, T=8, low=6, high=16, seed=82), points=1, exact_dtype=True,
          description="causal_mask(8) (a T of 6..15 at grading)"),
    Check("padding_mask_edges", "padding_mask",
          partial(public.probe_padding_mask, lengths=(6, 1, 6), T=6, seed=83), points=1, exact_dtype=True,
          description="full-length and length-1 rows"),
    Check("padding_mask_wide", "padding_mask", partial(public.probe_padding_mask, lengths=(2, 3), T=7, seed=84),
          points=1, exact_dtype=True, description="T larger than every length"),
    # ------------------------------------------------------------ sinusoidal_positional_encoding
    Check("positional_encoding_long_table", "sinusoidal_positional_encoding",
          partial(public.probe_positional_encoding, T=50, d_model=32, seed=85), points=2,
          atol=1e-4,  # float32 output: at positions ~50 correct formulas differ by float32 rounding
          exact_dtype=True, description="the (50, 32) table, float32"),
    Check("positional_encoding_two_dims", "sinusoidal_positional_encoding",
          partial(public.probe_positional_encoding, T=7, d_model=2, seed=86), points=1, atol=1e-5, exact_dtype=True,
          description="d_model = 2: one sin and one cos column"),
    # ------------------------------------------------------------ LayerNorm
    Check("layernorm_matrix_input", "LayerNorm", partial(public.probe_layernorm, shape=(5, 32), seed=25),
          points=1, description="a 2-D (5, 32) input"),
    Check("layernorm_tiny_variance", "LayerNorm",
          partial(public.probe_layernorm, shape=(3, 6), scale=0.003, seed=27), points=1,
          description="rows of std 0.003, where the default eps=1e-5 matters"),
    Check("layernorm_four_dims", "LayerNorm", partial(public.probe_layernorm, shape=(2, 2, 3, 6), seed=29),
          points=1, description="a 4-D input"),
    Check("layernorm_float32_large_mean", "LayerNorm", public.probe_layernorm_stress, points=1,
          atol=1e-3, rtol=1e-3,  # float32 rows near 1000 are resolved to ~6e-5, so correct two-pass formulas
          # agree to ~2e-4 after dividing by std 1; a one-pass variance E[x^2] - E[x]^2 is off by ~0.5 or NaN
          description="float32 rows of mean 1000 and std 1: the variance must not cancel catastrophically"),
    # ------------------------------------------------------------ MultiHeadAttention
    Check("mha_four_heads_causal", "MultiHeadAttention",
          partial(public.probe_mha, B=3, Tq=6, d_model=12, n_heads=4, mask="causal", seed=35), points=2,
          description="MultiHeadAttention(12, 4), causal self-attention"),
    Check("mha_single_head_cross", "MultiHeadAttention",
          partial(public.probe_mha, B=2, Tq=4, Tk=3, d_model=6, n_heads=1, seed=39), points=1,
          description="one head, cross-attention from 4 to 3 positions"),
    Check("mha_batch_rows_independent", "MultiHeadAttention", public.probe_mha_batch_permutation,
          derive=public.batch_rows_mixed, points=1,
          description="permuting the batch permutes the output and weights the same way"),
    # ------------------------------------------------------------ EncoderBlock
    Check("encoder_block_unmasked_wide", "EncoderBlock",
          partial(public.probe_encoder_block, B=3, T=4, d_model=12, n_heads=3, d_ff=24, seed=45), points=2,
          description="EncoderBlock(12, 3, 24) without a mask"),
    Check("encoder_block_padding_other_lengths", "EncoderBlock",
          **paired(public.probe_encoder_padding, public.padding_leaks, lengths=(5, 1, 3), T=5, seed=47),
          points=1,
          description="padding invariance with a length-1 row"),
    # ------------------------------------------------------------ DecoderBlock
    Check("decoder_block_unmasked_wide", "DecoderBlock",
          partial(public.probe_decoder_block, Tt=6, Ts=3, d_model=12, n_heads=4, d_ff=20, lengths=None, seed=57),
          points=2,
          description="DecoderBlock(12, 4, 20), memory without padding"),
    Check("decoder_block_causal_from_one", "DecoderBlock",
          **paired(public.probe_decoder_causality, public.decoder_causality, T=5, t=1, seed=58), points=1,
          description="changing target positions >= 1 leaves position 0 unchanged"),
    Check("decoder_block_memory_padding", "DecoderBlock",
          partial(public.probe_decoder_memory_padding, lengths=(3, 1), Ts=4, seed=59),
          derive=public.memory_padding_leaks, points=1,
          description="encoder outputs at padding positions do not reach the decoder"),
    # ------------------------------------------------------------ Seq2SeqTransformer
    Check("seq2seq_without_lengths", "Seq2SeqTransformer",
          partial(public.probe_seq2seq_logits, lengths=(6, 6), Ts=6, Tt=4, use_lengths=False, seed=65),
          points=2, description="src_lengths=None: no source mask at all"),
    Check("seq2seq_one_layer_four_heads", "Seq2SeqTransformer",
          partial(public.probe_seq2seq_logits, lengths=(3, 5), Ts=5, Tt=8, seed=67, n_layers=1, n_heads=4),
          points=2, description="1 layer, 4 heads, a target longer than the source"),
    Check("seq2seq_properties_other_seed", "Seq2SeqTransformer",
          **paired(public.probe_seq2seq_properties, public.seq2seq_properties, seed=69), points=1,
          description="the same properties with other weights"),
    # ------------------------------------------------------------ greedy_decode
    Check("greedy_decode_without_lengths", "greedy_decode",
          partial(public.probe_greedy_scripted, B=4, Ts=5, max_len=9, seed=73),
          points=2, description="src_lengths=None: no source mask"),
    Check("greedy_decode_one_step", "greedy_decode",
          partial(public.probe_greedy_scripted, B=3, max_len=1, vocab_size=9, bos_id=0, eos_id=8, seed=75),
          points=1, description="max_len = 1, other BOS/EOS ids"),
    Check("greedy_decode_real_model", "greedy_decode", probe_greedy_with_model, points=1,
          description="greedy decoding with your own tiny Seq2SeqTransformer"),
    # ------------------------------------------------------------ apply_rope
    Check("rope_one_pair_unbatched", "apply_rope",
          partial(public.probe_rope, lead=(), T=7, d=2, positions="gaps", base=10000, seed=103), points=1,
          **public.ROPE_TOLERANCE,
          description="2-D x (7, 2): a single pair, whose frequency is 1 whatever the base"),
    Check("rope_wide_heads", "apply_rope",
          partial(public.probe_rope, lead=(2, 2, 3), T=4, d=64, positions="gaps", base=500, seed=105), points=2,
          **public.ROPE_TOLERANCE,
          description="x (2, 2, 3, 4, 64): 32 frequencies from 1 down to 500^(-62/64), base 500"),
    Check("rope_float32_long_positions", "apply_rope",
          partial(public.probe_rope, lead=(2, 3), T=7, d=16, positions="long", dtype=torch.float32, seed=107),
          points=1, exact_dtype=True,
          atol=1e-3, rtol=1e-3,  # angles computed in float32 (a GPT-J / Hugging Face cos/sin cache) at positions
          # ~2000-6000 are off by up to ~4e-4 rad: rotated values differ by <= 4.2e-4 from the float64-angle key
          # (measured over 20 grading seeds); a float32 result must stay float32
          description="float32 x at positions from about 3000: stays float32 and accurate"),
    Check("rope_relative_position_other_seed", "apply_rope",
          **paired(public.probe_rope_relative, public.rope_relative, seed=109), points=1,
          **public.ROPE_TOLERANCE,
          description="the relative-position property with other vectors, positions and shift"),
]
