"""Hidden checks for week 1: the public probes on other sizes, seeds and settings (unsmoothed PPMI,
other eigenvalue weightings, a dense input to the SVD, k = 1, other noise exponents, a wrong gradient
for gradient_check) and float-range stress inputs where the numerics matter (SGNS scores of about
+-1000, where log(sigmoid(x)) is -inf and exp(-x) overflows)."""

from __future__ import annotations

from functools import partial

import torch

from coursekit.checks import Check, sibling_module

public = sibling_module(__file__, "public")

CHECKS = [
    # ------------------------------------------------------------ build_vocab
    Check("build_vocab_min_count_one", "build_vocab",
          partial(public.probe_build_vocab, n_words=20, min_count=1, max_count=4, seed=2), points=1, exact_dtype=True,
          description="20 words, min_count 1: every word kept"),
    Check("build_vocab_high_min_count", "build_vocab",
          partial(public.probe_build_vocab, n_words=16, min_count=5, max_count=9, seed=3), points=1, exact_dtype=True,
          description="min_count 5: words seen exactly 5 times are kept"),
    # ------------------------------------------------------------ cooccurrence_matrix
    Check("cooccurrence_wide_window", "cooccurrence_matrix",
          partial(public.probe_cooccurrence, n=40, vocab_size=9, window=4, weighted=False, seed=13), points=1,
          exact_dtype=True, description="window 4 over 9 words, weighted=False given"),
    Check("cooccurrence_weighted_window_one", "cooccurrence_matrix",
          partial(public.probe_cooccurrence, n=25, vocab_size=5, window=1, weighted=True, seed=14), points=1,
          description="window 1, weighted: neighbours only"),
    # ------------------------------------------------------------ ppmi
    Check("ppmi_alpha_one", "ppmi", partial(public.probe_ppmi, n_words=8, n_contexts=6, alpha=1.0, seed=22),
          points=1, exact_dtype=True, description="alpha = 1: plain PPMI"),
    Check("ppmi_strong_smoothing", "ppmi", partial(public.probe_ppmi, n_words=10, n_contexts=12, alpha=0.5, seed=23),
          points=1, exact_dtype=True, description="alpha = 0.5, more words than contexts"),
    # ------------------------------------------------------------ svd_embeddings
    Check("svd_embeddings_classic_lsa", "svd_embeddings",
          partial(public.probe_svd, n=10, m=8, dim=4, eig_power=1.0, seed=32), derive=public.svd_invariants,
          values=False, points=1, description="p = 1: U Sigma"),
    Check("svd_embeddings_unweighted_dense", "svd_embeddings",
          partial(public.probe_svd, n=8, m=11, dim=2, eig_power=0.0, sparse=False, seed=33),
          derive=public.svd_invariants, values=False, points=1, description="p = 0 on a dense ndarray: U alone"),
    # ------------------------------------------------------------ nearest_neighbours / analogy
    Check("nearest_neighbours_all_others", "nearest_neighbours",
          partial(public.probe_neighbours, V=8, d=3, k=7, seed=42), points=1,
          description="k = V - 1: every other word, in order"),
    Check("analogy_top1_many", "analogy", partial(public.probe_analogy, V=25, d=6, Q=12, k=None, seed=53),
          points=1, exact_dtype=True, description="12 questions, default k (1)"),
    Check("analogy_3cosmul_more", "analogy",
          partial(public.probe_analogy, V=20, d=3, Q=8, k=4, method="mul", seed=54), points=1, exact_dtype=True,
          description="3CosMul, k = 4"),
    # ------------------------------------------------------------ sampling
    Check("subsample_keep_prob_small_t", "subsample_keep_prob",
          partial(public.probe_keep_prob, n=25, t=1e-4, top=20000, seed=62), points=1, exact_dtype=True,
          description="t = 1e-4 on a larger vocabulary"),
    Check("negative_sampling_other_powers", "negative_sampling_distribution",
          partial(public.probe_noise, n=15, power=0.5, seed=72), points=1, exact_dtype=True,
          description="power 0.5"),
    Check("negative_sampling_unigram", "negative_sampling_distribution",
          partial(public.probe_noise, n=6, power=1.0, seed=73), points=1, exact_dtype=True,
          description="power 1: the unigram distribution"),
    Check("skipgram_pairs_window_one", "skipgram_pairs",
          partial(public.probe_skipgram, n=15, V=5, window=1, seed=82), points=1, exact_dtype=True,
          description="window 1: every reduced window is 1"),
    Check("skipgram_pairs_long", "skipgram_pairs",
          partial(public.probe_skipgram, n=60, V=12, window=5, seed=83), points=1, exact_dtype=True,
          description="60 ids, window 5"),
    # ------------------------------------------------------------ sgns_loss_and_grads
    Check("sgns_numpy_one_pair", "sgns_loss_and_grads",
          partial(public.probe_sgns_numpy, B=1, K=1, d=3, seed=92), points=1,
          description="B = 1, K = 1"),
    Check("sgns_numpy_large_scores", "sgns_loss_and_grads",
          partial(public.probe_sgns_numpy, B=3, K=4, d=6, scale=15.0, seed=93), points=1,
          atol=1e-6, rtol=1e-9,  # losses of ~1e3 are exact to ~1e-13 relative in float64
          description="scores of about +-1000: a stable log-sigmoid gives a finite loss"),
    # ------------------------------------------------------------ gradient_check
    Check("gradient_check_wrong_gradient", "gradient_check",
          partial(public.probe_gradient_check, shape=(5,), wrong=True, seed=102), points=1,
          description="an analytic gradient that is wrong: the relative error shows it"),
    Check("gradient_check_default_eps", "gradient_check",
          partial(public.probe_gradient_check, shape=(2, 3, 2), eps=None, seed=103), points=1,
          description="a (2, 3, 2) array with the default eps"),
    # ------------------------------------------------------------ SkipGramNS
    Check("skipgram_module_more_negatives", "SkipGramNS",
          partial(public.probe_skipgram_module, V=7, d=4, B=8, K=6, seed=112), points=1,
          description="8 pairs, 6 negatives each (words repeat within the batch)"),
    Check("skipgram_module_float32_large_scores", "SkipGramNS",
          partial(public.probe_skipgram_module, V=9, d=8, B=4, K=2, scale=20.0, dtype=torch.float32, seed=113),
          points=1, atol=1e-2, rtol=1e-4,  # float32 losses of ~1e4
          description="float32 weights with scores in the thousands: logsigmoid stays finite"),
    # ------------------------------------------------------------ evaluate_similarity
    Check("evaluate_similarity_no_oov", "evaluate_similarity",
          partial(public.probe_similarity, V=14, d=5, n_pairs=15, n_oov=0, seed=122), points=1,
          description="every pair in the vocabulary: coverage 1"),
    Check("evaluate_similarity_many_oov", "evaluate_similarity",
          partial(public.probe_similarity, V=8, d=3, n_pairs=16, n_oov=6, seed=123), points=1,
          description="6 of 16 pairs with a word outside the vocabulary"),
]
