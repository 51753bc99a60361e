"""Week 3's reference implementations agree with scikit-learn, its peer library, on small seeded data.

The notebook's functions are loaded the way the benchmark loads them (definitions only, no data or training
cells); each comparison takes milliseconds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("sklearn")
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support  # noqa: E402
from sklearn.naive_bayes import MultinomialNB  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
@pytest.fixture(scope="module")
def ns() -> dict:
    path = ROOT / "benchmarks" / "week03_text_classification.py"
    spec = importlib.util.spec_from_file_location("week03_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_notebook()


@pytest.fixture(scope="module")
def counts() -> tuple[sp.csr_matrix, np.ndarray]:
    gen = np.random.default_rng(0)
    X = sp.csr_matrix((gen.random((60, 25)) < 0.2) * gen.integers(1, 4, (60, 25)))
    return X, np.arange(60) % 3


def test_tokenize_matches_the_vectorizer(ns) -> None:
    texts = ["A 3.5-inch disk (U.S.A.); child's rock'n'roll 3-D -- 'ok'", "Well--known co-op's X-ray, 'tis!"]
    analyzer = TfidfVectorizer(token_pattern=r"[a-z0-9]+(?:['-][a-z0-9]+)*").build_analyzer()
    assert [ns["tokenize"](t) for t in texts] == [analyzer(t) for t in texts]


def test_tfidf_equals_tfidf_transformer(ns, counts) -> None:
    X, _ = counts
    X = X.toarray()
    X[3] = 0  # an empty document
    assert np.abs(ns["tfidf"](sp.csr_matrix(X)).toarray() - TfidfTransformer().fit_transform(X).toarray()).max() < 1e-12


def test_naive_bayes_equals_multinomial_nb(ns, counts) -> None:
    X, y = counts
    ours = ns["MultinomialNaiveBayes"](alpha=0.7).fit(X, y)
    theirs = MultinomialNB(alpha=0.7).fit(X, y)
    np.testing.assert_allclose(ours.feature_log_prob_, theirs.feature_log_prob_, atol=1e-12)
    np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X), atol=1e-10)


def test_softmax_regression_reaches_logistic_regressions_optimum(ns, counts) -> None:
    X, y = counts
    X = ns["tfidf"](X)
    W, b, losses = ns["fit_softmax_regression"](X, y, 3, l2=1 / X.shape[0], lr=5.0, steps=1500)
    sk = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X, y)
    assert losses[0] == pytest.approx(np.log(3)) and losses[-1] < losses[0]
    np.testing.assert_allclose(W, sk.coef_.T, atol=1e-4)
    np.testing.assert_allclose(b - b.mean(), sk.intercept_ - sk.intercept_.mean(), atol=1e-4)


def test_metrics_equal_sklearn(ns) -> None:
    gen = np.random.default_rng(1)
    y_true, y_pred = gen.integers(0, 4, 80), gen.integers(0, 3, 80)  # class 3 never predicted, 4 never seen
    np.testing.assert_array_equal(ns["confusion_matrix"](y_true, y_pred, 5), confusion_matrix(y_true, y_pred,
                                                                                              labels=range(5)))
    for average in ("macro", "micro"):
        theirs = precision_recall_fscore_support(y_true, y_pred, labels=range(5), average=average, zero_division=0)
        np.testing.assert_allclose(ns["precision_recall_f1"](y_true, y_pred, 5, average), theirs[:3], atol=1e-12)


def test_textcnn_ignores_padding(ns) -> None:
    import torch

    torch.manual_seed(0)
    model = ns["TextCNN"](30, 8, 4, widths=(2, 3, 5), n_filters=6).eval()
    with torch.no_grad():
        model.embedding.weight[0] = 3.0  # a pad embedding that would win every max if not masked
        ids = torch.tensor([[5, 6, 7, 8, 9, 10], [5, 6, 7, 0, 0, 0], [4, 0, 0, 0, 0, 0]])
        longer = torch.cat([ids, torch.zeros(3, 4, dtype=torch.long)], dim=1)
        torch.testing.assert_close(model(ids), model(longer), rtol=0, atol=1e-6)
