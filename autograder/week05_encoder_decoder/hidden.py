"""Hidden checks for week 5: the public probes on other sizes, seeds and edge cases (float32 stress inputs,
rows of length 1, no full-length row, one decoding step, exact ties in beam search). As in public.py,
probes return raw outputs only; properties are derived in the grader and the raw outputs are compared too."""

from __future__ import annotations

from functools import partial

import torch

from coursekit.checks import Check, sibling_module
from coursekit.probing import paired

public = sibling_module(__file__, "public")

CHECKS = [
    # ------------------------------------------------------------ Autoencoder
    Check("autoencoder_digit_sizes", "Autoencoder",
          partial(public.probe_autoencoder, B=7, n_in=64, n_hidden=32, n_latent=8, seed=40), points=1,
          description="Autoencoder(64, 32, 8) on a (7, 64) batch"),
    # ------------------------------------------------------------ denoise_corrupt
    Check("denoise_corrupt_3d_heavy", "denoise_corrupt",
          partial(public.probe_corrupt, shape=(3, 5, 6), p=0.7, seed=41), points=1,
          description="a (3, 5, 6) input with p = 0.7"),
    # ------------------------------------------------------------ reparameterize
    Check("reparameterize_3d", "reparameterize", partial(public.probe_reparameterize, B=6, d=5, seed=42),
          points=1, description="mu, logvar of shape (6, 5): z and gradients"),
    # ------------------------------------------------------------ gaussian_kl
    Check("gaussian_kl_wide", "gaussian_kl", partial(public.probe_gaussian_kl, B=7, d=9, seed=43), points=1,
          description="mu, logvar of shape (7, 9)"),
    Check("gaussian_kl_float32", "gaussian_kl",
          partial(public.probe_gaussian_kl, B=5, d=6, scale=3.0, dtype=torch.float32, seed=44), points=1,
          atol=1e-3, rtol=1e-5,  # float32: KL values of ~1e3 carry rounding errors of ~1e-4
          description="float32 mu and logvar of scale 3 (exp(logvar) up to ~1e4)"),
    # ------------------------------------------------------------ elbo_loss
    Check("elbo_loss_digits", "elbo_loss", partial(public.probe_elbo, B=8, D=64, d=2, seed=45), points=1,
          description="a batch of 8 digit-sized inputs (64 pixels), a 2-d code"),
    Check("elbo_loss_float32_large_logits", "elbo_loss", public.probe_elbo_stress, points=1,
          atol=1e-3, rtol=1e-5,  # float32 sums of ~400 carry rounding errors of ~1e-5; probabilities give errors of ~70
          description="float32 logits of +-20..40 against binary pixels: the BCE must be computed from logits"),
    # ------------------------------------------------------------ GRUCell
    Check("gru_cell_no_state", "GRUCell",
          **paired(public.probe_gru_cell, public.matches_nn_gru_cell, B=2, n_in=3, H=6, with_state=False, seed=46),
          points=1, description="h omitted: starts from zeros, like nn.GRUCell"),
    Check("gru_cell_narrow_state", "GRUCell",
          **paired(public.probe_gru_cell, public.matches_nn_gru_cell, B=5, n_in=7, H=2, seed=47), points=1,
          description="GRUCell(7, 2) on (5, 7)"),
    # ------------------------------------------------------------ Encoder
    Check("encoder_no_full_row", "Encoder",
          partial(public.probe_encoder, lengths=(3, 2, 4), T=6, V=12, E=5, H=4, seed=48), points=1,
          description="no row fills the padded length: outputs keep the input's length T"),
    Check("encoder_single_word", "Encoder", partial(public.probe_encoder, lengths=(7,), T=7, seed=49), points=1,
          description="a batch of one unpadded word"),
    # ------------------------------------------------------------ AdditiveAttention
    Check("attention_one_real_position", "AdditiveAttention",
          **paired(public.probe_attention, public.attention_properties, lengths=(1, 6, 3, 6), T=6, Q=5, K=3, A=4,
                   seed=50), points=1,
          description="a row with a single real position, other sizes"),
    # ------------------------------------------------------------ Decoder
    Check("decoder_longer_targets", "Decoder", partial(public.probe_decoder, lengths=(6, 1, 3, 6), Ts=6, Tt=7,
                                                        seed=51), points=1,
          description="4 sources (one of length 1), 7 target steps"),
    Check("decoder_single_step", "Decoder", partial(public.probe_decoder, lengths=(3, 2), Ts=3, Tt=1, seed=52),
          points=1, description="a target of one step (BOS only)"),
    # ------------------------------------------------------------ greedy_decode
    Check("greedy_decode_one_step", "greedy_decode",
          partial(public.probe_greedy, lengths=(3, 1), Ts=3, max_len=1, seed=53), points=1, exact_dtype=True,
          description="max_len = 1"),
    Check("greedy_decode_other_ids", "greedy_decode",
          partial(public.probe_greedy, lengths=(5, 5, 2), Ts=5, V=10, max_len=9, bos=0, eos=5, seed=54),
          points=1, exact_dtype=True, description="BOS 0, EOS 5, 10 tokens, 9 steps"),
    # ------------------------------------------------------------ beam_search
    Check("beam_search_no_length_penalty", "beam_search",
          partial(public.probe_beam, beam_size=4, length_penalty=0.0, seed=55), points=1,
          description="beam 4, length penalty 0 (raw log-probabilities)"),
    Check("beam_search_wide", "beam_search",
          partial(public.probe_beam, beam_size=6, V=9, max_len=8, length_penalty=0.6, seed=56), points=1,
          description="beam 6 over 9 tokens, 8 steps, length penalty 0.6"),
    Check("beam_search_ties", "beam_search",
          partial(public.probe_beam, beam_size=3, V=7, max_len=5, ties=True, seed=57), points=1,
          description="tokens 3 and 4 tie everywhere: ties go to the earlier candidate"),
    Check("beam_search_exhaustive_raw_scores", "beam_search",
          **paired(public.probe_beam, public.beam_agrees, beam_size=None, V=3, max_len=3, bos=1, eos=0,
                   length_penalty=0.0, fixed_vocab=True, seed=58), points=1,
          description="a beam covering every hypothesis, length penalty 0: the most probable sequence of all"),
    Check("beam_search_width_one_other_ids", "beam_search",
          **paired(public.probe_beam, public.beam_agrees, beam_size=1, V=9, max_len=7, bos=0, eos=6, seed=59),
          points=1, description="beam 1 with BOS 0 and EOS 6: greedy decoding's sequence"),
    # ------------------------------------------------------------ edit_distance / phoneme_error_rate
    Check("edit_distance_long", "edit_distance",
          partial(public.probe_edit_distance, pairs=4, low=10, high=21, alphabet=12, seed=60), points=1,
          description="4 pairs of sequences of 10 to 20 symbols of 12"),
    Check("phoneme_error_rate_many_words", "phoneme_error_rate", partial(public.probe_per, words=30, seed=61),
          points=1, description="PER over 30 words"),
]
