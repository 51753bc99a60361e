"""Public checks for week 1 (word embeddings). Shipped with the release; hidden.py reuses the probes
on other sizes, seeds and settings.

Probes make seeded inputs (float64 where the function allows it), call the learner's code and
return what came back, nothing computed from it: a probe runs in the learner's process. The only
conversions a probe makes are of types the grader cannot read back: a scipy.sparse result becomes
its dense array (after checking that it is sparse, as the docstring promises) and a list of words
becomes the positions of those words in the probe's own word list. Properties (E E^T, which does not
depend on the arbitrary signs of singular vectors) are computed by `derive`, in the grader.

Integer inputs (sizes, counts, ids, windows) are drawn with `Sizes`: their public values for
check() and the released expected outputs, fresh ones at grading.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from coursekit.checks import Check
from coursekit.deriving import computable
from coursekit.errors import ProbeError
from coursekit.probing import Sizes, build, call, call_module, generator, randint, randn

WORDS = ("apple", "bank", "cat", "dog", "egg", "fish", "game", "hat", "ink", "jam", "kite", "lamp", "moon",
         "nest", "owl", "pen", "queen", "river", "sun", "tree", "umbrella", "violin", "wolf", "yarn", "zebra",
         "acorn", "boat", "cloud", "drum", "eagle")


def word_positions(words: Any) -> list[int]:
    """Each returned word's position in WORDS (-1 for a word WORDS does not hold): the grader reads
    numbers, not strings."""
    try:
        return [WORDS.index(w) if w in WORDS else -1 for w in words]
    except TypeError as exc:
        raise ProbeError(f"expected a list of words, got {type(words).__name__}") from exc


def dense(name: str, result: Any) -> np.ndarray:
    """The array of a scipy.sparse result; anything else breaks the docstring's contract."""
    if not sp.issparse(result):
        raise ProbeError(f"`{name}` returned {type(result).__name__}; return a scipy.sparse matrix "
                         "(e.g. sp.csr_matrix(...)): a dense V x V matrix does not fit in memory")
    return result.toarray()


def numpy_randn(*shape: int, seed: int, scale: float = 1.0) -> np.ndarray:
    return (scale * randn(*shape, seed=seed)).numpy()


def zipf_counts(n: int, seed: int, top: int = 5000) -> np.ndarray:
    """n int64 word counts of a Zipf-like vocabulary (about top / rank, jittered, and two words seen
    once and twice), in seeded order."""
    jitter = 0.5 + torch.rand(n, generator=generator(seed), dtype=torch.float64)
    ranks = torch.randperm(n, generator=generator(seed + 1)).double() + 1
    counts = np.maximum(1, np.round(top * jitter.numpy() / ranks.numpy())).astype(np.int64)
    counts[:2] = [1, 2]  # two rare words, whose keep probability must be clipped to 1
    return counts


# ---------------------------------------------------------------- build_vocab


def probe_build_vocab(ns, n_words: int = 12, min_count: int = 2, max_count: int = 6, seed: int = 1):
    """n_words words of WORDS, each 1..max_count times (many ties), in a shuffled order."""
    size = Sizes(seed)
    n_words, min_count = size(n_words, 4, len(WORDS) + 1), size(min_count, 1, max_count)
    chosen = torch.randperm(len(WORDS), generator=generator(seed))[:n_words].tolist()
    repeats = randint(1, max_count + 1, (n_words,), seed=seed + 1).tolist()
    tokens = [WORDS[i] for i, r in zip(chosen, repeats, strict=True) for _ in range(r)]
    order = torch.randperm(len(tokens), generator=generator(seed + 2)).tolist()
    out = call(ns, "build_vocab", [tokens[i] for i in order], min_count, returns=("words", "counts"))
    return {"word_positions": word_positions(out["words"]), "counts": out["counts"]}


# ---------------------------------------------------------------- cooccurrence_matrix


def probe_cooccurrence(ns, n: int = 30, vocab_size: int = 6, window: int = 2, weighted: bool | None = None,
                       seed: int = 11):
    """ids in -1..vocab_size-1 (about one in eight negative); weighted=None leaves the default."""
    size = Sizes(seed)
    n, vocab_size, window = size(n, 10), size(vocab_size, 3), size(window, 1, window + 3)
    ids = randint(-1, vocab_size, (n,), seed=seed)
    ids[randint(0, n, (n // 8,), seed=seed + 1)] = -1
    kwargs = {} if weighted is None else {"weighted": weighted}
    out = call(ns, "cooccurrence_matrix", ids.numpy(), vocab_size, window, **kwargs)
    return {"X": dense("cooccurrence_matrix", out["output"])}


# ---------------------------------------------------------------- ppmi


def count_matrix(n_words: int, n_contexts: int, seed: int) -> sp.csr_matrix:
    """Counts 0..9, about half zeros, with an all-zero row (a word without contexts) and column."""
    counts = randint(0, 10, (n_words, n_contexts), seed=seed) * (randn(n_words, n_contexts, seed=seed + 1) > 0)
    counts[n_words // 2] = 0
    counts[:, n_contexts // 3] = 0
    return sp.csr_matrix(counts.double().numpy())


def probe_ppmi(ns, n_words: int = 7, n_contexts: int = 9, alpha: float | None = None, seed: int = 21):
    size = Sizes(seed)
    counts = count_matrix(size(n_words, 3), size(n_contexts, 4), seed)
    kwargs = {} if alpha is None else {"alpha": alpha}
    return {"PPMI": dense("ppmi", call(ns, "ppmi", counts, **kwargs)["output"])}


# ---------------------------------------------------------------- svd_embeddings


def probe_svd(ns, n: int = 9, m: int = 7, dim: int = 3, eig_power: float | None = None, sparse: bool = True,
              seed: int = 31):
    """A non-negative (n, m) matrix (sparse or dense ndarray), dim < min(n, m)."""
    size = Sizes(seed)
    n, m = size(n, 4), size(m, 4)
    dim = size.within(dim, 1, min(n, m))
    matrix = (randn(n, m, seed=seed).abs() * (randn(n, m, seed=seed + 1) > -0.5)).numpy()
    kwargs = {} if eig_power is None else {"eig_power": eig_power}
    return call(ns, "svd_embeddings", sp.csr_matrix(matrix) if sparse else matrix, dim, returns=("E",), **kwargs)


def svd_invariants(raw):
    """E E^T and the shape of E: equal for every correct answer, whatever the signs of its columns."""
    return computable(
        E_shape=lambda: np.array(raw["E"].shape),
        gram=lambda: raw["E"].astype(np.float64) @ raw["E"].astype(np.float64).T,
    )


# ---------------------------------------------------------------- nearest_neighbours / analogy


def probe_neighbours(ns, V: int = 12, d: int = 5, k: int = 4, seed: int = 41):
    size = Sizes(seed)
    V, d = size(V, 5), size(d, 2)
    k, word = size.within(k, 1, V), size.within(3, 0, V)
    return call(ns, "nearest_neighbours", numpy_randn(V, d, seed=seed, scale=3), word, k, returns=("ids", "cosines"))


def questions(Q: int, V: int, seed: int) -> np.ndarray:
    """(Q, 3) ids, the three of a row distinct."""
    keys = torch.rand(Q, V, generator=generator(seed))
    return keys.argsort(dim=1)[:, :3].numpy()


def probe_analogy(ns, V: int = 15, d: int = 4, Q: int = 6, k: int = 3, method: str | None = None, seed: int = 51):
    """method=None leaves the default (3CosAdd); k=None leaves the default k."""
    size = Sizes(seed)
    V, d, Q = size(V, 6), size(d, 2), size(Q, 1)
    abc = questions(Q, V, seed + 1)
    kwargs = {} if method is None else {"method": method}
    if k is not None:
        kwargs["k"] = size.within(k, 1, V - 3)
    E = numpy_randn(V, d, seed=seed, scale=2)
    return call(ns, "analogy", E, abc[:, 0], abc[:, 1], abc[:, 2], returns=("answers",), **kwargs)


# ---------------------------------------------------------------- subsample_keep_prob / negative_sampling_distribution


def probe_keep_prob(ns, n: int = 10, t: float | None = None, top: int = 5000, seed: int = 61):
    """Zipf-like counts: frequent words (f >> t) and rare ones (kept with probability 1)."""
    counts = zipf_counts(Sizes(seed)(n, 3), seed, top)
    kwargs = {} if t is None else {"t": t}
    return call(ns, "subsample_keep_prob", counts, returns=("keep",), **kwargs)


def probe_noise(ns, n: int = 10, power: float | None = None, seed: int = 71):
    counts = zipf_counts(Sizes(seed)(n, 2), seed)
    kwargs = {} if power is None else {"power": power}
    return call(ns, "negative_sampling_distribution", counts, returns=("probs",), **kwargs)


# ---------------------------------------------------------------- skipgram_pairs


def probe_skipgram(ns, n: int = 20, V: int = 8, window: int = 3, seed: int = 81):
    """ids in -1..V-1, about one in six negative; the generator seeded for the probe."""
    size = Sizes(seed)
    n, V, window = size(n, 6), size(V, 2), size(window, 1, window + 3)
    ids = randint(0, V, (n,), seed=seed)
    ids[randint(0, n, (n // 6,), seed=seed + 1)] = -1
    return call(ns, "skipgram_pairs", ids, window, generator(seed + 2), returns=("centers", "contexts"))


# ---------------------------------------------------------------- sgns_loss_and_grads


def probe_sgns_numpy(ns, B: int = 4, K: int = 3, d: int = 5, scale: float = 0.7, seed: int = 91):
    """scale sets the size of the scores: 0.7 gives scores of about +-2, 15 gives scores of about
    +-1000, where exp(-score) overflows and log(sigmoid) must be computed stably."""
    size = Sizes(seed)
    B, K, d = size(B, 1), size(K, 1), size(d, 2)
    v, u_pos = numpy_randn(B, d, seed=seed, scale=scale), numpy_randn(B, d, seed=seed + 1, scale=scale)
    u_neg = numpy_randn(B, K, d, seed=seed + 2, scale=scale)
    return call(ns, "sgns_loss_and_grads", v, u_pos, u_neg, returns=("loss", "grad_v", "grad_u_pos", "grad_u_neg"))


# ---------------------------------------------------------------- gradient_check


def probe_gradient_check(ns, shape=(3, 4), eps: float | None = 1e-4, wrong: bool = False, seed: int = 101):
    """f(x) = sum(w * sin(x)) + c * sum(x^2) / 2 with its exact gradient, or (wrong=True) a wrong one,
    1.5 times the gradient plus 0.01. Returns the numerical gradient, the error and x after the call."""
    size = Sizes(seed)
    shape = tuple(size(n, 1) for n in shape)
    w, c = numpy_randn(*shape, seed=seed), 0.3

    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        grad = w * np.cos(x) + c * x
        return float(np.sum(w * np.sin(x)) + c * np.sum(x * x) / 2), 1.5 * grad + 0.01 if wrong else grad

    x = numpy_randn(*shape, seed=seed + 1)
    kwargs = {} if eps is None else {"eps": eps}
    out = call(ns, "gradient_check", f, x, returns=("numeric", "error"), **kwargs)
    return out | {"x_after_call": x}


# ---------------------------------------------------------------- SkipGramNS


def probe_skipgram_module(ns, V: int = 10, d: int = 6, B: int = 5, K: int = 3, scale: float = 0.5,
                          dtype: torch.dtype = torch.float64, seed: int = 111):
    """Seeded weights (N(0, scale^2)); the loss and the gradients of both tables (made dense). With
    scale 20 in float32 the scores reach thousands: log(sigmoid(x)) gives -inf, logsigmoid does not."""
    size = Sizes(seed)
    V, d, B, K = size(V, 3), size(d, 2), size(B, 1), size(K, 1)
    model = build(ns, "SkipGramNS", V, d, seed=seed, scale=scale).to(dtype)
    centers, contexts = randint(0, V, (B,), seed=seed + 1), randint(0, V, (B,), seed=seed + 2)
    negatives = randint(0, V, (B, K), seed=seed + 3)
    out = call_module(model, "SkipGramNS", centers, contexts, negatives, returns=("loss",))
    loss = out["loss"]
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        raise ProbeError("`SkipGramNS` must return the loss as a scalar tensor (mean over the batch)")
    loss.backward()
    grads = {}
    for table in ("in_embed", "out_embed"):
        grad = getattr(model, table).weight.grad
        grads[f"{table}_grad"] = torch.zeros(V, d) if grad is None else grad.to_dense() if grad.is_sparse else grad
    return out | grads


# ---------------------------------------------------------------- evaluate_similarity


def probe_similarity(ns, V: int = 10, d: int = 4, n_pairs: int = 12, n_oov: int = 2, seed: int = 121):
    """Words WORDS[:V] in the vocabulary (in a shuffled id order), n_oov pairs with a word outside it;
    human scores 0..5 in steps of 1, so there are ties (the cosines have none)."""
    size = Sizes(seed)
    V, d, n_pairs = size(V, 4, 20), size(d, 2), size(n_pairs, 6)
    n_oov = size.within(n_oov, 0, n_pairs - 3)
    order = torch.randperm(V, generator=generator(seed)).tolist()
    vocab = {WORDS[w]: i for i, w in enumerate(order)}
    firsts = randint(0, V, (n_pairs,), seed=seed + 1)
    # never a word paired with itself: tied cosines of 1 would be ranked by rounding errors
    seconds = (firsts + randint(1, V, (n_pairs,), seed=seed + 2)) % V
    scores = randint(0, 6, (n_pairs,), seed=seed + 3).double().tolist()
    pairs = [(WORDS[int(a)], WORDS[int(b)] if i >= n_oov else WORDS[V + i % (len(WORDS) - V)], s)
             for i, (a, b, s) in enumerate(zip(firsts, seconds, scores, strict=True))]
    E = numpy_randn(V, d, seed=seed + 4, scale=2)
    return call(ns, "evaluate_similarity", E, vocab, pairs, returns=("rho", "coverage"))


CHECKS = [
    Check("build_vocab_order_and_counts", "build_vocab", probe_build_vocab, points=2, exact_dtype=True,
          description="12 words with tied counts, min_count 2: descending counts, ties alphabetical, int64 counts"),
    Check("cooccurrence_counts", "cooccurrence_matrix", probe_cooccurrence, points=2, exact_dtype=True,
          description="30 ids (some -1) over 6 words, window 2: symmetric float64 counts, sparse"),
    Check("cooccurrence_weighted", "cooccurrence_matrix", partial(probe_cooccurrence, window=3, weighted=True, seed=12),
          points=1, description="window 3, weighted=True: each pair adds 1/distance"),
    Check("ppmi_default_alpha", "ppmi", probe_ppmi, points=2, exact_dtype=True,
          description="7 x 9 counts with a zero row and column, alpha 0.75: no -inf or NaN, rows are words"),
    Check("svd_embeddings_gram", "svd_embeddings", probe_svd, derive=svd_invariants, values=False, points=2,
          description="9 x 7 sparse matrix, dim 3, p = 0.5: E E^T (independent of column signs)"),
    Check("nearest_neighbours_cosine", "nearest_neighbours", probe_neighbours, points=2,
          description="12 random vectors, k = 4: ids and cosines, best first, the word excluded"),
    Check("analogy_3cosadd", "analogy", probe_analogy, points=2, exact_dtype=True,
          description="6 questions, 15 random vectors, k = 3, default method (3CosAdd)"),
    Check("analogy_3cosmul", "analogy", partial(probe_analogy, method="mul", seed=52), points=1, exact_dtype=True,
          description="the same with method='mul' (3CosMul)"),
    Check("subsample_keep_prob_default_t", "subsample_keep_prob", probe_keep_prob, points=1, exact_dtype=True,
          description="Zipf-like counts, t = 1e-3: word2vec.c's keep probability, at most 1"),
    Check("negative_sampling_default_power", "negative_sampling_distribution", probe_noise, points=1,
          exact_dtype=True, description="counts ** 0.75, normalised"),
    Check("skipgram_pairs_dynamic_window", "skipgram_pairs", probe_skipgram, points=2, exact_dtype=True,
          description="20 ids (some -1), window 3: the pairs word2vec.c's dynamic window gives, in order"),
    Check("sgns_numpy_loss_and_grads", "sgns_loss_and_grads", probe_sgns_numpy, points=2,
          description="B = 4 pairs, K = 3 negatives, d = 5: loss and the three gradients"),
    Check("gradient_check_correct_gradient", "gradient_check", probe_gradient_check, points=2,
          description="a smooth f of a (3, 4) array with its exact gradient, eps = 1e-4; x unchanged"),
    Check("skipgram_module_loss_and_grads", "SkipGramNS", probe_skipgram_module, points=2,
          description="SkipGramNS(10, 6), 5 pairs, 3 negatives each: loss and embedding gradients"),
    Check("evaluate_similarity_rho_and_coverage", "evaluate_similarity", probe_similarity, points=2,
          description="12 pairs with tied human scores, 2 with a word outside the vocabulary"),
]
