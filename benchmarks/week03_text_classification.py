"""Benchmark week 3's reference TF-IDF, naive Bayes and softmax regression against scikit-learn.

The master notebook's functions (tokenize, build_vocab, bag_of_words, tfidf, MultinomialNaiveBayes,
softmax_regression_loss_and_grad, fit_softmax_regression, precision_recall_f1) are executed from
source/week03_text_classification/text_classification.ipynb and run side by side, in this process, with
scikit-learn's TfidfVectorizer, MultinomialNB(alpha=1.0) and LogisticRegression (lbfgs) on the same data,
vocabulary, features and splits (train -> test) of both week-3 tasks:

- TF-IDF: ours (tokenize + bag_of_words + tfidf) vs TfidfVectorizer(token_pattern=<the same rule>); the
  largest absolute difference of the train matrices, and the time of each.
- naive Bayes on the count matrix: test accuracy, macro-F1, the largest |difference| of the predicted log
  probabilities, fit and predict times.
- softmax regression on the TF-IDF matrix with scikit-learn's default C = 1, i.e. our l2 = 1 / n (section 4
  of the notebook), 400 momentum steps of lr = 3 C (the notebook's stable step). For the binary task
  scikit-learn fits one logistic weight vector w; our two softmax columns at the optimum are -w/2 and w/2,
  whose penalty is half of w's, so the same objective is C = 2 there. Both solutions are scored with our
  objective (mean cross-entropy + l2 / 2 ||W||^2).

    python benchmarks/week03_text_classification.py              # a few minutes on 2 cores
    python benchmarks/week03_text_classification.py --steps 100   # quicker, less converged

Targets (the week-3 issue): equal accuracy within 0.5 point; naive Bayes fit within 2x scikit-learn's time.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import importlib.metadata
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "week03_text_classification" / "text_classification.ipynb"
DATA = ROOT / "data"
TOKEN_PATTERN = r"[a-z0-9]+(?:['-][a-z0-9]+)*"  # the notebook's tokenize rule
SIX = ("noun.animal", "noun.artifact", "noun.food", "noun.location", "noun.person", "noun.plant")
DEFINITIONS = (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def load_notebook(path: Path = NOTEBOOK) -> dict[str, Any]:
    """The notebook's imports, functions and classes (not its data or training cells), in a fresh namespace."""
    ns: dict[str, Any] = {"__name__": "week03_notebook"}
    for index, cell in enumerate(nbformat.read(str(path), as_version=4).cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type != "code" or tags & {"train", "gpu-extra"} or cell.source.startswith("check("):
            continue
        keep = [node for node in ast.parse(cell.source).body if isinstance(node, DEFINITIONS)
                and not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("coursekit"))
                and not (isinstance(node, ast.Import) and node.names[0].name.startswith("matplotlib"))]
        exec(compile(ast.Module(body=keep, type_ignores=[]), f"{path.name}[{index}]", "exec"), ns)
    return ns


def read_tsv(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f][1:]


def tasks() -> dict[str, dict[str, Any]]:
    """Both week-3 tasks: texts and labels per split, and the number of classes."""
    wordnet = [(text, SIX.index(lexname), split) for _, lexname, split, text
               in read_tsv(DATA / "wordnet_glosses" / "supersenses.tsv.gz") if lexname in SIX]
    sotu = [(text, ("democratic", "republican").index(party), split) for *_, party, split, text
            in read_tsv(DATA / "sotu_party" / "passages.tsv.gz")]
    out = {}
    for name, rows, C in (("WordNet supersenses (6 classes)", wordnet, 6), ("SOTU party (binary)", sotu, 2)):
        out[name] = {"C": C} | {f"{key}_{split}": [row[i] for row in rows if row[2] == split]
                                for split in ("train", "test") for i, key in ((0, "text"), (1, "y"))}
        out[name]["y_train"], out[name]["y_test"] = np.array(out[name]["y_train"]), np.array(out[name]["y_test"])
    return out


def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    """(result, best wall time in seconds over `repeat` runs)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def scores(ns: dict[str, Any], y: np.ndarray, pred: np.ndarray, C: int) -> tuple[float, float]:
    return float(np.mean(pred == y)), ns["precision_recall_f1"](y, pred, C, "macro")[2]


def run_task(ns: dict[str, Any], task: dict[str, Any], steps: int, repeat: int) -> dict[str, Any]:
    C, y_train, y_test = task["C"], task["y_train"], task["y_test"]
    figures: dict[str, Any] = {"n_train": len(y_train), "n_test": len(y_test)}

    # ---- TF-IDF: the whole pipeline from raw text, ours vs scikit-learn's
    def ours_features():
        docs = [ns["tokenize"](t) for t in task["text_train"]]
        vocab = ns["build_vocab"](docs)
        counts = ns["bag_of_words"](docs, vocab)
        return vocab, counts, ns["tfidf"](counts)

    (vocab, counts, X_ours), t_ours = timed(ours_features, repeat)
    vectorizer = TfidfVectorizer(token_pattern=TOKEN_PATTERN)
    X_sk, t_sk = timed(lambda: vectorizer.fit_transform(task["text_train"]), repeat)
    assert sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get) == sorted(vocab, key=vocab.get)
    figures["tfidf"] = {"vocabulary": len(vocab), "max_abs_diff": float(abs(X_ours - X_sk).max()),
                        "ours_s": t_ours, "sklearn_s": t_sk, "time_ratio": t_ours / t_sk}

    test_counts = ns["bag_of_words"]([ns["tokenize"](t) for t in task["text_test"]], vocab)
    idf = vectorizer.idf_  # equal to ours (checked above through the matrices); transforms test like fit
    X_train, X_test = X_sk, vectorizer.transform(task["text_test"])
    assert abs(X_test - ns["weighted"](test_counts, idf)).max() < 1e-12

    # ---- multinomial naive Bayes on counts
    ours, t_fit = timed(lambda: ns["MultinomialNaiveBayes"](alpha=1.0).fit(counts, y_train, n_classes=C), repeat)
    sk, t_fit_sk = timed(lambda: MultinomialNB(alpha=1.0).fit(counts, y_train), repeat)
    log_p, t_pred = timed(lambda: ours.predict_log_proba(test_counts), repeat)
    log_p_sk, t_pred_sk = timed(lambda: sk.predict_log_proba(test_counts), repeat)
    (acc, f1), (acc_sk, f1_sk) = scores(ns, y_test, log_p.argmax(1), C), scores(ns, y_test, log_p_sk.argmax(1), C)
    figures["naive_bayes"] = {
        "accuracy": acc, "accuracy_sklearn": acc_sk, "macro_f1": f1, "macro_f1_sklearn": f1_sk,
        "max_abs_diff_log_proba": float(np.abs(log_p - log_p_sk).max()),
        "fit_s": t_fit, "fit_s_sklearn": t_fit_sk, "fit_ratio": t_fit / t_fit_sk,
        "predict_s": t_pred, "predict_s_sklearn": t_pred_sk, "predict_ratio": t_pred / t_pred_sk,
    }

    # ---- softmax regression on TF-IDF, scikit-learn's C = 1 objective
    n = X_train.shape[0]
    l2 = 1.0 / n
    lr = 3.0 * C  # the notebook's stable step: the bias's curvature is at most 1 / C
    (W, b, losses), t_fit = timed(lambda: ns["fit_softmax_regression"](X_train, y_train, C, l2, lr=lr, steps=steps))
    sk_lr, t_fit_sk = timed(lambda: LogisticRegression(C=1.0 if C > 2 else 2.0, max_iter=1000).fit(X_train, y_train))
    if C == 2:  # one weight vector w: the softmax columns at the optimum are -w/2 and w/2
        W_sk = np.hstack([-sk_lr.coef_.T / 2, sk_lr.coef_.T / 2])
        b_sk = np.array([-sk_lr.intercept_[0] / 2, sk_lr.intercept_[0] / 2])
    else:
        W_sk, b_sk = sk_lr.coef_.T, sk_lr.intercept_
    pred, t_pred = timed(lambda: (np.asarray(X_test @ W) + b).argmax(1), repeat)
    pred_sk, t_pred_sk = timed(lambda: sk_lr.predict(X_test), repeat)
    (acc, f1), (acc_sk, f1_sk) = scores(ns, y_test, pred, C), scores(ns, y_test, pred_sk, C)
    objective = ns["softmax_regression_loss_and_grad"]
    figures["softmax_regression"] = {
        "l2": l2, "lr": lr, "steps": steps, "sklearn_iterations": int(np.max(sk_lr.n_iter_)),
        "objective": objective(W, b, X_train, y_train, l2)[0],
        "objective_sklearn": objective(W_sk, b_sk, X_train, y_train, l2)[0],
        "accuracy": acc, "accuracy_sklearn": acc_sk, "macro_f1": f1, "macro_f1_sklearn": f1_sk,
        "prediction_agreement": float(np.mean(pred == pred_sk)),
        "fit_s": t_fit, "fit_s_sklearn": t_fit_sk, "fit_ratio": t_fit / t_fit_sk,
        "predict_s": t_pred, "predict_s_sklearn": t_pred_sk, "predict_ratio": t_pred / t_pred_sk,
    }
    return figures


def show(name: str, f: dict[str, Any]) -> None:
    t, nb, lr = f["tfidf"], f["naive_bayes"], f["softmax_regression"]
    print(f"\n== {name}: {f['n_train']:,} train / {f['n_test']:,} test, vocabulary {t['vocabulary']:,}")
    print(f"TF-IDF from raw text   ours {t['ours_s']:.2f} s  sklearn {t['sklearn_s']:.2f} s  "
          f"ratio {t['time_ratio']:.2f}x  max |diff| {t['max_abs_diff']:.1e}")
    print(f"naive Bayes            accuracy {nb['accuracy']:.4f} vs {nb['accuracy_sklearn']:.4f}  "
          f"macro-F1 {nb['macro_f1']:.4f} vs {nb['macro_f1_sklearn']:.4f}  "
          f"max |diff log p| {nb['max_abs_diff_log_proba']:.1e}")
    print(f"                       fit {nb['fit_s'] * 1e3:.1f} ms vs {nb['fit_s_sklearn'] * 1e3:.1f} ms "
          f"(ratio {nb['fit_ratio']:.2f}x)  predict {nb['predict_s'] * 1e3:.1f} ms vs "
          f"{nb['predict_s_sklearn'] * 1e3:.1f} ms (ratio {nb['predict_ratio']:.2f}x)")
    print(f"softmax regression     accuracy {lr['accuracy']:.4f} vs {lr['accuracy_sklearn']:.4f}  "
          f"macro-F1 {lr['macro_f1']:.4f} vs {lr['macro_f1_sklearn']:.4f}  "
          f"same predictions {lr['prediction_agreement']:.4f}")
    print(f"                       objective {lr['objective']:.6f} vs {lr['objective_sklearn']:.6f} "
          f"({lr['steps']} momentum steps vs {lr['sklearn_iterations']} L-BFGS iterations)")
    print(f"                       fit {lr['fit_s']:.2f} s vs {lr['fit_s_sklearn']:.2f} s "
          f"(ratio {lr['fit_ratio']:.2f}x)  predict {lr['predict_s'] * 1e3:.1f} ms vs "
          f"{lr['predict_s_sklearn'] * 1e3:.1f} ms (ratio {lr['predict_ratio']:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="momentum steps of fit_softmax_regression")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs for the fast timings")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ns = load_notebook()
    print(f"scikit-learn {importlib.metadata.version('scikit-learn')}, scipy {importlib.metadata.version('scipy')}, "
          f"numpy {np.__version__}; timings are wall-clock, best of {args.repeat} for the fast ones")
    figures = {name: run_task(ns, task, args.steps, args.repeat) for name, task in tasks().items()}
    for name, f in figures.items():
        show(name, f)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
