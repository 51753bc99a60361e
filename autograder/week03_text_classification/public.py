"""Public checks for week 3 (text classification). Shipped with the release; hidden.py reuses the probes.

Probes make seeded inputs (numpy arrays and scipy.sparse matrices from `rng`, whose seed is mixed with the
run's input seed, and torch tensors from coursekit.probing), call the learner's code and return what it
returned, converted to plain arrays and nothing computed from it: a probe runs in the learner's process,
where anything can be patched. A sparse result is returned densified (`dense`): that changes its format,
not its values. Properties (how far the CNN's logits move when padding is appended) are computed by each
check's `derive`, in the grader, from the raw outputs read back as numpy arrays.

Every function here is deterministic (its notebook docstring pins the algorithm down: the tokenizer's
rule, the idf formula, the optimiser's update and start, the permutation of the learning curve), so every
correct implementation reproduces the reference's raw outputs to rounding and they are compared
(values=True). Contracts come before values: a sparse result where the docstring promises one, the
number of returned values, inputs left unmodified (returned as `<name>_after_call`), and exact dtypes
where a docstring states them (int64 counts and confusion matrices, float64 TF-IDF).

Fresh inputs: every size (documents, vocabulary, classes, sequence lengths, filters, steps) is drawn with
`Sizes` and every array from seeds mixed with the grading seed, so the public expected outputs say nothing
about the graded ones.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import scipy.sparse as sp
import torch

from coursekit.checks import Check
from coursekit.deriving import computable, max_change
from coursekit.errors import ProbeError
from coursekit.probing import Sizes, build, call, call_module, mixed, need, randint

# ---------------------------------------------------------------- helpers (inputs; never call learner code)


def rng(seed: int) -> np.random.Generator:
    """A numpy generator whose seed is mixed with the run's input seed (fresh when grading)."""
    return np.random.default_rng(mixed(seed))


def random_counts(n: int, V: int, seed: int, density: float = 0.3, high: int = 5) -> sp.csr_matrix:
    """(n, V) int64 CSR counts in 1..high-1 at about `density` of the entries."""
    gen = rng(seed)
    dense = (gen.random((n, V)) < density) * gen.integers(1, high, (n, V))
    return sp.csr_matrix(dense.astype(np.int64))


def labels(n: int, C: int, seed: int) -> np.ndarray:
    """n int64 labels in [0, C), every class present (n >= C)."""
    return rng(seed).permutation(np.arange(n) % C).astype(np.int64)


def dense(result, name: str) -> np.ndarray:
    """A sparse matrix's values as a dense array; anything else is a ProbeError naming the contract."""
    if not sp.issparse(result):
        raise ProbeError(f"`{name}` returned a {type(result).__name__}; expected a scipy.sparse matrix (CSR)")
    return result.toarray()


def as_array(x) -> np.ndarray:
    """Dense or sparse (or np.matrix) as a plain ndarray: learners may use either for attributes."""
    return x.toarray() if sp.issparse(x) else np.asarray(x)


# ---------------------------------------------------------------- tokenize

FRAGMENTS = (
    "The", "cat's", "rock'n'roll", "3.5-inch", "U.S.A.", "e.g.", "well--known", "-dash", "trailing-",
    "'quoted'", "co-op", "(brackets)", "Dr.", "X-Ray", "ALL-CAPS", "42", "na\u00efve", "caf\u00e9", "don't",
    "o'clock", "'tis", "mid-1990s", "1,000", "a_b", "$12.50", "50%", "C++", "hello!", "--", "''", "A-",
    "rock'n'", "e-mail's", "it\u2019s", "\u201cso\u201d", "3-D", "x-'y", "semi-colon;", "Title-Case", "mp3",
)
SEPARATORS = (" ", " ", " ", "  ", ", ", "; ", "\n", "\t", "-", "'", ".", "/")


def random_text(n: int, seed: int) -> str:
    """n fragments (punctuation, hyphens, apostrophes, digits, capitals, non-ASCII) joined by separators."""
    gen = rng(seed)
    pieces = [FRAGMENTS[i] for i in gen.integers(0, len(FRAGMENTS), n)]
    seps = [SEPARATORS[i] for i in gen.integers(0, len(SEPARATORS), n)]
    return "".join(p + s for p, s in zip(pieces, seps, strict=True))


def encoded(tokens, name: str = "tokenize") -> dict[str, np.ndarray]:
    """A list of str as arrays: the tokens' UTF-8 bytes separated by NUL, and their number."""
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise ProbeError(f"`{name}` returned {type(tokens).__name__}; expected a list of str")
    return {"tokens_utf8": np.frombuffer("\0".join(tokens).encode("utf-8"), dtype=np.uint8).copy(),
            "n_tokens": np.array(len(tokens))}


def probe_tokenize(ns, n: int = 30, seed: int = 1):
    text = random_text(Sizes(seed)(n), seed)
    return encoded(need(ns, "tokenize")(text))


def probe_tokenize_fixed(ns, seed: int = 2):
    """The notebook's example, then fresh text after it."""
    text = "A 3.5-inch disk (U.S.A.); child's rock'n'roll 3-D -- 'ok' " + random_text(Sizes(seed)(6), seed)
    return encoded(need(ns, "tokenize")(text))


# ---------------------------------------------------------------- bag_of_words


def bow_inputs(n: int, V: int, seed: int) -> tuple[list[list[str]], dict[str, int]]:
    """n documents over V words w0..w{V-1} (columns in a shuffled order) and some unknown words;
    document 0 is empty and document 1 holds unknown words only."""
    gen = rng(seed)
    vocab = {f"w{j}": int(c) for j, c in enumerate(gen.permutation(V))}
    words = [f"w{j}" for j in range(V)] + [f"oov{k}" for k in range(3)]
    docs = [[words[i] for i in gen.integers(0, len(words), gen.integers(1, 12))] for _ in range(n)]
    docs[0] = []
    docs[1] = ["oov0", "oov2", "oov0"]
    docs[2] = docs[2] + ["w0", "w1", "w0"]  # repeated words add up
    return docs, vocab


def probe_bag_of_words(ns, n: int = 7, V: int = 9, seed: int = 11):
    size = Sizes(seed)
    docs, vocab = bow_inputs(max(size(n), 3), size(V), seed)
    return {"counts": dense(need(ns, "bag_of_words")(docs, vocab), "bag_of_words")}


# ---------------------------------------------------------------- tfidf


def tfidf_inputs(n: int, V: int, seed: int) -> sp.csr_matrix:
    """Counts with an all-zero row (an empty document) and an all-zero column (a word no document has)."""
    counts = random_counts(n, V, seed).toarray()
    counts[rng(seed + 1).integers(0, n)] = 0
    counts[:, rng(seed + 2).integers(0, V)] = 0
    return sp.csr_matrix(counts)


def probe_tfidf(ns, n: int = 8, V: int = 10, seed: int = 21):
    size = Sizes(seed)
    counts = tfidf_inputs(max(size(n), 3), max(size(V), 3), seed)
    out = dense(need(ns, "tfidf")(counts), "tfidf")
    return {"tfidf": out, "counts_after_call": counts.toarray()}


def probe_tfidf_word_everywhere(ns, n: int = 6, V: int = 7, seed: int = 23):
    """A word in every document (idf exactly 1) and a row holding one word only (norm from one entry)."""
    size = Sizes(seed)
    n, V = max(size(n), 3), max(size(V), 3)
    counts = random_counts(n, V, seed).toarray()
    counts[:, 0] += 1
    counts[-1] = 0
    counts[-1, V - 1] = 3
    return {"tfidf": dense(need(ns, "tfidf")(sp.csr_matrix(counts)), "tfidf")}


# ---------------------------------------------------------------- MultinomialNaiveBayes


def nb_data(n: int, V: int, C: int, seed: int, sparse: bool = True):
    """Counts (sparse CSR or dense) with many (class, word) pairs never seen, and labels with every class."""
    X = random_counts(n, V, seed, density=0.15)
    return (X if sparse else X.toarray()), labels(n, C, seed + 1)


def probe_nb_fit(ns, n: int = 12, V: int = 8, C: int = 3, alpha: float = 0.5, sparse: bool = True, seed: int = 31):
    size = Sizes(seed)
    C = size(C, 2, 6)
    X, y = nb_data(max(size(n), C), size(V), C, seed, sparse)
    model = need(ns, "MultinomialNaiveBayes")(alpha=alpha)
    model.fit(X, y)
    return {"class_log_prior": as_array(model.class_log_prior_), "feature_log_prob": as_array(model.feature_log_prob_)}


def fitted_nb(ns, V: int, C: int, seed: int):
    """The learner's class with attributes set directly (no call to its fit): priors and word distributions
    from seeded Dirichlet draws."""
    gen = rng(seed)
    model = need(ns, "MultinomialNaiveBayes")(alpha=1.0)
    model.class_log_prior_ = np.log(gen.dirichlet(np.ones(C)))
    model.feature_log_prob_ = np.log(gen.dirichlet(np.ones(V), size=C))
    return model


def probe_nb_predict_log_proba(ns, n: int = 6, V: int = 9, C: int = 4, scale: int = 5, seed: int = 33):
    """scale = 5: short documents; scale = 500: documents of thousands of tokens, whose joint
    log-likelihoods (about -10^4) underflow np.exp to 0."""
    size = Sizes(seed)
    V, C = size(V), size(C, 2, 10)
    model = fitted_nb(ns, V, C, seed)
    X = random_counts(size(n), V, seed + 1, density=0.6, high=scale + 1)
    return call({"predict_log_proba": model.predict_log_proba}, "predict_log_proba", X, returns=("log_proba",))


# ---------------------------------------------------------------- softmax_regression_loss_and_grad


def softmax_inputs(n: int, V: int, C: int, seed: int, scale: float = 1.0, sparse: bool = True):
    gen = rng(seed)
    X = sp.random(n, V, density=0.4, random_state=gen, format="csr") * scale
    W, b = gen.normal(size=(V, C)), gen.normal(size=C)
    return (X if sparse else X.toarray()), W, b, gen.integers(0, C, n)


def probe_softmax_loss(ns, n: int = 9, V: int = 6, C: int = 4, l2: float = 0.3, scale: float = 1.0,
                       sparse: bool = True, seed: int = 41):
    """scale = 3000 (with l2 = 0): logits in the thousands, whose exp overflows float64."""
    size = Sizes(seed)
    X, W, b, y = softmax_inputs(size(n), size(V), size(C, 2, 7), seed, scale, sparse)
    out = call(ns, "softmax_regression_loss_and_grad", W, b, X, y, l2, returns=("loss", "dW", "db"))
    return out | {"W_after_call": W, "b_after_call": b}


# ---------------------------------------------------------------- fit_softmax_regression


def probe_fit_softmax(ns, n: int = 30, V: int = 8, C: int = 3, l2: float = 0.05, lr: float = 0.5,
                      steps: int = 25, momentum: float = 0.9, sparse: bool = True, seed: int = 51):
    size = Sizes(seed)
    C = size(C, 2, 6)
    X, _, _, y = softmax_inputs(size(n), size(V), C, seed, 2.0, sparse)
    W, b, losses = call(ns, "fit_softmax_regression", X, y, C, l2, lr=lr, steps=size(steps), momentum=momentum,
                        returns=("W", "b", "losses")).values()
    return {"W": W, "b": b, "losses": np.asarray(losses, dtype=np.float64)}


# ---------------------------------------------------------------- confusion_matrix, precision_recall_f1


def predictions(n: int, C: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) over C classes: class C-1 never predicted, class C-2 never true, ~60% right."""
    gen = rng(seed)
    y_true = gen.integers(0, C - 2, n)
    y_true[::3] = C - 1
    y_pred = np.where(gen.random(n) < 0.6, y_true, gen.integers(0, C - 1, n))
    return y_true.astype(np.int64), y_pred.astype(np.int64)


def probe_confusion(ns, n: int = 40, C: int = 5, extra: int = 1, seed: int = 61):
    """extra > 0: n_classes larger than any label (empty last rows and columns)."""
    size = Sizes(seed)
    C = size(C, 3, 8)
    y_true, y_pred = predictions(size(n), C, seed)
    return call(ns, "confusion_matrix", y_true, y_pred, C + extra, returns=("matrix",))


def probe_prf(ns, n: int = 50, C: int = 5, average: str = "macro", seed: int = 71):
    size = Sizes(seed)
    C = size(C, 3, 8)
    y_true, y_pred = predictions(size(n), C, seed)
    return call(ns, "precision_recall_f1", y_true, y_pred, C, average=average,
                returns=("precision", "recall", "f1"))


def probe_prf_all_present(ns, n: int = 60, C: int = 4, seed: int = 73):
    """Every class true and predicted (no zero division): macro-F1 vs the F1 of macro P and R."""
    size = Sizes(seed)
    n, C = size(n), size(C, 2, 7)
    gen = rng(seed)
    y_true = labels(n, C, seed)
    y_pred = np.where(gen.random(n) < 0.5, y_true, gen.integers(0, C, n))
    y_pred[:C] = np.arange(C)
    return call(ns, "precision_recall_f1", y_true, y_pred, C, average="macro",
                returns=("precision", "recall", "f1"))


# ---------------------------------------------------------------- expected_calibration_error


def calibration_inputs(n: int, C: int, seed: int, sharpness: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities and labels that agree with the argmax about 70% of the time."""
    gen = rng(seed)
    logits = gen.normal(size=(n, C)) * sharpness
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    y = np.where(gen.random(n) < 0.7, probs.argmax(axis=1), gen.integers(0, C, n))
    return probs, y


def probe_ece(ns, n: int = 200, C: int = 4, n_bins: int | None = None, sharpness: float = 2.0, seed: int = 81):
    size = Sizes(seed)
    probs, y = calibration_inputs(size(n), size(C, 2, 7), seed, sharpness)
    kwargs = {} if n_bins is None else {"n_bins": size(n_bins, 3, 16)}
    return call(ns, "expected_calibration_error", probs, y, **kwargs, returns=("ece",))


# ---------------------------------------------------------------- TextCNN


def cnn_ids(B: int, T: int, V: int, lengths: list[int], pad_id: int, seed: int) -> torch.Tensor:
    """(B, T) ids: row b has lengths[b] real tokens (never pad_id), then padding."""
    ids = randint(0, V - 1, (B, T), seed=seed)
    ids[ids >= pad_id] += 1  # real tokens skip pad_id
    for row, length in enumerate(lengths):
        ids[row, length:] = pad_id
    return ids


def cnn_setup(seed: int, pad_id: int | None = 0, widths=(2, 3)) -> tuple[dict, list[int], int]:
    """(constructor kwargs, row lengths, T): rows full, padded, shorter than the widest window, of one token."""
    size = Sizes(seed)
    V, E, C, Fn = size(13, 6, 20), size(5, 2, 8), size(3, 2, 5), size(4, 2, 7)
    T = size(9, 6, 13)
    pad = V - 1 if pad_id is None else pad_id
    lengths = [T, size.within(5, 4, T), max(widths) - 1, 1]
    kwargs = dict(vocab_size=V, embed_dim=E, n_classes=C, widths=widths, n_filters=Fn, dropout=0.5, pad_id=pad)
    return kwargs, lengths, T


def probe_cnn_logits(ns, seed: int = 91, pad_id: int | None = 0, widths=(2, 3)):
    """pad_id None: the last id pads (not 0). Seeded weights give the pad embedding a large random vector."""
    kwargs, lengths, T = cnn_setup(seed, pad_id, widths)
    model = build(ns, "TextCNN", seed=seed, **kwargs)
    ids = cnn_ids(len(lengths), T, kwargs["vocab_size"], lengths, kwargs["pad_id"], seed + 1)
    return call_module(model, "TextCNN", ids, returns=("logits",))


def probe_cnn_padding(ns, extra: int = 4, seed: int = 93, pad_id: int | None = 0, widths=(2, 3)):
    """The same rows, then with `extra` more pad columns appended."""
    kwargs, lengths, T = cnn_setup(seed, pad_id, widths)
    model = build(ns, "TextCNN", seed=seed, **kwargs)
    ids = cnn_ids(len(lengths), T, kwargs["vocab_size"], lengths, kwargs["pad_id"], seed + 1)
    longer = torch.cat([ids, torch.full((len(lengths), Sizes(seed + 1)(extra)), kwargs["pad_id"])], dim=1)
    return call_module(model, "TextCNN", ids, returns=("logits",)) | \
        call_module(model, "TextCNN", longer, returns=("logits_more_padding",))


def padding_moved(raw):
    """How far any logit moved when padding was appended (0 for a correct mask)."""
    return computable(padding_effect=lambda: max_change(raw["logits"], raw["logits_more_padding"]))


# ---------------------------------------------------------------- learning_curve


class CentroidModel:
    """Nearest class mean. Like a warm-started model, `fit` adds to what earlier fits saw: a learning
    curve must call make_model() for every size."""

    def __init__(self, n_classes: int):
        self.sums, self.counts, self.n_classes = None, None, n_classes

    def fit(self, X, y) -> CentroidModel:
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        if self.sums is None:
            self.sums, self.counts = np.zeros((self.n_classes, X.shape[1])), np.zeros(self.n_classes)
        np.add.at(self.sums, y, X)
        self.counts += np.bincount(y, minlength=self.n_classes)
        return self

    def predict(self, X) -> np.ndarray:
        centroids = self.sums / np.maximum(self.counts, 1)[:, None]
        distances = ((np.asarray(X)[:, None, :] - centroids[None]) ** 2).sum(axis=2)
        distances[:, self.counts == 0] = np.inf
        return distances.argmin(axis=1)


def curve_data(n: int, d: int, C: int, seed: int):
    """Overlapping Gaussian classes: (X_train, y_train, X_test, y_test)."""
    gen = rng(seed)
    means = gen.normal(size=(C, d)) * 0.8
    y_train, y_test = gen.integers(0, C, n), gen.integers(0, C, 200)
    return (means[y_train] + gen.normal(size=(n, d)), y_train, means[y_test] + gen.normal(size=(200, d)), y_test)


def probe_learning_curve(ns, n: int = 80, sizes: tuple[int, ...] = (3, 6, 12, 25, 50), curve_seed: int = 3,
                         seed: int = 101):
    size = Sizes(seed)
    C = size(3, 2, 6)
    X_train, y_train, X_test, y_test = curve_data(size(n, n, 2 * n), size(4, 2, 8), C, seed)
    sizes = [size(m) for m in sizes]
    return call(ns, "learning_curve", partial(CentroidModel, C), X_train, y_train, X_test, y_test, sizes,
                seed=size(curve_seed, 0, 1000), returns=("accuracies",))


CHECKS = [
    Check("tokenize_fragments", "tokenize", probe_tokenize, points=2,
          description="text with capitals, digits, hyphens, apostrophes, punctuation and non-ASCII letters"),
    Check("tokenize_example", "tokenize", probe_tokenize_fixed, points=1,
          description="the notebook's example sentence"),
    Check("bag_of_words_counts", "bag_of_words", probe_bag_of_words, points=2, exact_dtype=True,
          description="int64 CSR counts; unknown words ignored; an empty document is a zero row"),
    Check("tfidf_values", "tfidf", probe_tfidf, points=2, exact_dtype=True,
          description="float64 CSR TF-IDF with an empty document and a word no document has; input unchanged"),
    Check("tfidf_word_everywhere", "tfidf", probe_tfidf_word_everywhere, points=1, exact_dtype=True,
          description="a word in every document (idf 1) and a one-word document"),
    Check("nb_fit", "MultinomialNaiveBayes", probe_nb_fit, points=2,
          description="class_log_prior_ and feature_log_prob_ after fit(X, y), alpha=0.5, sparse counts"),
    Check("nb_predict_log_proba", "MultinomialNaiveBayes", probe_nb_predict_log_proba, points=2,
          description="predict_log_proba with the attributes set directly"),
    Check("nb_predict_log_proba_long_documents", "MultinomialNaiveBayes",
          partial(probe_nb_predict_log_proba, scale=500, seed=35), points=1,
          description="documents of thousands of tokens: exp of the joint log-likelihood underflows"),
    Check("softmax_loss_grad", "softmax_regression_loss_and_grad", probe_softmax_loss, points=2,
          description="loss, dW, db on sparse X with l2=0.3; W and b unchanged"),
    Check("softmax_loss_grad_large_logits", "softmax_regression_loss_and_grad",
          partial(probe_softmax_loss, l2=0.0, scale=3000.0, seed=43), points=1,
          description="logits in the thousands: no overflow"),
    Check("fit_softmax_regression_trajectory", "fit_softmax_regression", probe_fit_softmax, points=2,
          description="W, b and the losses after 25 momentum steps from zero"),
    Check("confusion_matrix_counts", "confusion_matrix", probe_confusion, points=2, exact_dtype=True,
          description="int64 counts, rows true and columns predicted, n_classes above the largest label"),
    Check("prf_macro", "precision_recall_f1", probe_prf, points=1,
          description="macro average with a class never predicted and one never true"),
    Check("prf_micro", "precision_recall_f1", partial(probe_prf, average="micro", seed=75), points=1,
          description="micro average"),
    Check("prf_macro_all_present", "precision_recall_f1", probe_prf_all_present, points=1,
          description="macro-F1 is the mean of per-class F1"),
    Check("ece_default_bins", "expected_calibration_error", probe_ece, points=2,
          description="10 bins, 200 predictions over 4 classes"),
    Check("ece_other_bins", "expected_calibration_error", partial(probe_ece, n_bins=7, seed=83), points=1,
          description="n_bins=7"),
    Check("textcnn_logits", "TextCNN", probe_cnn_logits, points=2,
          description="rows full, padded, shorter than the widest window, and of one token"),
    Check("textcnn_padding_invariance", "TextCNN", probe_cnn_padding, derive=padding_moved, points=2,
          description="appending padding leaves the logits unchanged"),
    Check("learning_curve_centroids", "learning_curve", probe_learning_curve, points=2,
          description="a nearest-centroid model on nested random subsets"),
]
