"""Hidden checks for week 3: the public probes on other sizes, seeds and settings (dense inputs where sparse
ones were public, another alpha and momentum, a pad id other than 0, wider CNN windows, the micro average
with n_classes above every label, empty text)."""

from __future__ import annotations

from functools import partial

from coursekit.checks import Check, sibling_module
from coursekit.probing import need

public = sibling_module(__file__, "public")


def probe_tokenize_empty(ns):
    """Text without a single token: punctuation, dashes, quotes and non-ASCII letters only."""
    return public.encoded(need(ns, "tokenize")(" -- ... '' \u00e9\u00e8 (!) - ' \u201c\u201d "))


CHECKS = [
    Check("tokenize_long_text", "tokenize", partial(public.probe_tokenize, n=120, seed=201), points=1,
          description="a longer text"),
    Check("tokenize_no_tokens", "tokenize", probe_tokenize_empty, points=1,
          description="text made of separators only gives []"),
    Check("bag_of_words_larger", "bag_of_words", partial(public.probe_bag_of_words, n=30, V=25, seed=203),
          points=1, exact_dtype=True, description="30 documents over 25 words"),
    Check("tfidf_larger", "tfidf", partial(public.probe_tfidf, n=25, V=30, seed=205), points=1,
          exact_dtype=True, description="25 documents over 30 words"),
    Check("nb_fit_dense_alpha_1", "MultinomialNaiveBayes",
          partial(public.probe_nb_fit, n=20, V=15, C=4, alpha=1.0, sparse=False, seed=207), points=1,
          description="dense counts, alpha=1 (Laplace)"),
    Check("nb_fit_small_alpha", "MultinomialNaiveBayes",
          partial(public.probe_nb_fit, n=9, V=6, C=2, alpha=0.01, seed=209), points=1,
          description="alpha=0.01, two classes"),
    Check("nb_predict_log_proba_many_classes", "MultinomialNaiveBayes",
          partial(public.probe_nb_predict_log_proba, n=10, V=20, C=7, scale=50, seed=211), points=1,
          description="seven classes, medium-length documents"),
    Check("softmax_loss_grad_dense", "softmax_regression_loss_and_grad",
          partial(public.probe_softmax_loss, n=15, V=10, C=3, l2=1.5, sparse=False, seed=213), points=1,
          description="dense X, strong l2"),
    Check("fit_softmax_regression_dense_momentum_half", "fit_softmax_regression",
          partial(public.probe_fit_softmax, n=40, V=10, C=4, l2=0.01, lr=1.0, steps=15, momentum=0.5,
                  sparse=False, seed=215), points=1, description="dense X, momentum 0.5, lr 1"),
    Check("fit_softmax_regression_no_momentum", "fit_softmax_regression",
          partial(public.probe_fit_softmax, n=20, V=6, C=2, lr=0.3, steps=10, momentum=0.0, seed=217),
          points=1, description="momentum 0: plain gradient descent"),
    Check("confusion_matrix_exact_classes", "confusion_matrix",
          partial(public.probe_confusion, n=70, C=6, extra=0, seed=219), points=1, exact_dtype=True,
          description="n_classes equal to the largest label + 1"),
    Check("prf_micro_other", "precision_recall_f1",
          partial(public.probe_prf, n=90, C=6, average="micro", seed=221), points=1,
          description="micro average, six classes"),
    Check("prf_macro_other", "precision_recall_f1", partial(public.probe_prf, n=33, C=4, seed=223), points=1,
          description="macro average, four classes"),
    Check("ece_sharp", "expected_calibration_error",
          partial(public.probe_ece, n=300, C=3, n_bins=15, sharpness=6.0, seed=225), points=1,
          description="confident predictions, 15 bins"),
    Check("textcnn_pad_id_not_zero", "TextCNN", partial(public.probe_cnn_logits, seed=227, pad_id=None),
          points=1, description="the last id pads"),
    Check("textcnn_wide_windows_padding", "TextCNN",
          partial(public.probe_cnn_padding, extra=7, seed=229, pad_id=None, widths=(1, 3, 4)),
          derive=public.padding_moved, points=1, description="widths (1, 3, 4), pad id not 0, more padding"),
    Check("learning_curve_other", "learning_curve",
          partial(public.probe_learning_curve, n=120, sizes=(2, 4, 9, 30, 70, 120), curve_seed=11, seed=231),
          points=1, description="other sizes and seed, up to the whole training set"),
]
