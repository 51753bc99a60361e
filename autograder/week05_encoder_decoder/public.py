"""Public checks for week 5 (autoencoders, the VAE, a GRU encoder-decoder with attention, decoding,
edit distance). Shipped with the release; hidden.py reuses the probes on other sizes, seeds and edge cases.

Probes feed seeded float64 inputs (and, for modules, seeded float64 weights loaded by parameter name),
call the learner's code and return what came back, nothing computed from it: a probe runs in the
learner's process. Properties (rows of attention weights sum to 1, earlier logits do not move when later
targets change, beam search equals greedy at width 1 and an exhaustive search with a beam that covers
every hypothesis) are computed by each check's `derive`, in the grader, from the raw outputs; a derive
that needs the probe's inputs remakes them with the same helpers and seeds. The raw outputs are compared
with the reference's too (values=True), so a trivial body that happens to meet a property earns nothing.

Decoding is tested on `ScriptedModel`, a stand-in with the G2P model's interface (encode, step) whose
next-token logits come from a seeded table, so greedy_decode and beam_search are graded apart from the
learner's Encoder and Decoder. Every size is drawn fresh at grading (coursekit.probing.Sizes).
"""

from __future__ import annotations

import itertools
from functools import partial

import numpy as np
import torch

from coursekit import probing
from coursekit.checks import Check
from coursekit.deriving import computable, integers, largest, max_change
from coursekit.probing import (
    afterwards,
    build,
    call,
    call_module,
    choose,
    generator,
    need,
    paired,
    randint,
    randn,
    returned,
)

PHONEME_SYMBOLS = ("AA1", "AH0", "B", "D", "EH1", "IY0", "K", "L", "N", "R", "S", "T")


class Sizes(probing.Sizes):
    """The kit's Sizes plus padded row lengths."""

    def lengths(self, public: tuple[int, ...], public_T: int, T: int) -> list[int]:
        """Row lengths in 1..T: a full row stays full, a length-1 row stays 1, a padded row stays padded."""
        drawn = []
        for n in public:
            if n >= public_T:
                drawn.append(T)
            elif n == 1 or T <= 2:
                drawn.append(1)
            else:
                drawn.append(self.within(n, 2, T))
        return drawn


def real_mask(lengths: list[int], T: int) -> torch.Tensor:
    """(B, T) bool, True at the first lengths[b] positions of row b."""
    return torch.tensor([[t < n for t in range(T)] for n in lengths])


def padded_ids(lengths: list[int], T: int, vocab_size: int, seed: int) -> torch.Tensor:
    """(B, T) ids in 1..vocab_size-1 at real positions, 0 (padding) after them."""
    ids = randint(1, vocab_size, (len(lengths), T), seed=seed)
    return ids.masked_fill(~real_mask(lengths, T), 0)


def pixels(*shape: int, seed: int) -> torch.Tensor:
    """Values strictly inside (0, 1), like scaled digit images."""
    return torch.sigmoid(2 * randn(*shape, seed=seed))


# ---------------------------------------------------------------- Autoencoder


def probe_autoencoder(ns, B: int = 5, n_in: int = 12, n_hidden: int = 10, n_latent: int = 3, seed: int = 1):
    size = Sizes(seed)
    B, n_in, n_hidden, n_latent = size(B), size(n_in, 4), size(n_hidden, 4), size(n_latent, 2)
    model = build(ns, "Autoencoder", n_in, n_hidden, n_latent, seed=seed)
    x = pixels(B, n_in, seed=seed + 1)
    return call_module(model, "Autoencoder", x, returns=("logits", "z"))


def probe_autoencoder_contract(ns, seed: int = 4):
    """Called directly: what came back and the input afterwards, raw (see `returned`)."""
    size = Sizes(seed)
    B, n_in = size(3), size(8, 4)
    model = build(ns, "Autoencoder", n_in, size(6, 3), size(2, 2), seed=seed)
    x = pixels(B, n_in, seed=seed + 1)
    return returned(model(x), ("logits", "z")) | afterwards(x=x)


# ---------------------------------------------------------------- denoise_corrupt


def probe_corrupt(ns, shape=(4, 10), p: float = 0.3, seed: int = 2):
    size = Sizes(seed)
    x = pixels(*(size(n) for n in shape), seed=seed) + 0.1  # no zeros before corruption
    return call(ns, "denoise_corrupt", x, p, generator(seed + 1), returns=("corrupted",))


def corrupt_fraction_inputs(seed: int) -> torch.Tensor:
    size = Sizes(seed)
    return pixels(size(100, 80, 121), size(64, 48, 81), seed=seed) + 0.1


def probe_corrupt_fraction(ns, p: float = 0.25, seed: int = 3):
    """A large input: what came back (see corrupt_fraction)."""
    x = corrupt_fraction_inputs(seed)
    return call(ns, "denoise_corrupt", x, p, generator(seed + 1), returns=("corrupted",))


def corrupt_fraction(raw, p: float = 0.25, seed: int = 3):
    """About p of the entries are erased and the others are exactly the input's."""
    x = corrupt_fraction_inputs(seed).numpy()
    out = raw["corrupted"]
    return computable(
        fraction_erased=lambda: np.round(np.asarray([(out == 0).mean()]), 2),
        max_change_of_kept_entries=lambda: largest(np.where(out == 0, 0.0, out - x)),
    )


def probe_corrupt_contract(ns, seed: int = 5):
    """Called directly: what came back and x afterwards, raw."""
    size = Sizes(seed)
    x = pixels(size(3), size(8), seed=seed) + 0.1
    return returned(need(ns, "denoise_corrupt")(x, 0.5, generator(seed + 1)), ("corrupted",)) | afterwards(x=x)


# ---------------------------------------------------------------- reparameterize


def probe_reparameterize(ns, B: int = 4, d: int = 3, seed: int = 6):
    """z, and the gradients of sum(w * z) with respect to mu and logvar (w seeded)."""
    size = Sizes(seed)
    B, d = size(B), size(d)
    mu = randn(B, d, seed=seed).requires_grad_()
    logvar = (0.8 * randn(B, d, seed=seed + 1)).requires_grad_()
    out = call(ns, "reparameterize", mu, logvar, generator(seed + 2), returns=("z",))
    z = out["z"]
    if isinstance(z, torch.Tensor) and z.requires_grad:
        grad_mu, grad_logvar = torch.autograd.grad((randn(*z.shape, seed=seed + 3) * z).sum(), [mu, logvar],
                                                   allow_unused=True)
    else:  # no graph at all: no gradient reaches mu or logvar
        grad_mu = grad_logvar = None
    zeros = torch.zeros(B, d, dtype=torch.float64)
    return {"z": z, "grad_mu": zeros if grad_mu is None else grad_mu,
            "grad_logvar": zeros if grad_logvar is None else grad_logvar}


def moments_sizes(seed: int) -> tuple[int, float, float]:
    size = Sizes(seed)
    return size(20000, 15000, 25001), 1.0 + size(5, 1, 10) / 10, size(3, 1, 10) / 10 - 0.5


def probe_reparameterize_moments(ns, seed: int = 7):
    """20,000 draws for one mu and logvar (see sample_moments)."""
    n, mu, logvar = moments_sizes(seed)
    mus, logvars = torch.full((n, 1), mu, dtype=torch.float64), torch.full((n, 1), logvar, dtype=torch.float64)
    return call(ns, "reparameterize", mus, logvars, generator(seed + 1), returns=("z",))


def sample_moments(raw, seed: int = 7):
    """Sample mean close to mu and sample standard deviation close to exp(logvar / 2)."""
    _, mu, logvar = moments_sizes(seed)
    return computable(
        mean_error=lambda: np.round(np.asarray([raw["z"].mean() - mu]), 1),
        std_over_exp_half_logvar=lambda: np.round(np.asarray([raw["z"].std() / np.exp(logvar / 2)]), 1),
    )


# ---------------------------------------------------------------- gaussian_kl


def probe_gaussian_kl(ns, B: int = 4, d: int = 3, scale: float = 1.0, dtype: torch.dtype = torch.float64,
                      seed: int = 8):
    size = Sizes(seed)
    B, d = size(B), size(d)
    mu = scale * randn(B, d, seed=seed, dtype=dtype)
    logvar = scale * randn(B, d, seed=seed + 1, dtype=dtype)
    return call(ns, "gaussian_kl", mu, logvar, returns=("kl",))


# ---------------------------------------------------------------- elbo_loss


def probe_elbo(ns, B: int = 4, D: int = 10, d: int = 3, beta: float | None = None, seed: int = 9):
    """beta None: the default of the given signature."""
    size = Sizes(seed)
    B, D, d = size(B), size(D), size(d)
    logits = 3 * randn(B, D, seed=seed)
    x = pixels(B, D, seed=seed + 1)
    mu, logvar = randn(B, d, seed=seed + 2), 0.5 * randn(B, d, seed=seed + 3)
    kwargs = {} if beta is None else {"beta": beta}
    return call(ns, "elbo_loss", logits, x, mu, logvar, returns=("loss", "reconstruction", "kl"), **kwargs)


def probe_elbo_stress(ns, seed: int = 10):
    """float32 logits of +-20..40 against binary pixels: sigmoid(30) is exactly 1 in float32, so a BCE
    computed from probabilities takes log(0) (clamped by torch to -100); from logits it stays exact."""
    size = Sizes(seed)
    B, D, d = size(3), size(12), size(2)
    signs = torch.where(randn(B, D, seed=seed) > 0, 1.0, -1.0)
    logits = (signs * (20 + 20 * torch.rand(B, D, generator=generator(seed + 1), dtype=torch.float64))).float()
    x = (randn(B, D, seed=seed + 2) > 0).float()
    mu, logvar = randn(B, d, seed=seed + 3, dtype=torch.float32), randn(B, d, seed=seed + 4, dtype=torch.float32)
    return call(ns, "elbo_loss", logits, x, mu, logvar, returns=("loss", "reconstruction", "kl"))


# ---------------------------------------------------------------- GRUCell


def gru_cell_inputs(seed: int, B: int, n_in: int, H: int, with_state: bool):
    size = Sizes(seed)
    B, n_in, H = size(B), size(n_in, 2), size(H, 2)
    x = randn(B, n_in, seed=seed + 1)
    return (n_in, H), x, randn(B, H, seed=seed + 2) if with_state else None


def probe_gru_cell(ns, B: int = 3, n_in: int = 4, H: int = 5, with_state: bool = True, seed: int = 11):
    (n_in, H), x, h = gru_cell_inputs(seed, B, n_in, H, with_state)
    cell = build(ns, "GRUCell", n_in, H, seed=seed)
    return call_module(cell, "GRUCell", x, h, returns=("h_next",)) if with_state else \
        call_module(cell, "GRUCell", x, returns=("h_next",))


def matches_nn_gru_cell(raw, B: int = 3, n_in: int = 4, H: int = 5, with_state: bool = True, seed: int = 11):
    """The largest difference from torch.nn.GRUCell with the same weights and inputs (run in the grader)."""
    (n_in, H), x, h = gru_cell_inputs(seed, B, n_in, H, with_state)
    with torch.no_grad():
        expected = probing.seeded_weights(torch.nn.GRUCell(n_in, H), seed)(x, h).numpy()
    return computable(max_difference_from_nn_GRUCell=lambda: np.round(max_change(raw["h_next"], expected), 6))


# ---------------------------------------------------------------- Encoder


def encoder_inputs(seed: int, lengths: tuple[int, ...], T: int, V: int, E: int, H: int):
    size = Sizes(seed)
    dims = size(V, 5), size(E, 2), size(H, 2)
    T_drawn = size(T, 3)
    drawn = size.lengths(lengths, T, T_drawn)
    return dims, drawn, padded_ids(drawn, T_drawn, dims[0], seed=seed + 1)


def probe_encoder(ns, lengths=(5, 3, 1, 4), T: int = 5, V: int = 9, E: int = 4, H: int = 3, seed: int = 12):
    dims, drawn, src = encoder_inputs(seed, lengths, T, V, E, H)
    encoder = build(ns, "Encoder", *dims, seed=seed)
    return call_module(encoder, "Encoder", src, torch.tensor(drawn), returns=("outputs", "final"))


def probe_encoder_padding(ns, lengths=(6, 2, 4), T: int = 6, seed: int = 13):
    """The same words twice, the second time with other ids at the padding positions."""
    dims, drawn, src = encoder_inputs(seed, lengths, T, 9, 4, 3)
    other = src.clone()
    pad = ~real_mask(drawn, src.shape[1])
    other[pad] = (src.roll(1, dims=1)[pad] % (dims[0] - 1)) + 1
    encoder = build(ns, "Encoder", *dims, seed=seed)
    base = call_module(encoder, "Encoder", src, torch.tensor(drawn), returns=("outputs", "final"))
    changed = call_module(encoder, "Encoder", other, torch.tensor(drawn), returns=("outputs", "final"))
    return base | {f"{name}_padding_changed": value for name, value in changed.items()}


def padding_ignored(raw, lengths=(6, 2, 4), T: int = 6, seed: int = 13):
    """Outputs are 0 at padding, and nothing moves when the padding ids change."""
    _, drawn, src = encoder_inputs(seed, lengths, T, 9, 4, 3)
    pad = ~real_mask(drawn, src.shape[1]).numpy()
    return computable(
        largest_output_at_padding=lambda: largest(raw["outputs"][pad]),
        outputs_change=lambda: max_change(raw["outputs"], raw["outputs_padding_changed"]),
        final_change=lambda: max_change(raw["final"], raw["final_padding_changed"]),
    )


# ---------------------------------------------------------------- AdditiveAttention


def attention_inputs(seed: int, lengths: tuple[int, ...], T: int, Q: int, K: int, A: int):
    size = Sizes(seed)
    dims = size(Q, 2), size(K, 2), size(A, 2)
    T_drawn = size(T, 3)
    drawn = size.lengths(lengths, T, T_drawn)
    s = randn(len(drawn), dims[0], seed=seed + 1)
    h = randn(len(drawn), T_drawn, dims[1], seed=seed + 2)
    return dims, drawn, s, h, real_mask(drawn, T_drawn)


def probe_attention(ns, lengths=(5, 2, 4), T: int = 5, Q: int = 4, K: int = 6, A: int = 3, seed: int = 14):
    dims, _, s, h, mask = attention_inputs(seed, lengths, T, Q, K, A)
    attention = build(ns, "AdditiveAttention", *dims, seed=seed)
    return call_module(attention, "AdditiveAttention", s, h, mask, returns=("context", "weights"))


def attention_properties(raw, lengths=(5, 2, 4), T: int = 5, Q: int = 4, K: int = 6, A: int = 3, seed: int = 14):
    """Weights sum to 1 over the source and put nothing on padding."""
    *_, mask = attention_inputs(seed, lengths, T, Q, K, A)
    return computable(
        max_row_sum_error=lambda: largest(raw["weights"].sum(-1) - 1),
        max_weight_on_padding=lambda: largest(np.where(mask.numpy(), 0.0, raw["weights"])),
    )


def probe_attention_contract(ns, seed: int = 15):
    """Called directly: what came back and the inputs afterwards, raw."""
    dims, _, s, h, mask = attention_inputs(seed, (4, 2), 4, 3, 5, 3)
    attention = build(ns, "AdditiveAttention", *dims, seed=seed)
    return returned(attention(s, h, mask), ("context", "weights")) | afterwards(s=s, h=h, mask=mask)


# ---------------------------------------------------------------- Decoder


def decoder_inputs(seed: int, lengths: tuple[int, ...], Ts: int, Tt: int):
    """Decoder(V, emb, enc_dim, hidden, attn) sizes and its inputs: tgt_in, the first state, enc_out, mask."""
    size = Sizes(seed)
    dims = size(11, 6), size(4, 2), size(6, 2), size(5, 2), size(3, 2)
    Ts_drawn, Tt_drawn = size(Ts, 3), 1 if Tt == 1 else size(Tt, 2)  # one step stays one step
    drawn = size.lengths(lengths, Ts, Ts_drawn)
    B, V = len(drawn), dims[0]
    tgt_in = randint(1, V, (B, Tt_drawn), seed=seed + 1)
    state = randn(B, dims[3], seed=seed + 2)
    enc_out = randn(B, Ts_drawn, dims[2], seed=seed + 3) * real_mask(drawn, Ts_drawn)[:, :, None]
    return dims, tgt_in, state, enc_out, real_mask(drawn, Ts_drawn)


def probe_decoder(ns, lengths=(5, 3, 4), Ts: int = 5, Tt: int = 4, seed: int = 16):
    dims, tgt_in, state, enc_out, mask = decoder_inputs(seed, lengths, Ts, Tt)
    decoder = build(ns, "Decoder", *dims, seed=seed)
    return call_module(decoder, "Decoder", tgt_in, state, enc_out, mask, returns=("logits", "weights"))


def probe_decoder_step(ns, lengths=(4, 2, 4), Ts: int = 4, seed: int = 17):
    """One call of Decoder.step, fed the first column of tgt_in."""
    dims, tgt_in, state, enc_out, mask = decoder_inputs(seed, lengths, Ts, 2)
    decoder = build(ns, "Decoder", *dims, seed=seed)
    return call({"Decoder.step": decoder.step}, "Decoder.step", tgt_in[:, 0], state, enc_out, mask,
                returns=("logits", "state", "weights"))


def teacher_forcing_sizes(seed: int) -> tuple[tuple[int, ...], int, int, int]:
    size = Sizes(seed + 50)
    Tt = size(6, 4, 10)
    return (5, 2, 4), 5, Tt, size.within(3, 1, Tt)


def probe_teacher_forcing(ns, seed: int = 18):
    """Logits for tgt_in, and for tgt_in with positions >= k changed (see teacher_forcing)."""
    lengths, Ts, Tt, k = teacher_forcing_sizes(seed)
    dims, tgt_in, state, enc_out, mask = decoder_inputs(seed, lengths, Ts, Tt)
    changed = tgt_in.clone()
    changed[:, k:] = tgt_in[:, k:] % (dims[0] - 1) + 1  # another id in 1..V-1
    decoder = build(ns, "Decoder", *dims, seed=seed)
    with torch.no_grad():
        base = call_module(decoder, "Decoder", tgt_in, state, enc_out, mask, returns=("logits", "weights"))
        later = call_module(decoder, "Decoder", changed, state, enc_out, mask, returns=("logits_later_changed",
                                                                                        "weights_later_changed"))
    return base | later


def teacher_forcing(raw, seed: int = 18):
    """Step t reads tgt_in[:, t]: steps before k do not move when positions >= k change; step k does."""
    k = teacher_forcing_sizes(seed)[3]
    return computable(
        earlier_logits_change=lambda: max_change(raw["logits"][:, :k], raw["logits_later_changed"][:, :k]),
        logits_at_k_move=lambda: max_change(raw["logits"][:, k], raw["logits_later_changed"][:, k]) > 1e-6,
    )


# ---------------------------------------------------------------- decoding: a scripted model


class ScriptedModel(torch.nn.Module):
    """The decoding interface of the notebook's G2P model, with known next-token logits.

    encode(src, src_lengths) -> (state (B, 1): the step count, memory (total (B, 1): the sum of each row's
    real source ids,)); step(tokens, state, memory) -> (logits (N, V), state + 1) with
    logits = table[min(t, steps - 1), tokens] + 0.1 * total * source_weight.
    """

    def __init__(self, table: torch.Tensor, source_weight: torch.Tensor):
        super().__init__()
        self.table, self.source_weight = table, source_weight  # (steps, V, V), (V,)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor]]:
        real = torch.arange(src.shape[1]) < src_lengths[:, None]
        total = (src * real).sum(dim=1, keepdim=True).double()
        return torch.zeros(src.shape[0], 1, dtype=torch.float64), (total,)

    def step(self, tokens: torch.Tensor, state: torch.Tensor, memory: tuple) -> tuple[torch.Tensor, torch.Tensor]:
        t = state[:, 0].long().clamp(max=self.table.shape[0] - 1)
        return self.table[t, tokens] + 0.1 * memory[0] * self.source_weight, state + 1


def scripted_table(V: int, steps: int, eos: int, seed: int, ties: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """(steps, V, V) logits, EOS more likely step by step, and a (V,) source weight. ties: tokens 3 and 4
    have identical logits everywhere and identical futures, so hypotheses tie exactly."""
    table = 1.5 * randn(steps, V, V, seed=seed)
    table[:, :, eos] += torch.linspace(-2.0, 2.5, steps, dtype=torch.float64)[:, None]
    weight = randn(V, seed=seed + 1)
    if ties:
        table[:, :, 4], table[:, 4, :], weight[4] = table[:, :, 3], table[:, 3, :], weight[3]
    return table, weight


def decoding_sizes(seed: int, V: int, max_len: int, bos: int, eos: int, fixed_vocab: bool = False):
    """(V, max_len, bos, eos), drawn fresh at grading: BOS and EOS two different ids, 3 and 4 never EOS."""
    size = Sizes(seed)
    V = V if fixed_vocab else size(V, 6, 13)
    if max_len > 1:  # one step stays one step
        max_len = size(max_len, 3, 5) if fixed_vocab else size(max_len, 3, max_len + 4)
    bos = size.within(bos, 0, V)
    eos_choices = [i for i in range(V) if i not in (bos, 3, 4)]
    eos = eos_choices[size.within(eos_choices.index(eos) if eos in eos_choices else 0, 0, len(eos_choices))]
    return V, max_len, bos, eos


def scripted_model(seed: int, V: int, max_len: int, eos: int, ties: bool = False) -> ScriptedModel:
    return ScriptedModel(*scripted_table(V, max_len, eos, seed + 7, ties))


def probe_greedy(ns, lengths=(4, 2, 4, 1, 3), Ts: int = 4, V: int = 8, max_len: int = 7, bos: int = 1,
                 eos: int = 2, seed: int = 20):
    V, max_len, bos, eos = decoding_sizes(seed, V, max_len, bos, eos)
    size = Sizes(seed + 50)
    Ts_drawn = size(Ts, 2)
    drawn = size.lengths(lengths, Ts, Ts_drawn)
    src = padded_ids(drawn, Ts_drawn, V, seed=seed + 1)
    return call(ns, "greedy_decode", scripted_model(seed, V, max_len, eos), src, torch.tensor(drawn), max_len,
                bos, eos, returns=("tokens",))


def beam_inputs(seed: int, V: int, max_len: int, bos: int, eos: int, fixed_vocab: bool = False, ties: bool = False):
    """A scripted model and 4 source words (3..6 at grading) of their own lengths: each source shifts the
    model's logits, so each is another search problem."""
    V, max_len, bos, eos = decoding_sizes(seed, V, max_len, bos, eos, fixed_vocab)
    size = Sizes(seed + 50)
    lengths = [size(n, 1, 7) for n in (4, 2, 5, 3, 1, 6)[:size(4, 3, 7)]]
    sources = [randint(1, V, (n,), seed=seed + 1 + i) for i, n in enumerate(lengths)]
    return scripted_model(seed, V, max_len, eos, ties), sources, max_len, bos, eos


def probe_beam(ns, beam_size: int | None = 3, V: int = 7, max_len: int = 6, bos: int = 1, eos: int = 2,
               length_penalty: float = 1.0, fixed_vocab: bool = False, ties: bool = False, seed: int = 21):
    """tokens_i, score_i for each source i. beam_size None: a beam as large as the number of sequences of
    max_len tokens (an exhaustive search)."""
    model, sources, max_len, bos, eos = beam_inputs(seed, V, max_len, bos, eos, fixed_vocab, ties)
    width = model.table.shape[1] ** max_len if beam_size is None else beam_size
    outputs = {}
    for i, src in enumerate(sources):
        outputs |= call(ns, "beam_search", model, src, width, max_len, bos, eos, length_penalty=length_penalty,
                        returns=(f"tokens_{i}", f"score_{i}"))
    return outputs


def crafted_model(seed: int, scenario: str) -> tuple[ScriptedModel, int, int, int]:
    """A scripted model whose best hypotheses are known: (model, max_len, bos, eos). Token ids, the
    vocabulary and max_len are drawn fresh at grading; rows not set below are flat (no token above ~0.2).

    normalisation (beam 3, length penalty 1): EOS first has p = 0.37; A (0.4), B (0.85), EOS (0.85) has
    log p = -1.24 < log 0.37 = -0.99 but a better mean, -0.41 per token: only length normalisation picks it.
    slots (beam 2): EOS first (0.45) finishes at once and keeps its slot, leaving one live hypothesis: A
    (0.3), then B (0.5) beats D (0.45), and B leads nowhere, so EOS wins. A search that gives the
    finished hypothesis's slot back to the live ones also keeps A D, then finds A D EOS (0.97): mean -0.68.
    """
    size = Sizes(seed)
    V, max_len = size(9, 8, 14), size(6, 5, 9)
    bos, eos, a, b, c, d = torch.randperm(V, generator=generator(seed)).tolist()[:6]
    table = 0.5 * randn(max_len, V, V, seed=seed + 1)
    noise = 0.05 * randn(max_len, V, V, seed=seed + 2)

    def put(t: int, prev: int, probs: dict[int, float]) -> None:
        rest = (1 - sum(probs.values())) / (V - len(probs))
        row = torch.full((V,), rest, dtype=torch.float64).log() + noise[t, prev]
        for token, p in probs.items():
            row[token] = np.log(p)
        table[t, prev] = row

    if scenario == "normalisation":
        put(0, bos, {eos: 0.37, a: 0.4})
        put(1, a, {b: 0.85})
        put(2, b, {eos: 0.85})
    else:
        put(0, bos, {eos: 0.45, a: 0.3, c: 0.02})
        put(1, a, {b: 0.5, d: 0.45})
        put(2, d, {eos: 0.97})
    return ScriptedModel(table, torch.zeros(V, dtype=torch.float64)), max_len, bos, eos


def probe_beam_crafted(ns, scenario: str = "normalisation", seed: int = 24):
    model, max_len, bos, eos = crafted_model(seed, scenario)
    beam_size = 3 if scenario == "normalisation" else 2
    src = randint(1, 5, (3,), seed=seed + 3)
    return call(ns, "beam_search", model, src, beam_size, max_len, bos, eos, length_penalty=1.0,
                returns=("tokens", "score"))


def scripted_log_probs(model: ScriptedModel, src: torch.Tensor, prefix: list[int], bos: int) -> np.ndarray:
    """log p(next | prefix) of the scripted model, computed in numpy (in the grader)."""
    table, weight = model.table.numpy(), model.source_weight.numpy()
    t = min(len(prefix), table.shape[0] - 1)
    logits = table[t, prefix[-1] if prefix else bos] + 0.1 * float(src.sum()) * weight
    return logits - np.logaddexp.reduce(logits)


def search_reference(model: ScriptedModel, src: torch.Tensor, max_len: int, bos: int, eos: int,
                     length_penalty: float, exhaustive: bool) -> tuple[list[int], float]:
    """Greedy decoding's sequence, or the exhaustive search's best: (tokens, normalised score)."""
    if not exhaustive:
        greedy, total = [], 0.0
        while len(greedy) < max_len and (not greedy or greedy[-1] != eos):
            log_p = scripted_log_probs(model, src, greedy, bos)
            greedy.append(int(np.argmax(log_p)))
            total += log_p[greedy[-1]]
        return greedy, total / len(greedy) ** length_penalty
    best, best_score = [], -np.inf
    for n in range(1, max_len + 1):
        for seq in itertools.product(range(model.table.shape[1]), repeat=n):
            if eos in seq[:-1] or (n < max_len and seq[-1] != eos):
                continue
            score = sum(scripted_log_probs(model, src, list(seq[:i]), bos)[tok] for i, tok in enumerate(seq))
            if score / n ** length_penalty > best_score:
                best, best_score = list(seq), score / n ** length_penalty
    return best, best_score


def beam_agrees(raw, beam_size: int | None = 3, V: int = 7, max_len: int = 6, bos: int = 1, eos: int = 2,
                length_penalty: float = 1.0, fixed_vocab: bool = False, ties: bool = False, seed: int = 21):
    """For each source: whether the hypothesis found is greedy decoding's (beam 1) or the exhaustive
    search's best (a beam covering every hypothesis), and its score's difference from that one's."""
    model, sources, max_len, bos, eos = beam_inputs(seed, V, max_len, bos, eos, fixed_vocab, ties)
    target = "greedy" if beam_size == 1 else "exhaustive"
    properties = {}
    for i, src in enumerate(sources):
        tokens, score = search_reference(model, src, max_len, bos, eos, length_penalty, target == "exhaustive")
        properties[f"same_tokens_as_{target}_{i}"] = partial(
            lambda i, tokens: np.asarray([integers(raw[f"tokens_{i}"]).tolist() == tokens]), i, tokens)
        properties[f"score_minus_{target}_score_{i}"] = partial(
            lambda i, score: np.round(np.asarray([float(raw[f"score_{i}"]) - score]), 9), i, score)
    return computable(**properties)


# ---------------------------------------------------------------- edit_distance / phoneme_error_rate


def random_sequences(seed: int, count: int, low: int, high: int, alphabet: int) -> list[list[str]]:
    """count lists of low..high-1 phoneme symbols drawn from the first `alphabet` symbols."""
    gen = generator(seed)
    lengths = torch.randint(low, high, (count,), generator=gen).tolist()
    return [[PHONEME_SYMBOLS[i] for i in torch.randint(alphabet, (n,), generator=gen).tolist()] for n in lengths]


def noisy_copy(seq: list[str], gen: torch.Generator) -> list[str]:
    """seq with a few random substitutions, deletions and insertions."""
    out = []
    for symbol in seq:
        action = int(torch.randint(6, (1,), generator=gen))
        if action == 0:  # delete
            continue
        out.append(PHONEME_SYMBOLS[int(torch.randint(len(PHONEME_SYMBOLS), (1,), generator=gen))] if action == 1
                   else symbol)
        if action == 2:  # insert after
            out.append(PHONEME_SYMBOLS[int(torch.randint(len(PHONEME_SYMBOLS), (1,), generator=gen))])
    return out


def probe_edit_distance(ns, pairs: int = 6, low: int = 0, high: int = 9, alphabet: int = 4, seed: int = 30):
    """Distances of `pairs` random pairs (alphabet of 4 symbols: many matches), and of a few fixed cases."""
    size = Sizes(seed)
    n = size(pairs, pairs, 2 * pairs + 1)
    a = random_sequences(seed, n, low, high, alphabet)
    b = random_sequences(seed + 1, n, low, high, alphabet)
    return {f"distance_{i}": call(ns, "edit_distance", x, y, returns=("d",))["d"]
            for i, (x, y) in enumerate(zip(a, b, strict=True))}


def probe_edit_distance_fixed(ns, seed: int = 32):
    """Textbook cases: kitten/sitting (3), empty sequences, one sequence inside the other. At grading, random
    letter strings of the same shapes (empty ones stay empty), so no table of the public cases answers."""
    cases = [("kitten", "sitting"), ("", "abc"), ("abc", ""), ("", ""), ("flaw", "lawn"), ("abcdef", "bcd"),
             ("intention", "execution")]
    if choose(0, 1, 2, seed=seed):  # 0 on the public inputs, 1 at grading
        gen = generator(seed)

        def word(n: int) -> str:
            return "".join(chr(97 + i) for i in torch.randint(5, (n,), generator=gen).tolist()) if n else ""

        cases = [(word(len(x) + int(torch.randint(3, (1,), generator=gen)) if x else 0), word(len(y)))
                 for x, y in cases]
    return {f"distance_{i}": call(ns, "edit_distance", list(x), list(y), returns=("d",))["d"]
            for i, (x, y) in enumerate(cases)}


def per_inputs(seed: int, words: int) -> tuple[list[list[str]], list[list[str]]]:
    size = Sizes(seed)
    references = random_sequences(seed, size(words, words, 2 * words + 1), 2, 9, len(PHONEME_SYMBOLS))
    gen = generator(seed + 1)
    predictions = [noisy_copy(r, gen) for r in references]
    predictions[0] = []  # a word the model gave up on
    predictions[1] = references[1] + ["S", "S", "S"]  # insertions
    return predictions, references


def probe_per(ns, words: int = 8, seed: int = 31):
    predictions, references = per_inputs(seed, words)
    return call(ns, "phoneme_error_rate", predictions, references, returns=("per",))


CHECKS = [
    Check("autoencoder_values", "Autoencoder", probe_autoencoder, points=2,
          description="Autoencoder(12, 10, 3) with seeded weights on a (5, 12) batch: logits and code z"),
    Check("autoencoder_contract", "Autoencoder", probe_autoencoder_contract, points=1,
          description="returns a tuple (logits, z) and leaves x unchanged"),
    Check("denoise_corrupt_values", "denoise_corrupt", probe_corrupt, points=2,
          description="denoise_corrupt of a (4, 10) input with p = 0.3 and a seeded generator"),
    Check("denoise_corrupt_fraction", "denoise_corrupt",
          **paired(probe_corrupt_fraction, corrupt_fraction, p=0.25, seed=3), points=1,
          description="a (100, 64) input with p = 0.25: about a quarter erased, the rest unchanged"),
    Check("denoise_corrupt_contract", "denoise_corrupt", probe_corrupt_contract, points=1,
          description="returns one tensor and leaves x unchanged"),
    Check("reparameterize_values", "reparameterize", probe_reparameterize, points=2,
          description="z for mu, logvar (4, 3) and a seeded generator, and the gradients reaching mu and logvar"),
    Check("reparameterize_moments", "reparameterize",
          **paired(probe_reparameterize_moments, sample_moments, seed=7), points=1,
          description="20,000 draws for mu = 1.5, logvar = -0.2: sample mean and standard deviation"),
    Check("gaussian_kl_values", "gaussian_kl", probe_gaussian_kl, points=2,
          description="KL per example for mu, logvar of shape (4, 3)"),
    Check("elbo_loss_values", "elbo_loss", probe_elbo, points=2,
          description="(loss, reconstruction, kl) for logits (4, 10), x in (0, 1), mu and logvar (4, 3)"),
    Check("elbo_loss_beta", "elbo_loss", partial(probe_elbo, beta=0.25, seed=19), points=1,
          description="the same with beta = 0.25"),
    Check("gru_cell_values", "GRUCell", **paired(probe_gru_cell, matches_nn_gru_cell), points=2,
          description="GRUCell(4, 5) with seeded weights, x (3, 4), h (3, 5): h' and its difference from "
                      "nn.GRUCell with the same weights"),
    Check("encoder_values", "Encoder", probe_encoder, points=2,
          description="Encoder(9, 4, 3) with seeded weights on a padded batch of lengths 5, 3, 1, 4"),
    Check("encoder_padding", "Encoder", **paired(probe_encoder_padding, padding_ignored), points=1,
          description="the same words with other ids at the padding: outputs 0 at padding, nothing moves"),
    Check("attention_values", "AdditiveAttention", **paired(probe_attention, attention_properties), points=2,
          description="AdditiveAttention(4, 6, 3), s (3, 4), h (3, 5, 6), lengths 5, 2, 4: context and weights"),
    Check("attention_contract", "AdditiveAttention", probe_attention_contract, points=1,
          description="returns a tuple (context, weights) and leaves s, h and the mask unchanged"),
    Check("decoder_step", "Decoder", probe_decoder_step, points=2,
          description="Decoder(11, 4, 6, 5, 3).step with seeded weights: logits, new state, attention weights"),
    Check("decoder_teacher_forcing", "Decoder", probe_decoder, points=2,
          description="Decoder.forward on tgt_in (3, 4): logits (3, 4, 11) and weights (3, 4, 5)"),
    Check("decoder_reads_targets", "Decoder", **paired(probe_teacher_forcing, teacher_forcing), points=1,
          description="forward on tgt_in, then with positions >= 3 changed: earlier logits stay, step 3's move"),
    Check("greedy_decode_scripted", "greedy_decode", probe_greedy, points=2, exact_dtype=True,
          description="7 greedy steps of a scripted model over 5 padded sources: int64 tokens, EOS after a row ends"),
    Check("beam_search_values", "beam_search", probe_beam, points=2,
          description="beam 3 on a scripted model (7 tokens, 6 steps) for 4 source words, length penalty 1: "
                      "tokens and score"),
    Check("beam_search_width_one_is_greedy", "beam_search",
          **paired(probe_beam, beam_agrees, beam_size=1, seed=22), points=1,
          description="beam 1 returns greedy decoding's sequence, for 4 source words"),
    Check("beam_search_exhaustive", "beam_search",
          **paired(probe_beam, beam_agrees, beam_size=None, V=3, max_len=4, bos=0, eos=2, fixed_vocab=True, seed=23),
          points=2, description="3 tokens, 4 steps, beam 81: the best length-normalised sequence of all, for 4 words"),
    Check("beam_search_length_normalisation", "beam_search", probe_beam_crafted, points=1,
          description="a short hypothesis with the higher log-probability and a longer one with the higher "
                      "log-probability per token: length normalisation must pick the longer"),
    Check("beam_search_finished_keep_slots", "beam_search", partial(probe_beam_crafted, scenario="slots", seed=25),
          points=1, description="beam 2 where the first hypothesis finishes at step 1: it keeps its slot, so one "
                                "live hypothesis remains"),
    Check("edit_distance_random", "edit_distance", probe_edit_distance, points=2,
          description="6 pairs of random phoneme sequences of length 0 to 8"),
    Check("edit_distance_textbook", "edit_distance", probe_edit_distance_fixed, points=1,
          description="kitten/sitting, empty sequences, flaw/lawn, intention/execution"),
    Check("phoneme_error_rate_values", "phoneme_error_rate", probe_per, points=2,
          description="PER of 8 noisy predictions (one empty, one with insertions)"),
]
