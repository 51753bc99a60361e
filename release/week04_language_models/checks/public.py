"""Public checks for week 4 (language models). Shipped with the release; hidden.py reuses the probes.

Probes make their inputs themselves (random sentences over a small vocabulary, n-gram Counters counted
here, never by the learner's `ngram_counts`; a toy language model defined below for perplexity,
bits_per_char and sample_sentence; seeded float64 weights for the modules), call one learner function
and return what it returned. Words come back as integer codes (`code`): an index in the probe's
vocabulary, -1 for "<s>", -2 for "</s>", -3 for "<unk>". Properties (the row sums of a probability
table, whether a state still needs gradients) are computed by each check's `derive`, in the grader.

Fresh inputs: the sentences, contexts, orders, discounts, weights and sizes are drawn with
`coursekit.probing` helpers (`choose`, `randint`, `generator`), so grading uses inputs no mentee saw.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from functools import partial

import numpy as np
import torch

from coursekit.checks import Check
from coursekit.deriving import computable
from coursekit.probing import build, call, call_module, choose, generator, mixed, need, paired, randint, randn

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
WORDS = ("the", "king", "is", "dead", "long", "live", "my", "lord")
GHOST = "ghost"  # in the vocabulary, never in a probe's training sentences


# ---------------------------------------------------------------- inputs


def code(token: str, words=WORDS) -> int:
    """A token as an integer: its index in `words`, -1 "<s>", -2 "</s>", -3 "<unk>" (-9 anything else)."""
    special = {BOS: -1, EOS: -2, UNK: -3}
    if token in special:
        return special[token]
    return words.index(token) if token in words else -9


def draw_sentences(count: int, max_len: int, n_words: int, *, seed: int, words=WORDS) -> list[list[str]]:
    """`count` sentences of 0..max_len words drawn from the first n_words of `words` (fresh when grading)."""
    lengths = randint(0, max_len + 1, (count,), seed=seed)
    ids = randint(0, n_words, (count, max_len), seed=seed + 1)
    return [[words[i] for i in ids[s, : int(lengths[s])].tolist()] for s in range(count)]


def corpus(seed: int, count: int = 12, max_len: int = 7, n_words: int = 6) -> list[list[str]]:
    """Training sentences for the count-based probes; sizes fresh when grading; one empty sentence."""
    count = choose(count, 8, 2 * count + 1, seed=seed + 500)
    n_words = choose(n_words, 4, len(WORDS) + 1, seed=seed + 501)
    sentences = draw_sentences(count, max_len, n_words, seed=seed)
    return sentences + [[]]


def count_ngrams(sentences: list[list[str]], n: int) -> Counter:
    """The probes' own n-gram counts (n-1 "<s>", one "</s>"), so that a probe never relies on ngram_counts."""
    counts = Counter()
    for s in sentences:
        padded = [BOS] * (n - 1) + s + [EOS]
        counts.update(tuple(padded[i : i + n]) for i in range(len(padded) - n + 1))
    return counts


def totals_of(ngrams: Counter) -> Counter:
    totals = Counter()
    for g, c in ngrams.items():
        totals[g[:-1]] += c
    return totals


def vocabulary(sentences: list[list[str]]) -> list[str]:
    """Predictable tokens: the words seen, GHOST (never seen), "<unk>" and "</s>", sorted."""
    return sorted({w for s in sentences for w in s} | {GHOST, UNK, EOS})


def contexts(sentences: list[list[str]], length: int, seed: int) -> list[tuple[str, ...]]:
    """Contexts of `length` tokens: some seen in training, some partly seen, some never seen."""
    if length == 0:
        return [()]
    seen = sorted({g[:-1] for g in count_ngrams(sentences, length + 1)})
    pick = randint(0, len(seen), (4,), seed=seed).tolist()
    chosen = [seen[i] for i in pick]
    chosen.append((GHOST,) * length)  # never seen, nor any suffix
    chosen.append((GHOST,) * (length - 1) + (seen[pick[0]][-1],))  # only the last word seen as context
    chosen.append(tuple([BOS] * length))  # the start of a sentence
    return chosen


def table(ns, name: str, args_before: tuple, ctxs, vocab, args_after: tuple = ()) -> list[list[float]]:
    """Raw probabilities: name(*args_before, context, word, *args_after) for every context x vocabulary word."""
    function = need(ns, name)
    return [[function(*args_before, h, w, *args_after) for w in vocab] for h in ctxs]


def row_sums(raw, **_):
    """Each context's probabilities summed over the vocabulary (a distribution sums to 1)."""
    return computable(row_sums=lambda: np.asarray(raw["probs"], dtype=np.float64).sum(axis=1))


# ---------------------------------------------------------------- ngram_counts


def probe_ngram_counts(ns, n: int = 3, seed: int = 11):
    """ngram_counts on random sentences (one empty), read for every n-gram over the tokens that can occur
    (`<s>`, the words, `</s>`), plus how many distinct n-grams it holds."""
    n = choose(n, 2, 5, seed=seed + 502) if n > 1 else 1
    sentences = corpus(seed)
    result = call(ns, "ngram_counts", sentences, n, returns=("counts",))["counts"]
    tokens = [BOS, *WORDS, EOS]
    grid = [result.get(g, 0) for g in itertools.product(tokens, repeat=n)]
    return {"counts": grid, "distinct": sum(1 for c in result.values() if c > 0)}


# ---------------------------------------------------------------- mle_prob, add_k_prob, interpolated_prob


def probe_mle(ns, n: int = 2, seed: int = 21):
    """mle_prob for every (context, word) over contexts seen, partly seen and unseen."""
    sentences = corpus(seed)
    ngrams = count_ngrams(sentences, n)
    vocab = vocabulary(sentences)
    return {"probs": table(ns, "mle_prob", (ngrams, totals_of(ngrams)), contexts(sentences, n - 1, seed), vocab)}


def fresh_k(k: float, seed: int) -> float:
    """k on the public inputs; k times a fresh factor from 0.2..3 when grading."""
    factor = choose(10, 2, 31, seed=seed)
    return k * factor / 10


def probe_add_k(ns, n: int = 2, k: float = 0.5, seed: int = 31):
    """add_k_prob for every (context, word), vocab_size = the probe's vocabulary."""
    sentences = corpus(seed)
    ngrams = count_ngrams(sentences, n)
    vocab = vocabulary(sentences)
    k = fresh_k(k, seed + 510)
    return {"probs": table(ns, "add_k_prob", (ngrams, totals_of(ngrams)), contexts(sentences, n - 1, seed), vocab,
                           (k, len(vocab)))}


def lambdas_for(n: int, seed: int) -> list[float]:
    """n positive weights summing to 1 (fresh when grading)."""
    weights = torch.softmax(randn(n, seed=seed), 0)
    return [float(x) for x in weights]


def probe_interpolated(ns, n: int = 3, seed: int = 41):
    """interpolated_prob for every (context, word): orders 1..n, contexts seen, partly seen and unseen."""
    sentences = corpus(seed)
    ngrams = [count_ngrams(sentences, j) for j in range(1, n + 1)]
    vocab = vocabulary(sentences)
    function = need(ns, "interpolated_prob")
    lambdas = lambdas_for(n, seed + 1)
    totals = [totals_of(g) for g in ngrams]
    probs = [[function(ngrams, totals, h, w, lambdas) for w in vocab] for h in contexts(sentences, n - 1, seed)]
    return {"probs": probs}


# ---------------------------------------------------------------- KneserNey


def fresh_discount(discount: float, seed: int) -> float:
    """The discount on the public inputs; another from 0.1..0.95 when grading."""
    return discount if choose(0, 1, 2, seed=seed) == 0 else choose(75, 10, 96, seed=seed + 1) / 100


def probe_kneser_ney(ns, n: int = 3, discount: float = 0.75, seed: int = 51, longer: int = 0):
    """KneserNey(n, discount).fit(counts of order n, vocab), then prob for every (context, word); contexts
    `longer` tokens longer than n - 1 (only the last n - 1 count)."""
    sentences = corpus(seed)
    vocab = vocabulary(sentences)
    model = need(ns, "KneserNey")(n, discount=fresh_discount(discount, seed + 520))
    model.fit(count_ngrams(sentences, n), vocab)
    ctxs = contexts(sentences, n - 1, seed)
    extra = tuple(WORDS[i] for i in randint(0, len(WORDS), (longer,), seed=seed + 9).tolist())
    ctxs = [extra + h for h in ctxs]
    return {"probs": [[model.prob(w, h) for w in vocab] for h in ctxs]}


# ---------------------------------------------------------------- the toy language model


class ToyLM:
    """A fixed, context-dependent distribution over `vocab`: the interface every model of the week offers
    (n, vocab, prob(word, context) using the last n - 1 tokens). Tokens outside vocab get 0."""

    def __init__(self, n: int, vocab, seed: int, eos_bias: float = 0.0):
        self.n, self.vocab, self.seed, self.eos_bias = n, frozenset(vocab), mixed(seed), eos_bias
        self.words = sorted(self.vocab)
        self.cache: dict[tuple[str, ...], torch.Tensor] = {}

    def distribution(self, context: tuple[str, ...]) -> torch.Tensor:
        h = tuple(context)[len(context) - (self.n - 1):] if self.n > 1 else ()
        if h not in self.cache:
            digest = hashlib.sha256(f"{self.seed}|{'|'.join(h)}".encode()).digest()
            gen = torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))
            logits = 1.5 * torch.randn(len(self.words), generator=gen, dtype=torch.float64)
            logits[self.words.index(EOS)] += self.eos_bias
            self.cache[h] = torch.softmax(logits, 0)
        return self.cache[h]

    def prob(self, word: str, context: tuple[str, ...]) -> float:
        if word not in self.vocab:
            return 0.0
        return float(self.distribution(tuple(context))[self.words.index(word)])


TOY_WORDS = WORDS[:5]


def toy_model(n: int, seed: int) -> ToyLM:
    return ToyLM(n, set(TOY_WORDS) | {UNK, EOS}, seed)


def eval_sentences(seed: int, count: int = 6) -> list[list[str]]:
    """Held-out sentences over the toy words plus two out-of-vocabulary words ("dead", "long" are not in
    the toy vocabulary); one empty."""
    count = choose(count, 3, 2 * count + 1, seed=seed + 500)
    return draw_sentences(count, 6, 7, seed=seed) + [[]]


def probe_perplexity(ns, n: int = 3, seed: int = 61):
    """perplexity of ToyLM(n) on held-out sentences with unknown words."""
    n = choose(n, 1, 5, seed=seed + 510)
    return call(ns, "perplexity", toy_model(n, seed), eval_sentences(seed), returns=("perplexity",))


def eval_lines(seed: int, count: int = 5) -> list[str]:
    """Held-out lines (strings), words separated by one or more spaces, one empty line."""
    sentences = eval_sentences(seed, count)
    gaps = randint(1, 3, (len(sentences), 8), seed=seed + 7).tolist()
    return ["".join(w + " " * g for w, g in zip(s, row, strict=False)).strip() for s, row in
            zip(sentences, gaps, strict=True)]


def probe_bits_per_char(ns, n: int = 2, seed: int = 71, tokenizer: str = "words"):
    """bits_per_char of ToyLM(n) on held-out lines, tokenised into words (str.split) or characters (list)."""
    n = choose(n, 1, 4, seed=seed + 510)
    lines = eval_lines(seed)
    if tokenizer == "words":
        return call(ns, "bits_per_char", toy_model(n, seed), lines, str.split, returns=("bpc",))
    chars = sorted(set("".join(lines)))
    model = ToyLM(n, set(chars[: max(1, len(chars) - 2)]) | {UNK, EOS}, seed)  # two characters unknown
    return call(ns, "bits_per_char", model, lines, list, returns=("bpc",))


# ---------------------------------------------------------------- sample_sentence


def probe_sample_sentence(ns, n: int = 3, max_len: int = 8, draws: int = 6, seed: int = 81):
    """`draws` sentences in a row from ToyLM(n) with one seeded generator (the global RNG seeded
    elsewhere), as word codes in the order drawn."""
    n = choose(n, 1, 5, seed=seed + 510)
    max_len = choose(max_len, 2, 16, seed=seed + 511)
    model = ToyLM(n, set(TOY_WORDS) | {UNK, EOS}, seed, eos_bias=0.7)
    gen = generator(seed + 1)
    torch.manual_seed(0)
    function = need(ns, "sample_sentence")
    outputs = {}
    for i in range(draws):
        outputs[f"sentence_{i}"] = np.array([code(w) for w in function(model, gen, max_len)], dtype=np.int64)
    return outputs


# ---------------------------------------------------------------- NeuralNGramLM


def probe_neural_ngram(ns, direct: bool = False, seed: int = 91, dtype: torch.dtype = torch.float64):
    """Logits of NeuralNGramLM with seeded weights (float64, or cast to float32) for random contexts."""
    V, ctx = choose(13, 5, 30, seed=seed + 500), choose(3, 1, 6, seed=seed + 501)
    m, h = choose(4, 2, 9, seed=seed + 502), choose(6, 2, 12, seed=seed + 503)
    model = build(ns, "NeuralNGramLM", V, ctx, m, h, direct=direct, seed=seed).to(dtype)
    context = randint(0, V, (choose(5, 1, 10, seed=seed + 504), ctx), seed=seed + 1)
    with torch.no_grad():
        return call_module(model, "NeuralNGramLM", context, returns=("logits",))


# ---------------------------------------------------------------- GRUCell


def probe_gru_cell(ns, seed: int = 101, dtype: torch.dtype = torch.float64):
    """One GRUCell step with seeded weights from a random state (float64, or float32)."""
    d_in, H, B = choose(4, 1, 9, seed=seed + 500), choose(5, 1, 10, seed=seed + 501), choose(3, 1, 7, seed=seed + 502)
    cell = build(ns, "GRUCell", d_in, H, seed=seed).to(dtype)
    x, h = randn(B, d_in, seed=seed + 1, dtype=dtype), randn(B, H, seed=seed + 2, dtype=dtype)
    with torch.no_grad():
        return call_module(cell, "GRUCell", x, h, returns=("h_next",))


# ---------------------------------------------------------------- RNNLM


def probe_rnnlm(ns, seed: int = 111, with_state: bool = True):
    """RNNLM logits and final state for random ids, from a given state (or None)."""
    V, E, H = choose(11, 3, 20, seed=seed + 500), choose(4, 1, 8, seed=seed + 501), choose(6, 1, 10, seed=seed + 502)
    B, T = choose(2, 1, 5, seed=seed + 503), choose(5, 2, 9, seed=seed + 504)
    model = build(ns, "RNNLM", V, E, H, seed=seed)
    idx = randint(0, V, (B, T), seed=seed + 1)
    h = randn(B, H, seed=seed + 2) if with_state else None
    with torch.no_grad():
        return call_module(model, "RNNLM", idx, h, returns=("logits", "h_last"))


# ---------------------------------------------------------------- batchify, detach_hidden


def probe_batchify(ns, length: int = 23, batch_size: int = 4, seed: int = 121):
    """batchify of 0, 1, 2, ... (values show where each id went)."""
    batch_size = choose(batch_size, 1, 8, seed=seed + 500)
    length = choose(length, batch_size, 60, seed=seed + 501)
    return call(ns, "batchify", torch.arange(length), batch_size, returns=("rows",))


def probe_detach(ns, seed: int = 131, as_tuple: bool = False):
    """detach_hidden of a state computed from weights that need gradients: the values returned, and
    whether each returned tensor still needs gradients (is still attached to the graph)."""
    w = randn(3, 4, seed=seed).requires_grad_()
    h = torch.tanh(w * 2)
    if not as_tuple:
        out = need(ns, "detach_hidden")(h)
        return {"h": out, "h_requires_grad": bool(getattr(out, "requires_grad", True))}
    c = w.exp()
    out = need(ns, "detach_hidden")((h, c))
    result = {"returned_tuple": isinstance(out, tuple)}
    for name, t in zip(("h", "c"), out, strict=False):
        result[name] = t
        result[f"{name}_requires_grad"] = bool(getattr(t, "requires_grad", True))
    return result


def still_attached(raw, **_):
    return computable(any_requires_grad=lambda: bool(any(np.asarray(v).any() for k, v in raw.items()
                                                         if k.endswith("requires_grad"))))


CHECKS = [
    # ------------------------------------------------------------ ngram_counts
    Check("ngram_counts_trigrams", "ngram_counts", probe_ngram_counts, points=2,
          description="trigram counts of 12 random sentences (one empty): 2 <s> on the left, one </s>"),
    Check("ngram_counts_unigrams", "ngram_counts", partial(probe_ngram_counts, n=1, seed=13), points=1,
          description="unigram counts: no <s> at all, one </s> per sentence"),
    # ------------------------------------------------------------ mle_prob
    Check("mle_prob_bigram", "mle_prob", **paired(probe_mle, row_sums), points=2,
          description="bigram MLE for every word after seen and unseen contexts (unseen: 0.0)"),
    # ------------------------------------------------------------ add_k_prob
    Check("add_k_prob_bigram", "add_k_prob", **paired(probe_add_k, row_sums), points=2,
          description="bigram add-0.5 for every word after seen and unseen contexts: each row sums to 1"),
    # ------------------------------------------------------------ interpolated_prob
    Check("interpolated_prob_trigram", "interpolated_prob", **paired(probe_interpolated, row_sums), points=2,
          description="orders 1-3 interpolated for every word after seen, partly seen and unseen contexts: "
                      "each row sums to 1"),
    # ------------------------------------------------------------ KneserNey
    Check("kneser_ney_trigram", "KneserNey", **paired(probe_kneser_ney, row_sums), points=3,
          description="trigram Kneser-Ney (D=0.75) for every word after seen, partly seen and unseen "
                      "contexts: each row sums to 1"),
    Check("kneser_ney_bigram_long_context", "KneserNey",
          **paired(probe_kneser_ney, row_sums, n=2, discount=0.5, seed=53, longer=3), points=2,
          description="bigram Kneser-Ney (D=0.5) given contexts 3 tokens longer than needed"),
    # ------------------------------------------------------------ perplexity
    Check("perplexity_trigram", "perplexity", probe_perplexity, points=2,
          description="perplexity of a toy trigram model on sentences with unknown words (-> <unk>)"),
    Check("perplexity_unigram", "perplexity", partial(probe_perplexity, n=1, seed=63), points=1,
          description="the same for a toy unigram model (no <s> padding)"),
    # ------------------------------------------------------------ bits_per_char
    Check("bits_per_char_words", "bits_per_char", probe_bits_per_char, points=2,
          description="bits per character of a toy bigram word model on lines with repeated spaces"),
    Check("bits_per_char_chars", "bits_per_char", partial(probe_bits_per_char, seed=73, tokenizer="chars"),
          points=1, description="bits per character of a toy character model (tokenize=list)"),
    # ------------------------------------------------------------ sample_sentence
    Check("sample_sentence_trigram", "sample_sentence", probe_sample_sentence, points=2,
          description="6 sentences in a row from a toy trigram model with one seeded "
                                         "generator, max_len 8, in the specified draw order"),
    # ------------------------------------------------------------ NeuralNGramLM
    Check("neural_ngram_logits", "NeuralNGramLM", probe_neural_ngram, points=2,
          description="logits for 5 contexts of 3 ids, seeded float64 weights, no direct connections"),
    Check("neural_ngram_direct", "NeuralNGramLM", partial(probe_neural_ngram, direct=True, seed=93), points=1,
          description="the same with direct connections (embeddings -> output)"),
    # ------------------------------------------------------------ GRUCell
    Check("gru_cell_step", "GRUCell", probe_gru_cell, points=2,
          description="one step with seeded float64 weights: equals nn.GRUCell's equations"),
    Check("gru_cell_float32", "GRUCell", partial(probe_gru_cell, seed=103, dtype=torch.float32), points=1,
          atol=1e-5, rtol=1e-5,  # float32 rounding of correct formulas (~1e-7 relative)
          description="the same in float32"),
    # ------------------------------------------------------------ RNNLM
    Check("rnnlm_with_state", "RNNLM", probe_rnnlm, points=2,
          description="logits (2, 5, 11) and final state from a given initial state"),
    Check("rnnlm_from_none", "RNNLM", partial(probe_rnnlm, seed=113, with_state=False), points=1,
          description="the same starting from h=None (zeros)"),
    # ------------------------------------------------------------ batchify
    Check("batchify_rows", "batchify", probe_batchify, points=2, exact_dtype=True,
          description="arange(23) in 4 contiguous rows of 5 (the last 3 dropped), int64 like the input"),
    # ------------------------------------------------------------ detach_hidden
    Check("detach_hidden_tensor", "detach_hidden", **paired(probe_detach, still_attached), points=2,
          description="a state that needs gradients: same values, no longer attached to the graph"),
    Check("detach_hidden_tuple", "detach_hidden", **paired(probe_detach, still_attached, seed=133, as_tuple=True),
          points=1, description="an LSTM-style (h, c) tuple: a tuple back, both detached, values unchanged"),
]
