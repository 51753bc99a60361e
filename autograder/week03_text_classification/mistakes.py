"""Known wrong implementations for week 3. Each `code` runs in the reference notebook's namespace (re, np, sp,
logsumexp, torch, nn, F and the reference functions are defined there) and replaces one function or class;
a class keeps its given __init__ (`class X(X)`) and overrides the graded method."""

from coursekit.checks import Mistake

TEXT_MISTAKES = [
    # ------------------------------------------------------------ tokenize
    Mistake("tokenize_no_lowercase", "tokenize",
            "your tokens keep their capitals: lower-case the text first (`The` and `the` must be one word)",
            code='''
def tokenize(text):
    return re.findall(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*", text)
'''),
    Mistake("tokenize_word_regex", "tokenize",
            "\\w+ splits `child's` and `3-d` and keeps `_` and non-ASCII letters: tokens are runs of [a-z0-9] "
            "joined by single internal ' or -",
            code='''
def tokenize(text):
    return re.findall(r"\\w+", text.lower())
'''),
    Mistake("tokenize_whitespace_split", "tokenize",
            "splitting on white space keeps punctuation (`disk,` `(u.s.a.);`): take the regex matches instead",
            code='''
def tokenize(text):
    return text.lower().split()
'''),
    Mistake("tokenize_letters_only", "tokenize",
            "your tokens drop digits: `3-d`, `mp3` and `42` are tokens too ([a-z0-9], not [a-z])",
            code='''
def tokenize(text):
    return re.findall(r"[a-z]+(?:['-][a-z]+)*", text.lower())
'''),
    Mistake("tokenize_joiners_anywhere", "tokenize",
            "apostrophes and hyphens only join runs of letters/digits: a leading, trailing or doubled ' or - "
            "separates tokens (`'tis` -> `tis`, `well--known` -> `well`, `known`)",
            code='''
def tokenize(text):
    return re.findall(r"[a-z0-9'-]+", text.lower())
'''),
    # ------------------------------------------------------------ bag_of_words
    Mistake("bow_binary", "bag_of_words",
            "your matrix records whether a word occurs, not how often: repeated words must add up",
            code='''
def bag_of_words(docs, vocab):
    rows, cols = [], []
    for d, doc in enumerate(docs):
        for token in set(doc):
            if token in vocab:
                rows.append(d)
                cols.append(vocab[token])
    return sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(len(docs), len(vocab)))
'''),
    Mistake("bow_unknown_to_column_0", "bag_of_words",
            "unknown words are counted in column 0 (vocab.get(token, 0)): words outside the vocabulary are ignored",
            code='''
def bag_of_words(docs, vocab):
    rows, cols = [], []
    for d, doc in enumerate(docs):
        for token in doc:
            rows.append(d)
            cols.append(vocab.get(token, 0))
    return sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(len(docs), len(vocab)))
'''),
    Mistake("bow_transposed", "bag_of_words",
            "your matrix is (len(vocab), len(docs)): rows are documents, columns are words",
            code='''
def bag_of_words(docs, vocab):
    rows, cols = [], []
    for d, doc in enumerate(docs):
        for token in doc:
            if token in vocab:
                rows.append(d)
                cols.append(vocab[token])
    return sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (cols, rows)), shape=(len(vocab), len(docs)))
'''),
    Mistake("bow_drops_empty_documents", "bag_of_words",
            "documents without a known word lost their row: every document keeps its row (of zeros if empty)",
            code='''
def bag_of_words(docs, vocab):
    rows, cols = [], []
    kept = [doc for doc in docs if any(token in vocab for token in doc)]
    for d, doc in enumerate(kept):
        for token in doc:
            if token in vocab:
                rows.append(d)
                cols.append(vocab[token])
    return sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(len(kept), len(vocab)))
'''),
    # ------------------------------------------------------------ tfidf
    Mistake("tfidf_idf_not_smoothed", "tfidf",
            "your idf is ln(n / df) + 1: scikit-learn's default smooths it, ln((1 + n) / (1 + df)) + 1",
            code='''
def tfidf(counts):
    counts = sp.csr_matrix(counts, dtype=np.float64)
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    with np.errstate(divide="ignore"):
        idf = np.log(n / df) + 1
    x = counts @ sp.diags(idf)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1 / norms) @ x)
'''),
    Mistake("tfidf_idf_without_plus_one", "tfidf",
            "your idf lacks the final + 1: idf = ln((1 + n) / (1 + df)) + 1, so a word in every document "
            "keeps weight 1",
            code='''
def tfidf(counts):
    counts = sp.csr_matrix(counts, dtype=np.float64)
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + n) / (1 + df))
    x = counts @ sp.diags(idf)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1 / norms) @ x)
'''),
    Mistake("tfidf_columns_normalised", "tfidf",
            "you normalised the columns (words): each row (document) must have unit l2 norm",
            code='''
def tfidf(counts):
    counts = sp.csr_matrix(counts, dtype=np.float64)
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + n) / (1 + df)) + 1
    x = counts @ sp.diags(idf)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(x @ sp.diags(1 / norms))
'''),
    Mistake("tfidf_df_is_total_count", "tfidf",
            "your df is a word's total count: it is the number of documents that contain the word",
            code='''
def tfidf(counts):
    counts = sp.csr_matrix(counts, dtype=np.float64)
    n = counts.shape[0]
    df = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log((1 + n) / (1 + df)) + 1
    x = counts @ sp.diags(idf)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1 / norms) @ x)
'''),
    Mistake("tfidf_in_place", "tfidf",
            "your tfidf changed the counts it was given (in-place on .data): work on a float copy",
            code='''
def tfidf(counts):
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + n) / (1 + df)) + 1
    counts.data = counts.data * idf[counts.indices]
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1 / norms) @ counts)
'''),
]

MODEL_MISTAKES = [
    # ------------------------------------------------------------ MultinomialNaiveBayes
    Mistake("nb_no_smoothing", "MultinomialNaiveBayes",
            "a word never seen with a class gives log 0 = -inf: add alpha to every count (and alpha * V to the total)",
            code='''
class MultinomialNaiveBayes(MultinomialNaiveBayes):
    def fit(self, X, y, n_classes=None):
        y = np.asarray(y)
        C = int(y.max()) + 1 if n_classes is None else n_classes
        counts = np.stack([np.asarray(X[y == c].sum(axis=0)).ravel() for c in range(C)])
        self.class_log_prior_ = np.log(np.bincount(y, minlength=C) / len(y))
        with np.errstate(divide="ignore"):
            self.feature_log_prob_ = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
        return self
'''),
    Mistake("nb_priors_from_word_counts", "MultinomialNaiveBayes",
            "your priors count words: the prior of a class is its share of training documents, N_c / N",
            code='''
class MultinomialNaiveBayes(MultinomialNaiveBayes):
    def fit(self, X, y, n_classes=None):
        y = np.asarray(y)
        C = int(y.max()) + 1 if n_classes is None else n_classes
        counts = np.stack([np.asarray(X[y == c].sum(axis=0)).ravel() for c in range(C)])
        self.class_log_prior_ = np.log(counts.sum(axis=1) / counts.sum())
        smoothed = counts + self.alpha
        self.feature_log_prob_ = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
        return self
'''),
    Mistake("nb_alpha_only_in_numerator", "MultinomialNaiveBayes",
            "your smoothed theta_c does not sum to 1: the denominator needs alpha * V too",
            code='''
class MultinomialNaiveBayes(MultinomialNaiveBayes):
    def fit(self, X, y, n_classes=None):
        y = np.asarray(y)
        C = int(y.max()) + 1 if n_classes is None else n_classes
        counts = np.stack([np.asarray(X[y == c].sum(axis=0)).ravel() for c in range(C)])
        self.class_log_prior_ = np.log(np.bincount(y, minlength=C) / len(y))
        self.feature_log_prob_ = np.log(counts + self.alpha) - np.log(counts.sum(axis=1, keepdims=True))
        return self
'''),
    Mistake("nb_plain_exp_normalisation", "MultinomialNaiveBayes",
            "exp of a joint log-likelihood of -10^4 is 0.0, and 0/0 is nan: normalise with log-sum-exp",
            code='''
class MultinomialNaiveBayes(MultinomialNaiveBayes):
    def predict_log_proba(self, X):
        joint = np.asarray(X @ self.feature_log_prob_.T) + self.class_log_prior_
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(np.exp(joint) / np.exp(joint).sum(axis=1, keepdims=True))
'''),
    Mistake("nb_not_normalised", "MultinomialNaiveBayes",
            "predict_log_proba returns the joint log p(x, c): subtract each row's log-sum-exp to get log p(c | x)",
            code='''
class MultinomialNaiveBayes(MultinomialNaiveBayes):
    def predict_log_proba(self, X):
        return np.asarray(X @ self.feature_log_prob_.T) + self.class_log_prior_
'''),
    Mistake("nb_forgets_prior", "MultinomialNaiveBayes",
            "your posterior ignores class_log_prior_: log p(c | x) adds log pi_c to the word log-likelihoods",
            code='''
class MultinomialNaiveBayes(MultinomialNaiveBayes):
    def predict_log_proba(self, X):
        joint = np.asarray(X @ self.feature_log_prob_.T)
        return joint - logsumexp(joint, axis=1, keepdims=True)
'''),
    # ------------------------------------------------------------ softmax_regression_loss_and_grad
    Mistake("softmax_bias_regularised", "softmax_regression_loss_and_grad",
            "you regularise the bias: the L2 penalty (and its gradient) is on W only",
            code='''
def softmax_regression_loss_and_grad(W, b, X, y, l2):
    n = X.shape[0]
    logits = np.asarray(X @ W) + b
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean() + 0.5 * l2 * (np.sum(W * W) + np.sum(b * b))
    delta = np.exp(log_probs)
    delta[np.arange(n), y] -= 1.0
    delta /= n
    return float(loss), np.asarray(X.T @ delta) + l2 * W, delta.sum(axis=0) + l2 * b
'''),
    Mistake("softmax_grad_not_averaged", "softmax_regression_loss_and_grad",
            "your gradient sums over the examples while the loss averages: divide X.T @ (P - Y) and db by n",
            code='''
def softmax_regression_loss_and_grad(W, b, X, y, l2):
    n = X.shape[0]
    logits = np.asarray(X @ W) + b
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean() + 0.5 * l2 * np.sum(W * W)
    delta = np.exp(log_probs)
    delta[np.arange(n), y] -= 1.0
    return float(loss), np.asarray(X.T @ delta) + l2 * W, delta.sum(axis=0)
'''),
    Mistake("softmax_unstable", "softmax_regression_loss_and_grad",
            "np.exp of logits in the hundreds overflows to inf (inf / inf = nan): subtract each row's max first",
            code='''
def softmax_regression_loss_and_grad(W, b, X, y, l2):
    n = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        exp = np.exp(np.asarray(X @ W) + b)
        probs = exp / exp.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(n), y]).mean() + 0.5 * l2 * np.sum(W * W)
    delta = probs.copy()
    delta[np.arange(n), y] -= 1.0
    delta /= n
    return float(loss), np.asarray(X.T @ delta) + l2 * W, delta.sum(axis=0)
'''),
    Mistake("softmax_penalty_without_half", "softmax_regression_loss_and_grad",
            "your loss adds l2 * ||W||^2: the penalty is l2 / 2 * ||W||^2 (gradient l2 * W)",
            code='''
def softmax_regression_loss_and_grad(W, b, X, y, l2):
    n = X.shape[0]
    logits = np.asarray(X @ W) + b
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean() + l2 * np.sum(W * W)
    delta = np.exp(log_probs)
    delta[np.arange(n), y] -= 1.0
    delta /= n
    return float(loss), np.asarray(X.T @ delta) + 2 * l2 * W, delta.sum(axis=0)
'''),
    Mistake("softmax_updates_W_in_place", "softmax_regression_loss_and_grad",
            "your function changed W (W *= ... or W -= ...): compute the gradient without touching the inputs",
            code='''
def softmax_regression_loss_and_grad(W, b, X, y, l2):
    n = X.shape[0]
    logits = np.asarray(X @ W) + b
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean() + 0.5 * l2 * np.sum(W * W)
    delta = np.exp(log_probs)
    delta[np.arange(n), y] -= 1.0
    delta /= n
    W *= l2
    return float(loss), np.asarray(X.T @ delta) + W, delta.sum(axis=0)
'''),
    # ------------------------------------------------------------ fit_softmax_regression
    Mistake("fit_no_momentum", "fit_softmax_regression",
            "your updates ignore momentum: v = momentum * v + grad, then param -= lr * v",
            code='''
def fit_softmax_regression(X, y, n_classes, l2, lr=20.0, steps=400, momentum=0.9):
    W, b, losses = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes), []
    for _ in range(steps):
        loss, dW, db = softmax_regression_loss_and_grad(W, b, X, y, l2)
        losses.append(loss)
        W, b = W - lr * dW, b - lr * db
    return W, b, losses
'''),
    Mistake("fit_bias_not_updated", "fit_softmax_regression",
            "your bias stays at zero: update b with its own velocity, like W",
            code='''
def fit_softmax_regression(X, y, n_classes, l2, lr=20.0, steps=400, momentum=0.9):
    W, b, losses = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes), []
    vW = np.zeros_like(W)
    for _ in range(steps):
        loss, dW, db = softmax_regression_loss_and_grad(W, b, X, y, l2)
        losses.append(loss)
        vW = momentum * vW + dW
        W = W - lr * vW
    return W, b, losses
'''),
    Mistake("fit_random_start", "fit_softmax_regression",
            "your weights start random: start from W = 0 and b = 0 (the first loss is ln C)",
            code='''
def fit_softmax_regression(X, y, n_classes, l2, lr=20.0, steps=400, momentum=0.9):
    gen = np.random.default_rng(0)
    W, b = gen.normal(scale=0.01, size=(X.shape[1], n_classes)), np.zeros(n_classes)
    vW, vb, losses = np.zeros_like(W), np.zeros_like(b), []
    for _ in range(steps):
        loss, dW, db = softmax_regression_loss_and_grad(W, b, X, y, l2)
        losses.append(loss)
        vW, vb = momentum * vW + dW, momentum * vb + db
        W, b = W - lr * vW, b - lr * vb
    return W, b, losses
'''),
    Mistake("fit_loss_after_update", "fit_softmax_regression",
            "losses[t] is the loss before update t (losses[0] = ln C), not after it",
            code='''
def fit_softmax_regression(X, y, n_classes, l2, lr=20.0, steps=400, momentum=0.9):
    W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
    vW, vb, losses = np.zeros_like(W), np.zeros_like(b), []
    for _ in range(steps):
        _, dW, db = softmax_regression_loss_and_grad(W, b, X, y, l2)
        vW, vb = momentum * vW + dW, momentum * vb + db
        W, b = W - lr * vW, b - lr * vb
        losses.append(softmax_regression_loss_and_grad(W, b, X, y, l2)[0])
    return W, b, losses
'''),
]

EVALUATION_MISTAKES = [
    # ------------------------------------------------------------ confusion_matrix
    Mistake("confusion_transposed", "confusion_matrix",
            "rows must be the true classes and columns the predictions: matrix[true, predicted]",
            code='''
def confusion_matrix(y_true, y_pred, n_classes):
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        matrix[p, t] += 1
    return matrix
'''),
    Mistake("confusion_off_by_one", "confusion_matrix",
            "labels start at 0: matrix[t, p], not matrix[t - 1, p - 1] (which wraps class 0 to the last row)",
            code='''
def confusion_matrix(y_true, y_pred, n_classes):
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        matrix[t - 1, p - 1] += 1
    return matrix
'''),
    Mistake("confusion_size_from_labels", "confusion_matrix",
            "the matrix is n_classes x n_classes even when the largest classes never occur: do not size it "
            "from the labels",
            code='''
def confusion_matrix(y_true, y_pred, n_classes):
    C = int(max(np.max(y_true), np.max(y_pred))) + 1
    matrix = np.zeros((C, C), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        matrix[t, p] += 1
    return matrix
'''),
    Mistake("confusion_rows_normalised", "confusion_matrix",
            "return counts (int64), not each row divided by its total",
            code='''
def confusion_matrix(y_true, y_pred, n_classes):
    matrix = np.zeros((n_classes, n_classes))
    for t, p in zip(y_true, y_pred):
        matrix[t, p] += 1
    return matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
'''),
    # ------------------------------------------------------------ precision_recall_f1
    Mistake("prf_f1_of_macro_averages", "precision_recall_f1",
            "macro-F1 is the mean of the per-class F1, not the F1 of macro precision and macro recall",
            code='''
def precision_recall_f1(y_true, y_pred, n_classes, average="macro"):
    m = confusion_matrix(y_true, y_pred, n_classes).astype(float)
    tp = np.diag(m)
    if average == "micro":
        p = r = tp.sum() / m.sum()
        return float(p), float(r), float(p)
    p = np.divide(tp, m.sum(axis=0), out=np.zeros(n_classes), where=m.sum(axis=0) > 0).mean()
    r = np.divide(tp, m.sum(axis=1), out=np.zeros(n_classes), where=m.sum(axis=1) > 0).mean()
    return float(p), float(r), float(2 * p * r / (p + r) if p + r > 0 else 0.0)
'''),
    Mistake("prf_zero_division_nan", "precision_recall_f1",
            "a class never predicted (or never true) gives 0/0 = nan: count such precision, recall and F1 as 0",
            code='''
def precision_recall_f1(y_true, y_pred, n_classes, average="macro"):
    m = confusion_matrix(y_true, y_pred, n_classes).astype(float)
    tp, predicted, actual = np.diag(m), m.sum(axis=0), m.sum(axis=1)
    if average == "micro":
        tp, predicted, actual = tp.sum(), predicted.sum(), actual.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        p, r = tp / predicted, tp / actual
        f1 = 2 * p * r / (p + r)
    return float(np.mean(p)), float(np.mean(r)), float(np.mean(f1))
'''),
    Mistake("prf_average_ignored", "precision_recall_f1",
            "average='micro' pools the counts of all classes (for single-label data that is the accuracy)",
            code='''
def precision_recall_f1(y_true, y_pred, n_classes, average="macro"):
    m = confusion_matrix(y_true, y_pred, n_classes).astype(float)
    tp, predicted, actual = np.diag(m), m.sum(axis=0), m.sum(axis=1)
    p = np.divide(tp, predicted, out=np.zeros(n_classes), where=predicted > 0)
    r = np.divide(tp, actual, out=np.zeros(n_classes), where=actual > 0)
    f1 = np.divide(2 * p * r, p + r, out=np.zeros(n_classes), where=p + r > 0)
    return float(p.mean()), float(r.mean()), float(f1.mean())
'''),
    Mistake("prf_macro_over_true_classes", "precision_recall_f1",
            "the macro average runs over all n_classes classes, also those that never occur in y_true",
            code='''
def precision_recall_f1(y_true, y_pred, n_classes, average="macro"):
    m = confusion_matrix(y_true, y_pred, n_classes).astype(float)
    tp, predicted, actual = np.diag(m), m.sum(axis=0), m.sum(axis=1)
    if average == "micro":
        acc = tp.sum() / m.sum()
        return float(acc), float(acc), float(acc)
    p = np.divide(tp, predicted, out=np.zeros(n_classes), where=predicted > 0)
    r = np.divide(tp, actual, out=np.zeros(n_classes), where=actual > 0)
    f1 = np.divide(2 * p * r, p + r, out=np.zeros(n_classes), where=p + r > 0)
    present = actual > 0
    return float(p[present].mean()), float(r[present].mean()), float(f1[present].mean())
'''),
    # ------------------------------------------------------------ expected_calibration_error
    Mistake("ece_unweighted_bins", "expected_calibration_error",
            "each bin's gap is weighted by its share of the examples |S_b| / n, not averaged over bins",
            code='''
def expected_calibration_error(probs, y, n_bins=10):
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    gaps = [abs(correct[bins == b].mean() - confidence[bins == b].mean()) for b in range(n_bins) if (bins == b).any()]
    return float(np.mean(gaps))
'''),
    Mistake("ece_true_class_probability", "expected_calibration_error",
            "the confidence is the largest probability (that of the predicted class), not that of the true class",
            code='''
def expected_calibration_error(probs, y, n_bins=10):
    confidence, correct = probs[np.arange(len(y)), y], probs.argmax(axis=1) == y
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        if (bins == b).any():
            ece += (bins == b).mean() * abs(correct[bins == b].mean() - confidence[bins == b].mean())
    return float(ece)
'''),
    Mistake("ece_signed_gaps", "expected_calibration_error",
            "take the absolute gap |accuracy - confidence| per bin: signed gaps of over- and under-confident "
            "bins cancel",
            code='''
def expected_calibration_error(probs, y, n_bins=10):
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        if (bins == b).any():
            ece += (bins == b).mean() * (correct[bins == b].mean() - confidence[bins == b].mean())
    return float(ece)
'''),
    Mistake("ece_ignores_n_bins", "expected_calibration_error",
            "your bins are always ten: use n_bins equal-width bins",
            code='''
def expected_calibration_error(probs, y, n_bins=10):
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    bins = np.clip(np.ceil(confidence * 10).astype(int) - 1, 0, 9)
    ece = 0.0
    for b in range(10):
        if (bins == b).any():
            ece += (bins == b).mean() * abs(correct[bins == b].mean() - confidence[bins == b].mean())
    return float(ece)
'''),
]

CNN_MISTAKES = [
    Mistake("textcnn_max_over_padding", "TextCNN",
            "your max-over-time pooling includes windows over padding: mask them to -inf before the max",
            code='''
class TextCNN(TextCNN):
    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)
        pooled = [F.relu(conv(x)).max(dim=2).values for conv in self.convs]
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))
'''),
    Mistake("textcnn_mask_window_start_only", "TextCNN",
            "a window that starts on a real token can still reach into the padding: keep only windows whose "
            "tokens are all real",
            code='''
class TextCNN(TextCNN):
    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)
        pooled = []
        for width, conv in zip(self.widths, self.convs):
            h = F.relu(conv(x))
            valid = ids[:, : h.shape[2]] != self.pad_id
            best = h.masked_fill(~valid[:, None, :], float("-inf")).max(dim=2).values
            pooled.append(torch.where(valid.any(dim=1, keepdim=True), best, torch.zeros_like(best)))
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))
'''),
    Mistake("textcnn_mean_pooling", "TextCNN",
            "Kim's CNN pools with the maximum over time, not the mean",
            code='''
class TextCNN(TextCNN):
    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)
        real = (ids != self.pad_id).to(x.dtype)
        pooled = []
        for width, conv in zip(self.widths, self.convs):
            h = F.relu(conv(x))
            valid = real.unfold(1, width, 1).prod(dim=2)
            pooled.append((h * valid[:, None, :]).sum(dim=2) / valid.sum(dim=1, keepdim=True).clamp(min=1))
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))
'''),
    Mistake("textcnn_no_valid_window_is_minus_inf", "TextCNN",
            "a sentence shorter than the window width has no valid window: its features must be 0, not -inf "
            "(which turns the logits into nan)",
            code='''
class TextCNN(TextCNN):
    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)
        real = (ids != self.pad_id).to(x.dtype)
        pooled = []
        for width, conv in zip(self.widths, self.convs):
            h = F.relu(conv(x))
            valid = real.unfold(1, width, 1).prod(dim=2).bool()
            pooled.append(h.masked_fill(~valid[:, None, :], float("-inf")).max(dim=2).values)
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))
'''),
    Mistake("textcnn_no_relu", "TextCNN",
            "apply a ReLU to each convolution's output before pooling (Kim, 2014)",
            code='''
class TextCNN(TextCNN):
    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)
        real = (ids != self.pad_id).to(x.dtype)
        pooled = []
        for width, conv in zip(self.widths, self.convs):
            h = conv(x)
            valid = real.unfold(1, width, 1).prod(dim=2).bool()
            best = h.masked_fill(~valid[:, None, :], float("-inf")).max(dim=2).values
            pooled.append(torch.where(valid.any(dim=1, keepdim=True), best, torch.zeros_like(best)))
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))
'''),
    # ------------------------------------------------------------ learning_curve
    Mistake("curve_no_shuffle", "learning_curve",
            "your subsets are the first m rows: take the first m of np.random.default_rng(seed).permutation(n)",
            code='''
def learning_curve(make_model, X_train, y_train, X_test, y_test, sizes, seed=0):
    accuracies = []
    for m in sizes:
        model = make_model().fit(X_train[:m], y_train[:m])
        accuracies.append(np.mean(model.predict(X_test) == y_test))
    return np.array(accuracies)
'''),
    Mistake("curve_new_permutation_per_size", "learning_curve",
            "draw one permutation and take its first m for every size: the subsets must be nested",
            code='''
def learning_curve(make_model, X_train, y_train, X_test, y_test, sizes, seed=0):
    gen = np.random.default_rng(seed)
    accuracies = []
    for m in sizes:
        subset = gen.permutation(len(y_train))[:m]
        model = make_model().fit(X_train[subset], y_train[subset])
        accuracies.append(np.mean(model.predict(X_test) == y_test))
    return np.array(accuracies)
'''),
    Mistake("curve_training_accuracy", "learning_curve",
            "a learning curve reports accuracy on the test set, not on the training subset",
            code='''
def learning_curve(make_model, X_train, y_train, X_test, y_test, sizes, seed=0):
    order = np.random.default_rng(seed).permutation(len(y_train))
    accuracies = []
    for m in sizes:
        subset = order[:m]
        model = make_model().fit(X_train[subset], y_train[subset])
        accuracies.append(np.mean(model.predict(X_train[subset]) == y_train[subset]))
    return np.array(accuracies)
'''),
    Mistake("curve_model_reused", "learning_curve",
            "call make_model() for every size: a model fitted again may remember earlier fits (warm starts)",
            code='''
def learning_curve(make_model, X_train, y_train, X_test, y_test, sizes, seed=0):
    order = np.random.default_rng(seed).permutation(len(y_train))
    model = make_model()
    accuracies = []
    for m in sizes:
        model.fit(X_train[order[:m]], y_train[order[:m]])
        accuracies.append(np.mean(model.predict(X_test) == y_test))
    return np.array(accuracies)
'''),
]

MISTAKES = TEXT_MISTAKES + MODEL_MISTAKES + EVALUATION_MISTAKES + CNN_MISTAKES
