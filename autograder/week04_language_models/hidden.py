"""Hidden checks for week 4: the public probes on other orders, sizes and seeds (bigram and 4-gram
counts, trigram MLE and add-1, 4-gram interpolation, unigram and 4-gram Kneser-Ney, a bigram model's
perplexity, a trigram character model's bits per character, unigram sampling, float32 modules, one-step
RNNs, a stream that divides evenly). As in public.py, probes return raw outputs only; properties are
derived in the grader."""

from __future__ import annotations

from functools import partial

import torch

from coursekit.checks import Check, sibling_module
from coursekit.probing import paired

public = sibling_module(__file__, "public")

CHECKS = [
    Check("ngram_counts_bigrams", "ngram_counts", partial(public.probe_ngram_counts, n=2, seed=211), points=1,
          description="bigram counts"),
    Check("ngram_counts_fourgrams", "ngram_counts", partial(public.probe_ngram_counts, n=4, seed=213), points=1,
          description="4-gram counts: three <s>"),
    Check("mle_prob_trigram", "mle_prob", **paired(public.probe_mle, public.row_sums, n=3, seed=221), points=1,
          description="trigram MLE"),
    Check("mle_prob_unigram", "mle_prob", **paired(public.probe_mle, public.row_sums, n=1, seed=223), points=1,
          description="unigram MLE: the empty context"),
    Check("add_k_prob_trigram_add_one", "add_k_prob",
          **paired(public.probe_add_k, public.row_sums, n=3, k=1.0, seed=231), points=1,
          description="trigram add-1"),
    Check("add_k_prob_small_k", "add_k_prob",
          **paired(public.probe_add_k, public.row_sums, n=2, k=0.01, seed=233), points=1,
          description="bigram add-0.01"),
    Check("interpolated_prob_fourgram", "interpolated_prob",
          **paired(public.probe_interpolated, public.row_sums, n=4, seed=241), points=1,
          description="orders 1-4 interpolated"),
    Check("interpolated_prob_bigram", "interpolated_prob",
          **paired(public.probe_interpolated, public.row_sums, n=2, seed=243), points=1,
          description="orders 1-2 interpolated"),
    Check("kneser_ney_unigram", "KneserNey",
          **paired(public.probe_kneser_ney, public.row_sums, n=1, discount=0.6, seed=251), points=1,
          description="unigram Kneser-Ney: raw counts discounted, then uniform"),
    Check("kneser_ney_fourgram", "KneserNey",
          **paired(public.probe_kneser_ney, public.row_sums, n=4, discount=0.9, seed=253, longer=2), points=2,
          description="4-gram Kneser-Ney (D=0.9), contexts 2 tokens longer than needed"),
    Check("perplexity_bigram", "perplexity", partial(public.probe_perplexity, n=2, seed=261), points=1,
          description="perplexity of a toy bigram model"),
    Check("bits_per_char_char_trigram", "bits_per_char",
          partial(public.probe_bits_per_char, n=3, seed=271, tokenizer="chars"), points=1,
          description="bits per character of a toy character trigram model"),
    Check("sample_sentence_unigram_short", "sample_sentence",
          partial(public.probe_sample_sentence, n=1, max_len=3, draws=8, seed=281), points=1,
          description="8 sentences from a toy unigram model, max_len 3"),
    Check("sample_sentence_bigram", "sample_sentence",
          partial(public.probe_sample_sentence, n=2, max_len=12, draws=5, seed=283), points=1,
          description="5 sentences from a toy bigram model, max_len 12"),
    Check("neural_ngram_direct_float32", "NeuralNGramLM",
          partial(public.probe_neural_ngram, direct=True, seed=291, dtype=torch.float32), points=1,
          atol=1e-5, rtol=1e-5,  # float32 rounding of correct formulas
          description="direct connections, float32"),
    Check("gru_cell_other_sizes", "GRUCell", partial(public.probe_gru_cell, seed=301), points=1,
          description="another step, other sizes"),
    Check("rnnlm_other_sizes", "RNNLM", partial(public.probe_rnnlm, seed=311), points=1,
          description="another model and sequence"),
    Check("batchify_even", "batchify", partial(public.probe_batchify, length=24, batch_size=3, seed=321),
          points=1, exact_dtype=True, description="a stream that divides evenly: nothing dropped"),
    Check("detach_hidden_other", "detach_hidden",
          **paired(public.probe_detach, public.still_attached, seed=331), points=1,
          description="another state"),
]
