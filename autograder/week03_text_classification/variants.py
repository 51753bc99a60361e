"""Accepted variants for week 3: correct implementations written the way learners write them (library calls,
other data structures, loops instead of vectorised code). Each `code` runs in the reference notebook's
namespace and replaces one function or class; `coursekit validate` requires every one to earn full marks.
Never released."""

from coursekit.checks import Variant

TEXT_VARIANTS = [
    Variant("tokenize_compiled_digit_class", "tokenize", style="a compiled pattern with \\d and [-']", code='''
WORD = re.compile(r"[a-z\\d]+(?:[-'][a-z\\d]+)*")

def tokenize(text):
    return [m.group(0) for m in WORD.finditer(text.lower())]
'''),
    Variant("tokenize_split_and_strip", "tokenize",
            style="split on other characters, then on doubled joiners, then strip leading/trailing ' and -",
            code='''
def tokenize(text):
    tokens = []
    for chunk in re.split(r"[^a-z0-9'-]+", text.lower()):
        for piece in re.split(r"['-]{2,}", chunk):
            piece = piece.strip("'-")
            if piece:
                tokens.append(piece)
    return tokens
'''),
    Variant("bow_counter_lil", "bag_of_words", style="a Counter per document written into a lil_matrix", code='''
def bag_of_words(docs, vocab):
    matrix = sp.lil_matrix((len(docs), len(vocab)), dtype=np.int64)
    for d, doc in enumerate(docs):
        for word, count in Counter(t for t in doc if t in vocab).items():
            matrix[d, vocab[word]] = count
    return matrix.tocsr()
'''),
    Variant("bow_indptr", "bag_of_words", style="CSR built directly from data, indices and indptr", code='''
def bag_of_words(docs, vocab):
    indices, indptr = [], [0]
    for doc in docs:
        indices.extend(vocab[t] for t in doc if t in vocab)
        indptr.append(len(indices))
    matrix = sp.csr_matrix((np.ones(len(indices), dtype=np.int64), np.array(indices, dtype=np.int64), indptr),
                           shape=(len(docs), len(vocab)))
    matrix.sum_duplicates()
    return matrix
'''),
    Variant("bow_dense_then_sparse", "bag_of_words", style="a dense int64 array filled with +=, then csr_matrix",
            code='''
def bag_of_words(docs, vocab):
    counts = np.zeros((len(docs), len(vocab)), dtype=np.int64)
    for d, doc in enumerate(docs):
        for token in doc:
            if token in vocab:
                counts[d, vocab[token]] += 1
    return sp.csr_matrix(counts)
'''),
    Variant("tfidf_sklearn", "tfidf", style="scikit-learn's TfidfTransformer", code='''
def tfidf(counts):
    from sklearn.feature_extraction.text import TfidfTransformer
    return TfidfTransformer().fit_transform(counts).tocsr()
'''),
    Variant("tfidf_dense_numpy", "tfidf", style="dense numpy arithmetic with np.linalg.norm", code='''
def tfidf(counts):
    x = np.asarray(counts.toarray(), dtype=np.float64)
    df = (x > 0).sum(axis=0)
    x = x * (np.log((1 + x.shape[0]) / (1 + df)) + 1)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return sp.csr_matrix(np.divide(x, norms, out=np.zeros_like(x), where=norms > 0))
'''),
    Variant("tfidf_sklearn_normalize", "tfidf", style="multiply by the idf, then sklearn.preprocessing.normalize",
            code='''
def tfidf(counts):
    from sklearn.preprocessing import normalize
    counts = sp.csr_matrix(counts, dtype=np.float64)
    df = np.diff(counts.tocsc().indptr)
    idf = np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0
    return normalize(counts.multiply(idf[None, :]).tocsr(), norm="l2")
'''),
]

MODEL_VARIANTS = [
    Variant("nb_per_class_loop", "MultinomialNaiveBayes", style="a loop over classes with boolean row selection",
            code='''
class MultinomialNaiveBayes(MultinomialNaiveBayes):
    def fit(self, X, y, n_classes=None):
        y = np.asarray(y)
        C = int(y.max()) + 1 if n_classes is None else n_classes
        priors, log_probs = [], []
        for c in range(C):
            rows = X[y == c]
            priors.append(np.log(rows.shape[0] / X.shape[0]))
            counts = np.asarray(rows.sum(axis=0)).ravel() + self.alpha
            log_probs.append(np.log(counts / counts.sum()))
        self.class_log_prior_ = np.array(priors)
        self.feature_log_prob_ = np.vstack(log_probs)
        return self

    def predict_log_proba(self, X):
        joint = X @ self.feature_log_prob_.T + self.class_log_prior_
        joint = np.asarray(joint)
        m = joint.max(axis=1, keepdims=True)
        return joint - (m + np.log(np.exp(joint - m).sum(axis=1, keepdims=True)))
'''),
    Variant("nb_sklearn_inside", "MultinomialNaiveBayes", style="scikit-learn's MultinomialNB for the estimates",
            code='''
class MultinomialNaiveBayes(MultinomialNaiveBayes):
    def fit(self, X, y, n_classes=None):
        from sklearn.naive_bayes import MultinomialNB
        model = MultinomialNB(alpha=self.alpha, fit_prior=True).fit(X, y)
        self.class_log_prior_ = model.class_log_prior_
        self.feature_log_prob_ = model.feature_log_prob_
        return self

    def predict_log_proba(self, X):
        from scipy.special import log_softmax
        return log_softmax(np.asarray(X @ self.feature_log_prob_.T) + self.class_log_prior_, axis=1)
'''),
    Variant("softmax_one_hot_scipy", "softmax_regression_loss_and_grad",
            style="one-hot Y from np.eye, scipy.special.log_softmax", code='''
def softmax_regression_loss_and_grad(W, b, X, y, l2):
    from scipy.special import log_softmax
    n, C = X.shape[0], W.shape[1]
    Y = np.eye(C)[y]
    log_p = log_softmax(X @ W + b, axis=1)
    loss = -(Y * log_p).sum() / n + l2 / 2 * (W ** 2).sum()
    G = (np.exp(log_p) - Y) / n
    return loss, X.T @ G + l2 * W, G.sum(axis=0)
'''),
    Variant("softmax_torch_autograd", "softmax_regression_loss_and_grad",
            style="torch autograd on dense float64 copies", code='''
def softmax_regression_loss_and_grad(W, b, X, y, l2):
    dense = X.toarray() if sp.issparse(X) else np.asarray(X)
    Wt = torch.tensor(W, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    logits = torch.from_numpy(dense) @ Wt + bt
    loss = F.cross_entropy(logits, torch.as_tensor(y)) + 0.5 * l2 * (Wt ** 2).sum()
    loss.backward()
    return loss.item(), Wt.grad.numpy(), bt.grad.numpy()
'''),
    Variant("fit_negative_velocity", "fit_softmax_regression",
            style="v = momentum * v - lr * grad; param += v (the same steps for a constant lr)", code='''
def fit_softmax_regression(X, y, n_classes, l2, lr=20.0, steps=400, momentum=0.9):
    W = np.zeros((X.shape[1], n_classes))
    b = np.zeros(n_classes)
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    losses = []
    for step in range(steps):
        loss, gW, gb = softmax_regression_loss_and_grad(W, b, X, y, l2)
        losses.append(loss)
        vW = momentum * vW - lr * gW
        vb = momentum * vb - lr * gb
        W += vW
        b += vb
    return W, b, losses
'''),
    Variant("fit_parameter_dict", "fit_softmax_regression", style="parameters and velocities in dicts", code='''
def fit_softmax_regression(X, y, n_classes, l2, lr=20.0, steps=400, momentum=0.9):
    params = {"W": np.zeros((X.shape[1], n_classes)), "b": np.zeros(n_classes)}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    history = []
    for _ in range(steps):
        loss, dW, db = softmax_regression_loss_and_grad(params["W"], params["b"], X, y, l2)
        history.append(float(loss))
        for key, grad in (("W", dW), ("b", db)):
            velocity[key] = momentum * velocity[key] + grad
            params[key] = params[key] - lr * velocity[key]
    return params["W"], params["b"], history
'''),
]

EVALUATION_VARIANTS = [
    Variant("confusion_bincount", "confusion_matrix", style="np.bincount of n_classes * true + predicted", code='''
def confusion_matrix(y_true, y_pred, n_classes):
    flat = n_classes * np.asarray(y_true) + np.asarray(y_pred)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes).astype(np.int64)
'''),
    Variant("confusion_add_at", "confusion_matrix", style="np.add.at", code='''
def confusion_matrix(y_true, y_pred, n_classes):
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix
'''),
    Variant("confusion_sklearn", "confusion_matrix", style="sklearn.metrics.confusion_matrix with labels", code='''
def confusion_matrix(y_true, y_pred, n_classes):
    from sklearn import metrics
    return metrics.confusion_matrix(y_true, y_pred, labels=np.arange(n_classes)).astype(np.int64)
'''),
    Variant("prf_sklearn", "precision_recall_f1", style="sklearn's precision_recall_fscore_support", code='''
def precision_recall_f1(y_true, y_pred, n_classes, average="macro"):
    from sklearn.metrics import precision_recall_fscore_support
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=np.arange(n_classes), average=average,
                                                 zero_division=0)
    return float(p), float(r), float(f)
'''),
    Variant("prf_python_loop", "precision_recall_f1", style="per-class counts in a Python loop", code='''
def precision_recall_f1(y_true, y_pred, n_classes, average="macro"):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if average == "micro":
        acc = float(np.mean(y_true == y_pred))
        return acc, acc, acc
    ps, rs, fs = [], [], []
    for c in range(n_classes):
        tp = np.sum((y_pred == c) & (y_true == c))
        n_pred, n_true = np.sum(y_pred == c), np.sum(y_true == c)
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_true if n_true else 0.0
        ps.append(p)
        rs.append(r)
        fs.append(2 * p * r / (p + r) if p + r else 0.0)
    return float(np.mean(ps)), float(np.mean(rs)), float(np.mean(fs))
'''),
    Variant("ece_interval_masks", "expected_calibration_error", style="a mask per interval (lo, hi]", code='''
def expected_calibration_error(probs, y, n_bins=10):
    conf = np.max(probs, axis=1)
    acc = (np.argmax(probs, axis=1) == y).astype(float)
    edges = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (conf > lo) & (conf <= hi)
        if mask.sum() > 0:
            total += mask.sum() / len(conf) * abs(acc[mask].mean() - conf[mask].mean())
    return total
'''),
    Variant("ece_digitize_bincount", "expected_calibration_error", style="np.digitize and np.bincount sums",
            code='''
def expected_calibration_error(probs, y, n_bins=10):
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    gap = np.abs(np.bincount(which, weights=correct, minlength=n_bins)
                 - np.bincount(which, weights=conf, minlength=n_bins))
    return float(gap.sum() / len(conf))
'''),
]

CNN_VARIANTS = [
    Variant("textcnn_clamp_after_max", "TextCNN",
            style="-inf outside valid windows, then clamp(min=0): ReLU features are never negative", code='''
class TextCNN(TextCNN):
    def forward(self, ids):
        emb = self.embedding(ids).permute(0, 2, 1)
        is_real = ids != self.pad_id
        features = []
        for k, conv in zip(self.widths, self.convs):
            out = torch.relu(conv(emb))
            ok = is_real.unfold(1, k, 1).all(dim=-1)
            features.append(out.masked_fill(~ok.unsqueeze(1), float("-inf")).amax(dim=-1).clamp(min=0))
        return self.fc(self.dropout(torch.cat(features, dim=-1)))
'''),
    Variant("textcnn_multiply_mask", "TextCNN",
            style="ReLU outputs multiplied by a 0/1 window mask before the max", code='''
class TextCNN(TextCNN):
    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)
        pad = (ids == self.pad_id).to(x.dtype).unsqueeze(1)
        pooled = []
        for width, conv in zip(self.widths, self.convs):
            pads_in_window = F.conv1d(pad, torch.ones(1, 1, width, dtype=x.dtype))
            keep = (pads_in_window == 0).to(x.dtype)
            pooled.append((F.relu(conv(x)) * keep).max(dim=2).values)
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))
'''),
    Variant("textcnn_per_sequence_loop", "TextCNN", style="each row cut to its real tokens, in a Python loop",
            code='''
class TextCNN(TextCNN):
    def forward(self, ids):
        rows = []
        for row in ids:
            length = int((row != self.pad_id).sum())
            x = self.embedding(row[:length]).T.unsqueeze(0)
            feats = []
            for width, conv in zip(self.widths, self.convs):
                if length >= width:
                    feats.append(F.relu(conv(x)).max(dim=2).values.squeeze(0))
                else:
                    feats.append(torch.zeros(conv.out_channels, dtype=self.fc.weight.dtype))
            rows.append(torch.cat(feats))
        return self.fc(self.dropout(torch.stack(rows)))
'''),
    Variant("curve_list_comprehension", "learning_curve", style="a helper and a list comprehension", code='''
def learning_curve(make_model, X_train, y_train, X_test, y_test, sizes, seed=0):
    perm = np.random.default_rng(seed).permutation(len(y_train))

    def accuracy(m):
        idx = perm[:m]
        model = make_model()
        model.fit(X_train[idx], y_train[idx])
        return (model.predict(X_test) == y_test).mean()

    return np.array([accuracy(m) for m in sizes], dtype=float)
'''),
    Variant("curve_error_rate", "learning_curve", style="1 - error rate with np.take and count_nonzero", code='''
def learning_curve(make_model, X_train, y_train, X_test, y_test, sizes, seed=0):
    rng = np.random.default_rng(seed)
    order = rng.permutation(y_train.shape[0])
    out = np.empty(len(sizes))
    for i, m in enumerate(sizes):
        chosen = order[:m]
        model = make_model()
        model.fit(np.take(X_train, chosen, axis=0), np.take(y_train, chosen))
        out[i] = 1.0 - np.count_nonzero(model.predict(X_test) != y_test) / len(y_test)
    return out
'''),
]

VARIANTS = TEXT_VARIANTS + MODEL_VARIANTS + EVALUATION_VARIANTS + CNN_VARIANTS
