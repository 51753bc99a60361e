"""Public checks for week 8 (BERT and miniGPT). Shipped with the release; hidden.py reuses the probes.

Probes make seeded inputs (float64 where the function allows it, fixed torch.Generators), call the
learner's code and return what it returned, nothing computed from it: a probe runs in the
learner's process, where torch and this module can be patched. Properties (which window starts
were drawn, how far the logits move when one token changes, masking rates, sampled frequencies)
are computed by each check's `derive`, in the grader, from the raw outputs read back as numpy
arrays; a derive that needs the probe's inputs rebuilds them with the same helper and seeds.

The notebook pins down the draws of get_batch (one torch.randint) and mask_tokens (an order of
draws), so a faithful implementation reproduces the reference's raw outputs and they are compared
too (values=True), except in mask_tokens_rates*, meant for any order of draws. sample_next_token
may draw its token any exact way (torch.multinomial, an inverse CDF, ...), so its checks compare
what sampling must get right: per-row frequencies within a tolerance of the reference's, which
tokens can be drawn at all, and that equal generators give equal tokens (values=False); greedy
decoding, which draws nothing, is compared exactly. Each sampling option (temperature, top-k,
top-p, greedy and top-k with top-p) has its own checks, so a bug in one loses only its points.

Contracts before values: probes call the learner's code through `coursekit.probing.call` (or
`call_module`), which says in one line when a function returns the wrong number or type of values
or modifies an input in place. A `*_contract` check calls it directly and returns what came back
and what its arguments hold afterwards as raw outputs, so that the mistake catalogue can also name
those mistakes. Dtypes stated in a docstring (get_batch's int64 ids, sample_next_token's long
tokens) are exact. The models are also run with dropout > 0 in eval mode (must equal dropout 0)
and in train mode from a seeded RNG; train_step is given a model left in eval mode.

The KV cache: forward_with_cache is called on a prefix and then on the rest with the prefix's cache,
and token by token; its logits are compared with the model's full forward in the grader, and each
layer's cache (k, v) is returned raw. generate_with_cache is run next to generate (the answer key's
while generate_with_cache is checked) on 16 prompts with equal generators: the tokens must be
identical, also when the context outgrows block_size. Byte-pair encoding: texts of random words with
runs ('aaa'), multi-byte characters (é, 日) and punctuation; merges for bpe_encode and bpe_decode are
made by the probes (random_merges), never by train_bpe; strings come back as code points, merges as
pairs of ints, and a wrong type is refused in one line (token_ids, merge_pairs, codes).

Fresh inputs: besides the seeded tensors, every size a probe uses (lengths, batch sizes, vocabulary
sizes, block sizes, model widths, numbers of words and merges, step counts) is drawn with `Sizes`:
the value named here on the public inputs, a fresh one of the same kind when grading (`Sizes.within`
where the range depends on another fresh size). k for top-k, the schedule's warmup and steps and the
masking-rate inputs keep `choose` with ranges of their own kind. A derive that needs a size remakes it
with the same helper and seed.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from coursekit.checks import Check
from coursekit.deriving import computable, integers, same
from coursekit.errors import ProbeError
from coursekit.probing import (
    Sizes,
    afterwards,
    build,
    call,
    call_module,
    choose,
    generator,
    mixed,
    need,
    paired,
    randint,
    randn,
    returned,
    seeded_weights,
)

# ---------------------------------------------------------------- helpers


def fresh_top_k(top_k: int | None, V: int, *, seed: int, k_range: tuple[int, int] | None = None) -> int | None:
    """k for top-k over V tokens, fresh of the same kind: None and 0 (off) stay; k >= V (nothing
    removed) stays >= V; otherwise a k that removes something, from [2, V) or `k_range`."""
    if top_k is None or top_k == 0:
        return top_k
    if k_range is None:
        k_range = (V, 2 * V + 1) if top_k >= V else (min(2, V - 1), V)
    return choose(top_k, *k_range, seed=seed)


# ---------------------------------------------------------------- get_batch


def probe_get_batch_values(ns, n: int = 50, block_size: int = 6, batch_size: int = 5, seed: int = 11):
    size = Sizes(seed)
    block_size, starts = size(block_size, 1), size(n - block_size, 1)
    n, batch_size = block_size + starts, size(batch_size, 1)
    data = randint(0, size(40, 5), (n,), seed=seed)
    torch.manual_seed(0)  # an implementation that ignores `generator` still gives a fixed answer
    return call(ns, "get_batch", data, block_size, batch_size, generator=generator(seed), returns=("x", "y"))


def window_data(n: int) -> torch.Tensor:
    """0, 3, 6, ...: a token's value // 3 is its position in data, so x[:, 0] // 3 is the window start."""
    return torch.arange(n) * 3


def window_sizes(n: int, block_size: int, batch_size: int) -> tuple[int, int, int, int]:
    """(n, block_size, batch_size, small batch): the number of starts n - block_size stays small
    (between half and 1.5 times the public one, at least 2) and the large batch large enough that
    every start is drawn."""
    starts = n - block_size
    block_size = choose(block_size, max(1, block_size // 2), 2 * block_size + 1, seed=710)
    starts = choose(starts, max(2, starts // 2), starts + starts // 2 + 1, seed=711)
    batch_size = choose(batch_size, batch_size, batch_size + batch_size // 2, seed=712)
    return block_size + starts, block_size, batch_size, choose(8, 2, 17, seed=713)


def probe_get_batch_properties(ns, n: int = 20, block_size: int = 4, batch_size: int = 500):
    """A large batch, then two small ones from equal generators with the global RNG moved in between."""
    n, block_size, batch_size, small = window_sizes(n, block_size, batch_size)
    data = window_data(n)
    outputs = call(ns, "get_batch", data, block_size, batch_size, generator=generator(5), returns=("x", "y"))
    torch.manual_seed(1)
    outputs |= call(ns, "get_batch", data, block_size, small, generator=generator(6),
                    returns=("first_x", "first_y"))
    torch.manual_seed(2)  # the global RNG moved: a seeded generator must still give the same batch
    return outputs | call(ns, "get_batch", data, block_size, small, generator=generator(6),
                          returns=("second_x", "second_y"))


def batch_properties(raw, n: int = 20, block_size: int = 4, batch_size: int = 500):
    """Which window starts were drawn; y is x one token later; equal generators give equal batches."""
    n, block_size, batch_size, _ = window_sizes(n, block_size, batch_size)
    x, y = raw.get("x"), raw.get("y")
    return computable(
        starts_drawn=lambda: np.isin(np.arange(n), integers(x)[:, 0] // 3),
        targets_are_next_tokens=lambda: same(y, integers(x) + 3),
        same_generator_same_batch=lambda: same(raw["first_x"], raw["second_x"]) and same(raw["first_y"],
                                                                                         raw["second_y"]),
    )


# ---------------------------------------------------------------- causal_lm_loss


def loss_sizes(B: int, T: int, V: int, seed: int) -> tuple[int, int, int]:
    """Fresh (B, T, V) for a loss probe: at least one sequence of two tokens over two ids."""
    size = Sizes(seed)
    return size(B, 1), size(T, 2), size(V, 2)


def probe_causal_lm_loss(ns, B: int = 3, T: int = 7, V: int = 11, seed: int = 21):
    B, T, V = loss_sizes(B, T, V, seed)
    logits = randn(B, T, V, seed=seed)
    ids = randint(0, V, (B, T), seed=seed + 1)
    return call(ns, "causal_lm_loss", logits, ids, returns=("loss",))


def probe_causal_lm_loss_perfect(ns, B: int = 2, T: int = 9, V: int = 7, seed: int = 23):
    """Logits at t strongly favour ids[:, t+1]: the shifted loss is small (~0.03, not 0), any other is large."""
    B, T, V = loss_sizes(B, T, V, seed)
    ids = randint(0, V, (B, T), seed=seed)
    logits = randn(B, T, V, seed=seed + 1)
    logits[:, :-1] += 6.0 * F.one_hot(ids[:, 1:], V).double()
    return call(ns, "causal_lm_loss", logits, ids, returns=("loss",))


def probe_causal_lm_loss_stress(ns, B: int = 3, T: int = 6, V: int = 9, seed: int = 25):
    """float32 logits of spread ~100: many targets get a softmax probability below float32's
    smallest number, so log(softmax(.)) is -inf there; log_softmax (or F.cross_entropy) is not."""
    B, T, V = loss_sizes(B, T, V, seed)
    logits = 100 * randn(B, T, V, seed=seed, dtype=torch.float32)
    ids = randint(0, V, (B, T), seed=seed + 1)
    return call(ns, "causal_lm_loss", logits, ids, returns=("loss",))


# ---------------------------------------------------------------- mask_tokens

def special_ids(seed: int) -> tuple[int, tuple[int, int, int]]:
    """(V, ([CLS], [SEP], [MASK])): V ordinary tokens (20 on the public inputs), the specials after them."""
    V = Sizes(seed)(20, 4)
    return V, (V, V + 1, V + 2)


def probe_mask_tokens_values(ns, B: int = 4, T: int = 25, mask_prob: float | None = 0.3, seed: int = 31):
    size = Sizes(seed)
    B, T = size(B, 1), size(T, 3)
    V, specials = special_ids(seed + 502)
    ids = randint(0, V, (B, T), seed=seed)
    ids[:, 0], ids[:, -1] = specials[0], specials[1]  # [CLS] ... [SEP]
    kwargs = {} if mask_prob is None else {"mask_prob": mask_prob}
    torch.manual_seed(0)
    return call(ns, "mask_tokens", ids, list(specials), V, specials[2], generator=generator(seed), **kwargs,
                returns=("inputs", "labels"))


def probe_mask_tokens_contract(ns, seed: int = 35):
    """Called directly: what came back and the ids afterwards, raw (masking written into ids changes
    the caller's batch)."""
    V, specials = special_ids(seed + 502)
    size = Sizes(seed)
    ids = randint(0, V, (size(3, 1), size(12, 3)), seed=seed)
    ids[:, 0], ids[:, -1] = specials[0], specials[1]
    result = need(ns, "mask_tokens")(ids, list(specials), V, specials[2], 0.5, generator(seed + 1))
    return returned(result, ("inputs", "labels")) | afterwards(ids=ids)


def rates_vocabulary(seed: int) -> tuple[int, tuple[int, int], int]:
    """(V, specials, mask id): 50 ordinary tokens on the public inputs, then two specials and [MASK]."""
    V = choose(50, 20, 81, seed=seed + 500)
    return V, (V, V + 1), V + 2


def rates_inputs(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """~50,000 ids ((100, 500) on the public inputs) of V ordinary tokens, ~10% of them special:
    (ids, is_special)."""
    V, specials, _ = rates_vocabulary(seed)
    shape = (choose(100, 80, 121, seed=seed + 501), choose(500, 400, 601, seed=seed + 502))
    ids = randint(0, V, shape, seed=seed)
    is_special = torch.rand(ids.shape, generator=generator(seed + 1)) < 0.1
    ids[is_special] = randint(V, V + len(specials), (int(is_special.sum()),), seed=seed + 2)
    return ids, is_special


def probe_mask_tokens_rates(ns, mask_prob: float = 0.15, seed: int = 33):
    """mask_tokens on rates_inputs(seed); masking_rates judges the result."""
    ids, _ = rates_inputs(seed)
    V, specials, mask_id = rates_vocabulary(seed)
    return call(ns, "mask_tokens", ids, list(specials), V, mask_id, mask_prob, generator(seed + 3),
                returns=("inputs", "labels"))


def masking_rates(raw, mask_prob: float = 0.15, seed: int = 33):
    """Rates over the ~45,000 ordinary tokens, each within 4.5 standard deviations of BERT's:
    mask_prob chosen, then 80% [MASK], 10% a random token (which can equal the original), 10% kept;
    and tokens chosen independently: two neighbouring ordinary tokens are both chosen at rate
    mask_prob ** 2 (a fixed pattern, such as every 7th token, is not BERT's masking)."""
    ids, is_special = (t.numpy() for t in rates_inputs(seed))
    inputs, labels = raw.get("inputs"), raw.get("labels")
    ordinary = ~is_special
    V, _, mask_id = rates_vocabulary(seed)
    n = int(ordinary.sum())

    def chosen():
        if np.shape(labels) != ids.shape or np.shape(inputs) != ids.shape:
            raise ValueError("inputs and labels must have the shape of ids")
        return np.asarray(labels) != -100

    def near(rate: float, expected: float, trials: float) -> bool:
        return abs(rate - expected) < 4.5 * math.sqrt(expected * (1 - expected) / trials)

    def share_near(of_chosen, expected: float) -> bool:
        picked = chosen()
        return near((picked & of_chosen).sum() / max(int(picked.sum()), 1), expected, mask_prob * n)

    def neighbours_chosen() -> bool:
        picked, pairs = chosen(), ordinary[:, 1:] & ordinary[:, :-1]
        both = (picked[:, 1:] & picked[:, :-1])[pairs].mean()
        return near(both, mask_prob**2, int(pairs.sum()))

    return computable(
        chosen_rate_ok=lambda: near(chosen()[ordinary].mean(), mask_prob, n),
        mask_share_ok=lambda: share_near(inputs == mask_id, 0.8),
        random_share_ok=lambda: share_near((inputs != ids) & (inputs != mask_id), 0.1 * (1 - 1 / V)),
        unchanged_share_ok=lambda: share_near(inputs == ids, 0.1 + 0.1 / V),
        chosen_independently_ok=neighbours_chosen,
        specials_never_chosen=lambda: not chosen()[is_special].any() and same(inputs[is_special], ids[is_special]),
        labels_are_originals=lambda: same(labels[chosen()], ids[chosen()]),
        others_unchanged=lambda: same(inputs[~chosen()], ids[~chosen()]),
        random_tokens_in_vocab=lambda: bool((((inputs >= 0) & (inputs < V)) | (inputs == mask_id))[chosen()]
                                            .all()),
    )


# ---------------------------------------------------------------- masked_lm_loss


def masked_labels(B: int, T: int, V: int, keep: float, seed: int) -> torch.Tensor:
    labels = randint(0, V, (B, T), seed=seed)
    predicted = torch.rand(B, T, generator=generator(seed + 1)) < keep
    predicted[0, 0] = True  # at least one predicted position
    return torch.where(predicted, labels, torch.full_like(labels, -100))


def probe_masked_lm_loss(ns, B: int = 3, T: int = 9, V: int = 13, keep: float = 0.3, seed: int = 41):
    B, T, V = loss_sizes(B, T, V, seed)
    logits = randn(B, T, V, seed=seed)
    labels = masked_labels(B, T, V, keep, seed + 1)
    return call(ns, "masked_lm_loss", logits, labels, returns=("loss",))


def probe_masked_lm_loss_ignores(ns, seed: int = 43):
    """The loss, and the loss with the logits at unpredicted positions changed (see loss_unchanged)."""
    B, T, V = loss_sizes(2, 8, 6, seed)
    logits = randn(B, T, V, seed=seed)
    labels = masked_labels(B, T, V, 0.25, seed + 1)
    moved = logits + 5.0 * randn(B, T, V, seed=seed + 2) * (labels == -100).unsqueeze(-1)
    return (call(ns, "masked_lm_loss", logits, labels, returns=("loss",))
            | call(ns, "masked_lm_loss", moved, labels, returns=("loss_unpredicted_logits_changed",)))


def loss_unchanged(raw, seed: int = 43):
    """Changing the logits at unpredicted positions must not change the loss."""
    return computable(unchanged=lambda: np.allclose(raw["loss"], raw["loss_unpredicted_logits_changed"],
                                                    rtol=0.0, atol=1e-12))


def probe_masked_lm_loss_stress(ns, B: int = 3, T: int = 8, V: int = 9, keep: float = 0.5, seed: int = 45):
    """float32 logits of spread ~100 (see probe_causal_lm_loss_stress)."""
    B, T, V = loss_sizes(B, T, V, seed)
    logits = 100 * randn(B, T, V, seed=seed, dtype=torch.float32)
    labels = masked_labels(B, T, V, keep, seed + 1)
    return call(ns, "masked_lm_loss", logits, labels, returns=("loss",))


# ---------------------------------------------------------------- GPT and BERT

TINY = dict(vocab_size=11, block_size=8, n_layer=2, n_head=2, d_model=12)


def tiny(seed: int) -> dict:
    """A tiny model's configuration: TINY on the public inputs; when grading, fresh sizes (block_size
    at least 6, so that the token at position 5 exists; d_model a multiple of n_head)."""
    size = Sizes(seed + 5000)  # the probe's own sizes come from Sizes(seed)
    n_head = size(TINY["n_head"], 1, 4)
    return dict(vocab_size=size(TINY["vocab_size"], 5), block_size=size(TINY["block_size"], 6, 13),
                n_layer=size(TINY["n_layer"], 1, 4), n_head=n_head,
                d_model=n_head * size(TINY["d_model"] // TINY["n_head"], 2, 9))


def probe_model_logits(ns, name: str = "GPT", seed: int = 51, dropout: float | None = None):
    """Logits for T = block_size (8) and a shorter T (5). With `dropout`, the model is built with it and
    left in eval mode (build's default): dropout must then change nothing."""
    kwargs = {} if dropout is None else {"dropout": dropout}
    config = tiny(seed)
    V, T = config["vocab_size"], config["block_size"]
    model = build(ns, name, seed=seed, **config, **kwargs)
    size = Sizes(seed)
    full = randint(0, V, (size(2, 1), T), seed=seed + 1)
    short = randint(0, V, (size(3, 1), size.within(5, 1, T)), seed=seed + 2)
    with torch.no_grad():
        return (call_module(model, name, full, returns=("logits_full",))
                | call_module(model, name, short, returns=("logits_short",)))


def probe_model_train_mode(ns, name: str = "GPT", seed: int = 59, dropout: float = 0.3):
    """Logits in train mode with dropout, drawn from a seeded global RNG: dropout applied once to the
    sum of the embeddings (self.drop), then inside the given blocks, as in the reference."""
    config = tiny(seed)
    model = build(ns, name, seed=seed, dropout=dropout, **config).train()
    idx = randint(0, config["vocab_size"], (Sizes(seed)(2, 1), config["block_size"]), seed=seed + 1)
    torch.manual_seed(mixed(seed + 2))  # dropout draws from the global RNG
    with torch.no_grad():
        return call_module(model, name, idx, returns=("logits_train",))


def probe_model_contract(ns, name: str = "GPT", seed: int = 58):
    """Called directly: what came back and idx afterwards, raw (logits alone, not a tuple)."""
    config = tiny(seed)
    model = build(ns, name, seed=seed, **config)
    size = Sizes(seed)
    T = size.within(6, 1, config["block_size"] + 1)
    idx = randint(0, config["vocab_size"], (size(2, 1), T), seed=seed + 1)
    with torch.no_grad():
        result = model(idx)
    return returned(result, ("logits",)) | afterwards(idx=idx)


def probe_model_dependence(ns, name: str = "GPT", seed: int = 53, position: int = 5):
    """Logits for block_size (8) tokens, and with the token at `position` changed (see positions_moved;
    a negative position counts from the end)."""
    config = tiny(seed)
    V = config["vocab_size"]
    model = build(ns, name, seed=seed, **config)
    idx = randint(0, V, (1, config["block_size"]), seed=seed + 1)
    changed = idx.clone()
    changed[0, position] = (changed[0, position] + 1) % V
    with torch.no_grad():
        return (call_module(model, name, idx, returns=("logits",))
                | call_module(model, name, changed, returns=("logits_token_changed",)))


def positions_moved(raw, name: str = "GPT", seed: int = 53, position: int = 5):
    """Do the logits before `position`, and from it on, move when the token at `position` changes?"""
    def change(part: slice) -> float:
        a = np.asarray(raw["logits"], dtype=np.float64)[:, part]
        b = np.asarray(raw["logits_token_changed"], dtype=np.float64)[:, part]
        return float(np.abs(a - b).max(initial=0.0))

    return computable(earlier_positions_change=lambda: change(slice(None, position)) > 1e-9,
                      later_positions_change=lambda: change(slice(position, None)) > 1e-9)


# ---------------------------------------------------------------- sample_next_token

# Each row is a distribution over 6 tokens; the probes permute every row's tokens with a seeded
# permutation (a top-p mask left in sorted order then hits the wrong tokens) and repeat the rows.
ROWS = (
    (0.40, 0.25, 0.15, 0.10, 0.06, 0.04),
    (0.33, 0.22, 0.20, 0.12, 0.08, 0.05),
    (0.55, 0.18, 0.12, 0.08, 0.04, 0.03),
)
# rows with exact ties: top-k 2 keeps 0.30 and all three 0.20s of the first, all three 0.25s of the second
TIED_ROWS = (
    (0.30, 0.20, 0.20, 0.20, 0.06, 0.04),
    (0.25, 0.25, 0.25, 0.15, 0.05, 0.05),
)
DRAWS_PER_ROW = 12_000


def sampling_logits(rows, n: int, seed: int) -> torch.Tensor:
    """(len(rows) * n, V) float64 log-probabilities: row i is rows[i % len(rows)], its tokens permuted."""
    table = torch.tensor(rows, dtype=torch.float64).log()
    V = table.shape[1]
    table = torch.stack([r[torch.randperm(V, generator=generator(seed + 10 + i))] for i, r in enumerate(table)])
    return table.repeat(n, 1)


def probe_sample_distribution(ns, seed: int = 61, rows=ROWS, n: int = DRAWS_PER_ROW, k_range=None, **sampling):
    """n draws per row under one setting of the sampling options (see sampled_frequencies); top_k is
    drawn fresh (fresh_top_k, from `k_range` where given)."""
    logits = sampling_logits(rows, n, seed)
    if "top_k" in sampling:
        sampling["top_k"] = fresh_top_k(sampling["top_k"], len(rows[0]), seed=seed + 500, k_range=k_range)
    return call(ns, "sample_next_token", logits, generator=generator(seed + 1), **sampling, returns=("tokens",))


def sampled_frequencies(raw, seed: int = 61, rows=ROWS, n: int = DRAWS_PER_ROW, k_range=None, **sampling):
    """Per row: how often each token was drawn, which tokens were drawn at all, and how often a draw
    repeats the row's previous one (about the sum of the squared probabilities when draws are
    independent, not for sorted or cycled tokens); and whether any draw fell outside the vocabulary."""
    R, V = len(rows), len(rows[0])

    def draws() -> np.ndarray:
        tokens = integers(raw["tokens"])
        if tokens.shape != (R * n, 1):
            raise ValueError(f"expected tokens of shape {(R * n, 1)}")
        return tokens.reshape(n, R).T  # (R, n): row r's draws in order

    def counts() -> np.ndarray:
        tokens = draws()
        return np.stack([(tokens == v).sum(axis=1) for v in range(V)], axis=1)  # (R, V)

    return computable(
        frequencies=lambda: counts() / n,
        tokens_drawn=lambda: counts() > 0,
        outside_vocabulary=lambda: counts().sum() != R * n,
        repeat_rate=lambda: (draws()[:, 1:] == draws()[:, :-1]).mean(axis=1),
    )


def probe_sample_greedy(ns, B: int = 16, V: int = 10, seed: int = 67, **options):
    """temperature 0: the argmax of every row, whatever else is set; nothing is drawn."""
    size = Sizes(seed)
    B, V = size(B, 1), size(V, 3)
    if "top_k" in options:
        options["top_k"] = fresh_top_k(options["top_k"], V, seed=seed + 502)
    logits = 1.5 * randn(B, V, seed=seed)
    return call(ns, "sample_next_token", logits, temperature=0.0, **options, returns=("tokens",))


def probe_sample_generator(ns, B: int = 64, V: int = 10, seed: int = 65):
    """The same logits and equal generators twice, the global RNG moved in between (see same_draws)."""
    size = Sizes(seed)
    B, V = size(B, 8), size(V, 3)
    logits = 1.5 * randn(B, V, seed=seed)
    options = {"temperature": 0.9, "top_k": fresh_top_k(7, V, seed=seed + 502), "top_p": 0.95}
    torch.manual_seed(1)
    first = call(ns, "sample_next_token", logits, generator=generator(seed + 1), **options, returns=("first",))
    torch.manual_seed(2)
    return first | call(ns, "sample_next_token", logits, generator=generator(seed + 1), **options,
                        returns=("second",))


def same_draws(raw, B: int = 64, V: int = 10, seed: int = 65):
    """Equal generators must give equal tokens: the draw comes from `generator`, not the global RNG."""
    return computable(same_generator_same_tokens=lambda: same(raw["first"], raw["second"]),
                      tokens_shape=lambda: np.array(np.shape(raw["first"])),
                      tokens_are_int64=lambda: np.asarray(raw["first"]).dtype == np.int64)


def probe_sample_contract(ns, B: int = 8, V: int = 10, seed: int = 69):
    """Called directly, arguments by position: what came back and the logits afterwards, raw."""
    size = Sizes(seed)
    B, V = size(B, 1), size(V, 2)
    logits = 1.5 * randn(B, V, seed=seed)
    result = need(ns, "sample_next_token")(logits, 0.7, None, None, generator(seed + 1))
    return returned(result, ("tokens",)) | afterwards(logits=logits)


def sample_contract(raw, B: int = 8, V: int = 10, seed: int = 69):
    """The draws themselves differ between correct samplers: their shape and dtype, and the logits
    as the call left them (they must be unchanged), are compared."""
    return computable(tokens_shape=lambda: np.array(np.shape(raw["tokens"])),
                      tokens_are_int64=lambda: np.asarray(raw["tokens"]).dtype == np.int64,
                      logits_after_call=lambda: np.asarray(raw["logits_after_call"]))


# ---------------------------------------------------------------- generate


class ContextModel(torch.nn.Module):
    """A parameter-free 'language model' whose logits depend on every context token and its position."""

    def __init__(self, vocab_size: int = 7, block_size: int = 5):
        super().__init__()
        self.vocab_size, self.block_size = vocab_size, block_size

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        T = idx.shape[1]
        weights = torch.arange(1, T + 1, dtype=torch.float64)
        h = torch.cumsum((idx.double() + 1) * weights, dim=1)  # (B, T)
        v = torch.arange(1, self.vocab_size + 1, dtype=torch.float64)
        return 2.0 * torch.cos(0.37 * h.unsqueeze(-1) * v)  # (B, T, V)


def probe_generate(ns, seed: int = 71, **sampling):
    """max_new_tokens (9) new tokens after a context of 3 from ContextModel (vocab_size 7, block_size 5),
    sizes drawn fresh when grading; top_k too (fresh_top_k)."""
    size = Sizes(seed)
    V, block_size = size(7, 4, 12), size(5, 2, 9)
    idx = randint(0, V, (size(3, 1), size.within(3, 1, block_size + 1)), seed=seed)
    if "top_k" in sampling:
        sampling["top_k"] = fresh_top_k(sampling["top_k"], V, seed=seed + 504)
    torch.manual_seed(0)
    return call(ns, "generate", ContextModel(V, block_size), idx, size(9, 3, 15),
                generator=generator(seed + 1), **sampling, returns=("tokens",))


# ---------------------------------------------------------------- cosine_lr

LR_STEPS = [0, 1, 4, 9, 10, 11, 30, 55, 99, 100, 101, 130]


def scaled(x: float, *, seed: int, low: int = 5, high: int = 21) -> float:
    """x on the public inputs; x times a fresh factor from [low/10, high/10) when grading."""
    factor = choose(10, low, high, seed=seed)
    return x if factor == 10 else x * factor / 10


def schedule(warmup: int, max_steps: int, steps, seed: int = 0) -> tuple[int, int, list[int]]:
    """Fresh (warmup, max_steps, steps) of the same kind: no warmup stays none; each public step keeps
    its place in the schedule (0 and 1; one before, at and after the end of warmup and of max_steps;
    within warmup, within the decay, beyond max_steps), drawn again in that place when grading."""
    w = 0 if warmup == 0 else choose(warmup, max(2, warmup // 2), 2 * warmup + 1, seed=seed + 600)
    m = choose(max_steps, w + max(10, (max_steps - warmup) // 2), w + 2 * (max_steps - warmup) + 1, seed=seed + 601)
    fresh = []
    for i, s in enumerate(steps):
        for anchor, moved in ((warmup, w), (max_steps, m)):
            if s > 1 and abs(s - anchor) <= 1:
                fresh.append(moved + s - anchor)
                break
        else:
            if s <= 1:
                fresh.append(s)
            elif s < warmup:
                fresh.append(choose(s, 2, max(w - 1, 3), seed=seed + 610 + i))
            elif s < max_steps:
                fresh.append(choose(s, w + 2, m - 1, seed=seed + 610 + i))
            else:
                fresh.append(choose(s, m + 2, 2 * m + 2, seed=seed + 610 + i))
    return w, m, fresh


def probe_cosine_lr(ns, warmup: int = 10, max_steps: int = 100, max_lr: float = 3.0, min_lr: float = 0.3, steps=None):
    warmup, max_steps, steps = schedule(warmup, max_steps, steps or LR_STEPS, seed=warmup + max_steps)
    max_lr, min_lr = scaled(max_lr, seed=620, low=10), scaled(min_lr, seed=621, high=16)
    rates = [call(ns, "cosine_lr", s, warmup, max_steps, max_lr, min_lr, returns=("lr",))["lr"] for s in steps]
    return {"lr": [float(r) for r in rates]}


# ---------------------------------------------------------------- train_step


def toy_sizes(seed: int) -> tuple[int, int, int, int]:
    """(V, d, B, T) of the toy model and its batches: (7, 6, 3, 5) on the public inputs."""
    size = Sizes(seed)
    return size(7, 4, 12), size(6, 3, 10), size(3, 1), size(5, 2)


def toy_model(seed: int, dropout: float = 0.0) -> torch.nn.Module:
    V, d, _, _ = toy_sizes(seed)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Embedding(V, d), torch.nn.Dropout(dropout), torch.nn.Linear(d, V))
    return seeded_weights(model, seed).train()


def toy_batches(seed: int, steps: int = 3, sizes_seed: int | None = None):
    """`steps` batches for the toy model of seed `sizes_seed` (seed - 1 by default: the model's)."""
    V, _, B, T = toy_sizes(seed - 1 if sizes_seed is None else sizes_seed)
    batches = []
    for s in range(steps):
        x = randint(0, V, (B, T), seed=seed + 10 * s)
        y = randint(0, V, (B, T), seed=seed + 10 * s + 1)
        y[torch.rand(B, T, generator=generator(seed + 10 * s + 2)) < 0.3] = -100
        batches.append((x, y))
    return batches


def make_optimizer(model: torch.nn.Module, optimizer: str) -> torch.optim.Optimizer:
    if optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=0.5)
    return torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.1)


def parameters(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for _, p in sorted(model.named_parameters())])


def probe_train_step(ns, optimizer: str = "sgd", clip: float = 0.05, seed: int = 81):
    """The losses train_step returned and the weights after three steps."""
    model = toy_model(seed)
    opt = make_optimizer(model, optimizer)
    losses = [call(ns, "train_step", model, opt, batch, clip, returns=("loss",))["loss"]
              for batch in toy_batches(seed + 1, Sizes(seed + 7)(3, 2, 6))]
    return {"losses": [float(loss) for loss in losses], "params": parameters(model)}


def probe_train_step_mode(ns, dropout: float = 0.5, seed: int = 85):
    """A model with dropout, left in eval mode by the caller (as after an evaluation): train_step must
    switch it to train mode. Losses, weights after two steps (dropout drawn from a seeded global RNG),
    and the mode the model is left in."""
    model = toy_model(seed, dropout).eval()
    opt = make_optimizer(model, "sgd")
    torch.manual_seed(mixed(seed + 50))
    losses = [call(ns, "train_step", model, opt, batch, 1.0, returns=("loss",))["loss"]
              for batch in toy_batches(seed + 1, steps=Sizes(seed + 7)(2, 1, 5))]
    return {"losses": [float(loss) for loss in losses], "params": parameters(model), "training_after": model.training}


def probe_train_step_contract(ns, seed: int = 87):
    """Called directly: whether it returned a Python float (loss.item(), not the loss tensor, which
    keeps the whole graph alive in a list of losses) and the batch afterwards, raw."""
    model = toy_model(seed)
    opt = make_optimizer(model, "sgd")
    inputs, targets = toy_batches(seed + 1, steps=1)[0]
    result = need(ns, "train_step")(model, opt, (inputs, targets), 1.0)
    return {"returned_python_float": isinstance(result, float)} | afterwards(inputs=inputs, targets=targets)


# ---------------------------------------------------------------- count_parameters, flops_per_token


def gpt_sizes(seed: int, vocab_size: int = 11, block_size: int = 8, n_layer: int = 2, n_head: int = 2,
              head_size: int = 6) -> dict:
    """A GPT configuration from its sizes: the given ones on the public inputs, fresh ones when grading
    (d_model a multiple of n_head)."""
    size = Sizes(seed)
    n_head = size(n_head, 1, 2 * n_head + 1)
    return dict(vocab_size=size(vocab_size, 2), block_size=size(block_size, 1), n_layer=size(n_layer, 1),
                n_head=n_head, d_model=n_head * size(head_size, 1))


def probe_count_parameters(ns, tied: bool = True, seed: int = 201, **sizes):
    return call(ns, "count_parameters", gpt_sizes(seed, **sizes), tied=tied, returns=("parameters",))


def probe_flops_per_token(ns, seed: int = 211, **sizes):
    return call(ns, "flops_per_token", gpt_sizes(seed, **sizes), returns=("flops",))


# ---------------------------------------------------------------- forward_with_cache, generate_with_cache


def tiny_gpt(ns, seed: int, block_size: int = 8, scale: float = 0.5) -> torch.nn.Module:
    """The notebook's GPT (the answer key's while another function is checked) with seeded float64
    weights of spread `scale`: 2 layers, 2 heads of 3 on the public inputs, fresh sizes when grading."""
    size = Sizes(seed + 1000)
    n_head = size(2, 1, 4)
    return build(ns, "GPT", seed=seed, scale=scale, vocab_size=size(11, 4), block_size=size(block_size, 4),
                 n_layer=size(2, 1, 4), n_head=n_head, d_model=n_head * size(3, 2))


def unpacked(result, name: str) -> dict[str, Any]:
    """forward_with_cache's (logits, cache) as raw outputs: logits, k0, v0, k1, v1, ... (one pair per
    block); anything but a tuple (logits, list of (k, v) pairs) is refused in one line."""
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise ProbeError(f"`{name}` returned {type(result).__name__}; expected a tuple (logits, cache)")
    logits, cache = result
    if not isinstance(cache, tuple | list) or not all(isinstance(kv, tuple | list) and len(kv) == 2 for kv in cache):
        raise ProbeError(f"`{name}`'s cache is a {type(cache).__name__}; expected a list of (k, v), one per block")
    return {"logits": logits} | {f"{kind}{layer}": t for layer, kv in enumerate(cache) for kind, t in zip("kv", kv,
                                                                                                       strict=True)}


def probe_forward_with_cache(ns, T: int = 7, past: int = 4, seed: int = 221):
    """The first `past` tokens with no cache, then the other T - past with that cache; and the
    model's full forward on all T (see cache_matches_forward)."""
    model = tiny_gpt(ns, seed)
    size = Sizes(seed)
    T = size.within(T, 2, model.block_size + 1)
    past = size.within(past, 1, T)
    idx = randint(0, model.tok_emb.num_embeddings, (size(2, 1, 4), T), seed=seed + 1)
    fwc = need(ns, "forward_with_cache")
    with torch.no_grad():
        first = unpacked(fwc(model, idx[:, :past], None), "forward_with_cache")
        cache = [(first[f"k{i}"], first[f"v{i}"]) for i in range(len(model.blocks)) if f"k{i}" in first]
        then = unpacked(fwc(model, idx[:, past:], cache), "forward_with_cache")
        full = model(idx)
    return ({"logits_past": first["logits"], "full_forward": full}
            | {f"{name}_after": value for name, value in then.items()})


def cache_matches_forward(raw, T: int = 7, past: int = 4, seed: int = 221):
    """The two calls' logits against the full forward, and each layer's cache shape (B, nh, T, hs)."""
    layers = sorted(int(k[len("k"):-len("_after")]) for k in raw if k.startswith("k") and k.endswith("_after"))
    return computable(
        logits_match_full_forward=lambda: np.allclose(
            np.concatenate([raw["logits_past"], raw["logits_after"]], axis=1), raw["full_forward"], atol=1e-9),
        cache_shapes=lambda: np.array([np.shape(raw[f"{kind}{layer}_after"]) for layer in layers for kind in "kv"]),
    )


def probe_forward_with_cache_steps(ns, T: int = 8, seed: int = 225):
    """One token at a time from an empty cache: every step's logits (T steps) and the final cache."""
    model = tiny_gpt(ns, seed)
    T = Sizes(seed).within(T, 2, model.block_size + 1)
    idx = randint(0, model.tok_emb.num_embeddings, (1, T), seed=seed + 1)
    cache, steps = None, []
    fwc = need(ns, "forward_with_cache")
    with torch.no_grad():
        for t in range(T):
            out = unpacked(fwc(model, idx[:, t : t + 1], cache), "forward_with_cache")
            steps.append(out.pop("logits"))
            cache = [(out[f"k{i}"], out[f"v{i}"]) for i in range(len(model.blocks)) if f"k{i}" in out]
    return {"logits": torch.cat(steps, dim=1)} | {f"{kind}{i}": t for i, kv in enumerate(cache)
                                                     for kind, t in zip("kv", kv, strict=True)}


def probe_forward_with_cache_contract(ns, seed: int = 229):
    """Called with a cache: the cache's tensors and list afterwards, raw (they must be left as they were)."""
    model = tiny_gpt(ns, seed)
    size = Sizes(seed)
    T = size.within(5, 2, model.block_size + 1)
    past = size.within(3, 1, T)
    idx = randint(0, model.tok_emb.num_embeddings, (2, T), seed=seed + 1)
    with torch.no_grad():
        _, cache = model_cache(ns, model, idx[:, :past])
        given = list(cache)
        result = need(ns, "forward_with_cache")(model, idx[:, past:], given)
    return ({"returned_pair": isinstance(result, tuple | list) and len(result) == 2,
             "cache_length_after_call": len(given)}
            | {f"{kind}{i}_after_call": t for i, kv in enumerate(given) for kind, t in zip("kv", kv, strict=True)})


def model_cache(ns, model: torch.nn.Module, idx: torch.Tensor) -> tuple[torch.Tensor, list]:
    """The cache of idx, computed by the probe from the model's own modules (not by forward_with_cache):
    the keys and values of every block, (B, nh, T, hs)."""
    B, T = idx.shape
    x = model.tok_emb(idx) + model.pos_emb(torch.arange(T))
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    cache = []
    for block in model.blocks:
        C = x.size(-1)
        _, k, v = block.attn.qkv(block.ln1(x)).split(C, dim=2)
        cache.append(tuple(t.view(B, T, block.attn.n_head, -1).transpose(1, 2) for t in (k, v)))
        x = block(x, mask)
    return x, cache


def probe_generate_with_cache(ns, T: int = 3, new: int = 4, seed: int = 231, **sampling):
    """generate_with_cache and generate (the answer key's while generate_with_cache is checked) from
    the same prompt with equal generators (see same_tokens). 16 prompts: a tiny model's next token
    depends on the context only a little, so a cache that loses or misplaces a token changes some draws,
    not all of them."""
    model = tiny_gpt(ns, seed)
    size = Sizes(seed)
    bs = model.block_size
    T = size.within(T, bs + 1, bs + 4) if T > 8 else size.within(T, 1, bs + 1)  # longer than the context or not
    prompt = randint(0, model.tok_emb.num_embeddings, (size(16, 8), T), seed=seed + 1)
    overflows = T + new > 8  # the public block_size: does the context outgrow the cache?
    new = size.within(new, max(1, bs - T + 1), 3 * bs) if overflows else size.within(new, 1, bs - T + 1)
    torch.manual_seed(0)
    return (call(ns, "generate_with_cache", model, prompt, new, generator=generator(seed + 2), **sampling,
                 returns=("tokens",))
            | call(ns, "generate", model, prompt, new, generator=generator(seed + 2), **sampling,
                   returns=("tokens_without_cache",)))


def same_tokens(raw, **_):
    """The tokens must be generate's, token for token."""
    return computable(same_as_generate=lambda: same(raw["tokens"], raw["tokens_without_cache"]))


# ---------------------------------------------------------------- byte-pair encoding

ALPHABET = "aabbbcdeé日 "  # repeated letters make runs (a, a) and ties; é and 日 are several UTF-8 bytes


def bpe_text(seed: int, n_words: int, alphabet: str = ALPHABET, punctuation: str = ",.!") -> str:
    """Words of letters from `alphabet` (with runs such as 'aaa'), spaces and punctuation, seeded."""
    gen = generator(seed)

    def pick(symbols: str) -> str:
        return symbols[int(torch.randint(len(symbols), (1,), generator=gen))]

    words = []
    for _ in range(n_words):
        length = int(torch.randint(1, 7, (1,), generator=gen))
        word = "".join(pick(alphabet.strip()) for _ in range(length))
        if int(torch.randint(4, (1,), generator=gen)) == 0:
            word += pick(punctuation)
        words.append(word)
    return " ".join(words)


def token_ids(values, name: str) -> list[int]:
    """A returned list (or 1-D tensor) of ints as raw output; anything else refused in one line."""
    if isinstance(values, torch.Tensor):
        values = values.tolist()
    if not isinstance(values, list | tuple) or not all(isinstance(v, int) for v in values):
        raise ProbeError(f"`{name}` returned {type(values).__name__}; expected a list of ints")
    return list(values)


def merge_pairs(result, name: str) -> list[list[int]]:
    """train_bpe's merges as raw output; anything but a list of (int, int) pairs refused in one line
    (pairs of bytes, CS336's format, are not this notebook's)."""
    if not isinstance(result, list | tuple) or not all(
            isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(i, int) for i in p) for p in result):
        raise ProbeError(f"`{name}` must return a list of (int, int) pairs: merges[i] = (a, b) makes 256 + i")
    return [list(p) for p in result] or np.zeros((0, 2), dtype=np.int64)


def probe_merge_pair(ns, n: int = 20, symbols: int = 3, seed: int = 241, same_ids: bool = False):
    """Random ids over a few symbols (so the pair occurs several times, in runs when same_ids) and
    a pair that occurs in them."""
    size = Sizes(seed)
    ids = randint(0, size(symbols, 2, 5), (size(n, 4),), seed=seed).tolist()
    a = ids[0]
    pair = (a, a) if same_ids else (a, ids[1] if ids[1] != a else a + 1)
    if same_ids:
        ids[1:4] = [a, a, a]  # at least one run of four
    return {"merged": token_ids(need(ns, "merge_pair")(ids, pair, 300 + size(5)), "merge_pair")}


def probe_merge_pair_contract(ns, seed: int = 245):
    """Called directly: whether it returned a list, and ids afterwards (must be unchanged), raw."""
    ids = randint(0, 3, (Sizes(seed)(12, 4),), seed=seed).tolist()
    ids[:3] = [1, 2, 1]
    result = need(ns, "merge_pair")(ids, (1, 2), 256)
    return {"returned_list": isinstance(result, list), "ids_after_call": ids}


def probe_train_bpe(ns, n_words: int = 60, merges: int = 12, seed: int = 251, alphabet: str = ALPHABET):
    size = Sizes(seed)
    text = bpe_text(seed, size(n_words, 20), alphabet)
    return {"merges": merge_pairs(need(ns, "train_bpe")(text, 256 + size(merges, 1)), "train_bpe")}


def probe_train_bpe_ties(ns, seed: int = 255):
    """Distinct words, each once: almost every pair has count 1 or 2, so the tie rule decides most merges."""
    size = Sizes(seed)
    gen = generator(seed)
    letters = "abcdefghijklmnop"
    words = ["".join(letters[int(i)] for i in torch.randint(16, (size(3, 2, 5),), generator=gen))
             for _ in range(size(12, 6))]
    text = " ".join(dict.fromkeys(words))  # each word once, in the order drawn
    return {"merges": merge_pairs(need(ns, "train_bpe")(text, 256 + size(10, 4)), "train_bpe")}


def probe_train_bpe_exhausted(ns, seed: int = 257):
    """A vocab_size larger than the text allows: merges stop when no pair is left."""
    size = Sizes(seed)
    text = bpe_text(seed, size(5, 3), alphabet="abc ")  # at most ~40 bytes: fewer merges than asked for
    return {"merges": merge_pairs(need(ns, "train_bpe")(text, 256 + size(80, 60)), "train_bpe")}


def random_merges(seed: int, n: int, alphabet: str = ALPHABET) -> list[tuple[int, int]]:
    """n merges over the bytes of `alphabet`, each pair of tokens that exist by then (earlier merges'
    tokens included), as a tokenizer could have learned them; includes (letter, space), a pair
    pre-tokens never hold, and a pair of the same token."""
    gen = generator(seed)
    tokens = sorted(set(alphabet.encode("utf-8")))
    merges = [(ord("a"), ord("a")), (ord("b"), ord(" "))]
    while len(merges) < n:
        pool = tokens + list(range(256, 256 + len(merges)))
        a, b = (pool[int(i)] for i in torch.randint(len(pool), (2,), generator=gen))
        if (a, b) not in merges:
            merges.append((a, b))
    return merges


def probe_bpe_encode(ns, n_words: int = 30, n_merges: int = 40, seed: int = 261, text: str | None = None):
    size = Sizes(seed)
    merges = random_merges(seed, size(n_merges, 10))
    text = bpe_text(seed + 1, size(n_words, 5)) if text is None else text
    return {"ids": token_ids(need(ns, "bpe_encode")(text, merges), "bpe_encode")}


def probe_bpe_encode_order(ns, seed: int = 265):
    """Merges whose order decides the result: (x, y) before (y, z) encodes 'xyz' as [xy, z], and (a, b)
    before (b, c) 'abc' as [ab, c]; in the text (y, z) is more frequent than (x, y), (a, b) than (b, c),
    so replaying the merges latest first, or most frequent first, gives other tokens."""
    merges = [(ord("x"), ord("y")), (ord("y"), ord("z")), (ord("a"), ord("b")), (ord("b"), ord("c"))]
    words = ["xyz", "yz", "abc", "ab", "yz", "ab"]
    text = " ".join(words[i % len(words)] for i in range(Sizes(seed)(7, 6)))
    return {"ids": token_ids(need(ns, "bpe_encode")(text, merges), "bpe_encode")}


def codes(result, name: str) -> list[int]:
    """A returned string as its code points (probe outputs are numbers); anything else is refused."""
    if not isinstance(result, str):
        raise ProbeError(f"`{name}` returned a {type(result).__name__}; expected a str")
    return [ord(c) for c in result] or np.zeros(0, dtype=np.int64)


def probe_bpe_decode(ns, n: int = 30, n_merges: int = 40, seed: int = 271):
    """Random ids over the merges' tokens and the alphabet's bytes (which may not make valid UTF-8)."""
    size = Sizes(seed)
    merges = random_merges(seed, size(n_merges, 10))
    pool = torch.tensor(sorted(set(ALPHABET.encode("utf-8"))) + list(range(256, 256 + len(merges))))
    ids = pool[randint(0, len(pool), (size(n, 5),), seed=seed + 1)].tolist()
    return {"text": codes(need(ns, "bpe_decode")(ids, merges), "bpe_decode")}


def probe_bpe_decode_split(ns, seed: int = 275):
    """Valid UTF-8 whose multi-byte characters are split between tokens: é = C3 A9 and 日 = E6 97 A5, with
    tokens a+C3, A9+space, E6+97 and E6 97+A5: joined they decode, one by one they do not."""
    size = Sizes(seed)
    merges = [(0xE6, 0x97), (0xA9, 0x20), (0x61, 0xC3), (256, 0xA5)]
    pieces = [[0x61, 0xC3, 0xA9, 0x20], [258, 257], [256, 0xA5], [259, 0x20], [0x62]]
    order = randint(0, len(pieces), (size(8, 3),), seed=seed).tolist()
    ids = [i for k in order for i in pieces[k]]
    return {"text": codes(need(ns, "bpe_decode")(ids, merges), "bpe_decode")}


# Probes are bound with partial, not looked up by name when they run; properties are derived in the
# grader; raw outputs are compared too (values=True, the default) except where any order of random
# draws is accepted (values=False).
SAMPLING_TOLERANCE = dict(
    values=False,  # any exact way of drawing is accepted: the frequencies are compared, not the draws
    atol=0.03, rtol=0.0,  # 12,000 draws per row: the frequencies of two correct samplers differ by
    # at most ~0.0065 in standard deviation (p = 0.5), so 0.03 is ~4.6 sd; booleans differ by 1
)

CHECKS = [
    # ------------------------------------------------------------ get_batch
    Check("get_batch_values", "get_batch", probe_get_batch_values, points=2,
          exact_dtype=True,  # the docstring promises int64 ids, like data (embeddings reject int32 on some setups)
          description="x, y from a 50-token sequence with a seeded generator (one torch.randint call), int64"),
    Check("get_batch_properties", "get_batch", **paired(probe_get_batch_properties, batch_properties), points=2,
          exact_dtype=True,
          description="500 windows of a 20-token sequence, then 8 twice from equal generators: every window "
                      "start 0..len-block_size-1 is drawn; y is x shifted by one; the generator alone decides"),
    # ------------------------------------------------------------ causal_lm_loss
    Check("causal_lm_loss_values", "causal_lm_loss", probe_causal_lm_loss, points=2,
          description="loss of random float64 logits (3, 7, 11) against random ids"),
    Check("causal_lm_loss_perfect", "causal_lm_loss", probe_causal_lm_loss_perfect, points=1,
          description="logits at t that strongly favour ids[:, t+1] give a small loss"),
    Check("causal_lm_loss_float32_large_logits", "causal_lm_loss", probe_causal_lm_loss_stress, points=1,
          atol=1e-4, rtol=1e-5,  # float32 losses of ~100: correct formulas differ by float32 rounding (~1e-7
          # relative); log(softmax) gives inf
          description="float32 logits spread over +-300: the loss must stay finite (use log_softmax)"),
    # ------------------------------------------------------------ mask_tokens
    Check("mask_tokens_values", "mask_tokens", probe_mask_tokens_values, points=2,
          description="inputs and labels for 4x25 ids with [CLS]/[SEP], mask_prob 0.3, seeded generator"),
    Check("mask_tokens_rates", "mask_tokens", **paired(probe_mask_tokens_rates, masking_rates), points=3,
          values=False,  # any order of draws is accepted here: only the rates below are compared
          description="over 50,000 tokens: 15% chosen, 80/10/10 split, specials never chosen, labels -100 elsewhere"),
    Check("mask_tokens_contract", "mask_tokens", probe_mask_tokens_contract, points=1,
          description="returns a tuple (inputs, labels) and leaves ids unchanged"),
    # ------------------------------------------------------------ masked_lm_loss
    Check("masked_lm_loss_values", "masked_lm_loss", probe_masked_lm_loss, points=2,
          description="loss of random float64 logits against labels with ~70% -100"),
    Check("masked_lm_loss_ignores", "masked_lm_loss", **paired(probe_masked_lm_loss_ignores, loss_unchanged),
          points=1, description="the loss, and with the logits at positions labelled -100 changed: both equal"),
    Check("masked_lm_loss_float32_large_logits", "masked_lm_loss", probe_masked_lm_loss_stress, points=1,
          atol=1e-4, rtol=1e-5,  # as causal_lm_loss_float32_large_logits
          description="float32 logits spread over +-300: the loss must stay finite (use log_softmax)"),
    # ------------------------------------------------------------ GPT
    Check("gpt_logits", "GPT", probe_model_logits, points=3,
          description="logits of a tiny GPT (2 layers, d_model 12) with seeded float64 weights, T=8 and T=5"),
    Check("gpt_is_causal", "GPT", **paired(probe_model_dependence, positions_moved, name="GPT", seed=53, position=5),
          points=2, description="logits of a tiny GPT, and with token 5 changed: only positions >= 5 move"),
    Check("gpt_eval_mode_dropout", "GPT", partial(probe_model_logits, name="GPT", seed=54, dropout=0.3), points=1,
          description="a tiny GPT built with dropout 0.3, in eval mode: the same logits as without dropout"),
    Check("gpt_train_mode_dropout", "GPT", partial(probe_model_train_mode, name="GPT", seed=59), points=1,
          description="a tiny GPT with dropout 0.3 in train mode, dropout drawn from a seeded RNG: self.drop on the "
                      "embeddings, then the blocks"),
    Check("gpt_contract", "GPT", partial(probe_model_contract, name="GPT", seed=58), points=1,
          description="forward returns the logits alone (not a tuple) and leaves idx unchanged"),
    # ------------------------------------------------------------ BERT
    Check("bert_logits", "BERT", partial(probe_model_logits, name="BERT", seed=55), points=3,
          description="logits of a tiny BERT (2 layers, d_model 12) with seeded float64 weights, T=8 and T=5"),
    Check("bert_is_bidirectional", "BERT",
          **paired(probe_model_dependence, positions_moved, name="BERT", seed=57, position=5), points=2,
          description="logits of a tiny BERT, and with token 5 changed: every position moves"),
    Check("bert_eval_mode_dropout", "BERT", partial(probe_model_logits, name="BERT", seed=56, dropout=0.3), points=1,
          description="a tiny BERT built with dropout 0.3, in eval mode: the same logits as without dropout"),
    # ------------------------------------------------------------ sample_next_token
    Check("sample_greedy", "sample_next_token", probe_sample_greedy, points=1,
          exact_dtype=True,  # the docstring promises (B, 1) long
          description="temperature 0 on 16 rows: the argmax of each row, shape (16, 1), int64"),
    Check("sample_temperature", "sample_next_token",
          **paired(probe_sample_distribution, sampled_frequencies, seed=61, temperature=0.5), points=1,
          **SAMPLING_TOLERANCE,
          description="12,000 draws from each of 3 distributions at temperature 0.5: frequencies and the tokens drawn"),
    Check("sample_top_k", "sample_next_token",
          **paired(probe_sample_distribution, sampled_frequencies, seed=71, top_k=3), points=1,
          **SAMPLING_TOLERANCE, description="the same with top-k 3 (temperature 1)"),
    Check("sample_top_p", "sample_next_token",
          **paired(probe_sample_distribution, sampled_frequencies, seed=81, top_p=0.7), points=1,
          **SAMPLING_TOLERANCE, description="the same with top-p 0.7 (temperature 1)"),
    Check("sample_top_k_and_top_p", "sample_next_token",
          **paired(probe_sample_distribution, sampled_frequencies, seed=91, top_k=4, top_p=0.6), points=1,
          **SAMPLING_TOLERANCE, description="the same with top-k 4 and top-p 0.6 together: top-p renormalises what "
                                            "top-k kept"),
    Check("sample_uses_generator", "sample_next_token", **paired(probe_sample_generator, same_draws), points=1,
          values=False,  # the draws differ between correct samplers; whether they repeat does not
          description="equal generators give equal tokens, whatever the global RNG did in between"),
    Check("sample_contract", "sample_next_token", **paired(probe_sample_contract, sample_contract), points=1,
          values=False,  # the draws differ between correct samplers; their shape and dtype do not
          description="returns one (B, 1) int64 tensor and leaves the logits unchanged"),
    # ------------------------------------------------------------ generate
    Check("generate_values", "generate", partial(probe_generate, temperature=0.9, top_k=5), points=2,
          description="9 new tokens from a context-dependent toy model (block_size 5), temperature 0.9, top-k 5"),
    Check("generate_top_p", "generate", partial(probe_generate, seed=73, temperature=1.3, top_p=0.6), points=1,
          description="the same with temperature 1.3 and top-p 0.6"),
    # ------------------------------------------------------------ cosine_lr
    Check("cosine_lr_values", "cosine_lr", probe_cosine_lr, points=2,
          description="warmup 10, max_steps 100, max_lr 3.0, min_lr 0.3, at steps 0..130"),
    # ------------------------------------------------------------ train_step
    Check("train_step_sgd_clipped", "train_step", probe_train_step, points=2,
          description="three SGD steps on a toy model with clip 0.05 (clipping binds): losses and weights"),
    Check("train_step_sgd_unclipped", "train_step", partial(probe_train_step, clip=1e6, seed=83), points=1,
          description="three SGD steps with clipping that never binds: losses and weights"),
    Check("train_step_sets_train_mode", "train_step", probe_train_step_mode, points=1,
          description="a model with dropout left in eval mode: train_step switches it to train mode (dropout on)"),
    Check("train_step_contract", "train_step", probe_train_step_contract, points=1,
          description="returns the loss as a Python float (loss.item()) and leaves the batch unchanged"),
    # ------------------------------------------------------------ count_parameters, flops_per_token
    Check("count_parameters_tied", "count_parameters", probe_count_parameters, points=1, exact_dtype=True,
          description="a GPT of vocab 11, block 8, 2 layers, 2 heads of 6, tied head: the real parameter count"),
    Check("count_parameters_untied", "count_parameters", partial(probe_count_parameters, tied=False, seed=203),
          points=1, exact_dtype=True, description="the same sizes with an untied LM head"),
    Check("flops_per_token_values", "flops_per_token", probe_flops_per_token, points=1, exact_dtype=True,
          description="Kaplan's 6N + 6 n_layer block_size d_model for vocab 11, block 8, 2 layers, d_model 12"),
    # ------------------------------------------------------------ forward_with_cache
    Check("forward_with_cache_past", "forward_with_cache",
          **paired(probe_forward_with_cache, cache_matches_forward), points=2,
          description="a tiny GPT: 4 tokens with no cache, then 3 with their cache: logits as the full forward's, "
                      "cache (k, v) per layer of shape (B, n_head, 7, hs)"),
    Check("forward_with_cache_one_at_a_time", "forward_with_cache", probe_forward_with_cache_steps, points=1,
          description="8 tokens fed one at a time from an empty cache: every step's logits and the final cache"),
    Check("forward_with_cache_contract", "forward_with_cache", probe_forward_with_cache_contract, points=1,
          description="returns (logits, cache) and leaves the given cache list and its tensors unchanged"),
    # ------------------------------------------------------------ generate_with_cache
    Check("generate_with_cache_values", "generate_with_cache",
          **paired(probe_generate_with_cache, same_tokens, temperature=0.9, top_k=5), points=2,
          description="a tiny GPT (block_size 8), 4 tokens after 16 prompts of 3, temperature 0.9, top-k 5: "
                      "generate's tokens"),
    Check("generate_with_cache_past_block_size", "generate_with_cache",
          **paired(probe_generate_with_cache, same_tokens, new=14, seed=233), points=1,
          description="14 tokens after 3 with block_size 8: the context outgrows the cache, still generate's tokens"),
    # ------------------------------------------------------------ merge_pair
    Check("merge_pair_values", "merge_pair", probe_merge_pair, points=1,
          description="20 ids over 3 symbols, a pair of two different ids replaced by a new id"),
    Check("merge_pair_overlapping", "merge_pair", partial(probe_merge_pair, same_ids=True, seed=243), points=1,
          description="a pair (a, a) in runs of a: replaced left to right without overlap ([a, a, a] -> [new, a])"),
    Check("merge_pair_contract", "merge_pair", probe_merge_pair_contract, points=1,
          description="returns a new list and leaves ids unchanged"),
    # ------------------------------------------------------------ train_bpe
    Check("train_bpe_values", "train_bpe", probe_train_bpe, points=2,
          description="12 merges on 60 random words with runs (aaa), é and 日: merges in order"),
    Check("train_bpe_ties", "train_bpe", probe_train_bpe_ties, points=1,
          description="10 merges on distinct words, where most counts tie: ties go to the greater pair of ids"),
    Check("train_bpe_exhausted", "train_bpe", probe_train_bpe_exhausted, points=1,
          description="vocab_size 336 on 5 words: fewer possible merges, so it stops when no pair is left"),
    # ------------------------------------------------------------ bpe_encode
    Check("bpe_encode_values", "bpe_encode", probe_bpe_encode, points=2,
          description="random words (é, 日, punctuation) with 40 merges, some of pairs no pre-token holds"),
    Check("bpe_encode_merge_order", "bpe_encode", probe_bpe_encode_order, points=1,
          description="merges (x, y) before (y, z), (a, b) before (b, c): 'xyz' is [xy, z], 'abc' [ab, c]"),
    Check("bpe_encode_unseen_characters", "bpe_encode",
          partial(probe_bpe_encode, seed=263, text="naïve café, 日本 🎉 ∑ aab"), points=1,
          description="characters no merge knows (ï, 本, an emoji) encode as their UTF-8 bytes"),
    # ------------------------------------------------------------ bpe_decode
    Check("bpe_decode_values", "bpe_decode", probe_bpe_decode, points=1,
          description="30 random ids over 40 merges and the bytes of é and 日: invalid UTF-8 becomes U+FFFD"),
    Check("bpe_decode_split_characters", "bpe_decode", probe_bpe_decode_split, points=2,
          description="é and 日 split between tokens: the bytes are joined before decoding"),
]
