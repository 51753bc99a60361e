"""Hidden checks for week 8: the public probes on other inputs, the sampling edge cases (ties at the
k-th logit, top_k >= the vocabulary, top_k = 0, greedy with the other options set), BERT's train
mode and contract, and a tiny GPT inside generate. As in public.py, probes return raw outputs only;
properties are derived in the grader (paired binds a probe and its derive to the same
inputs), and the raw outputs are compared too except where any order of random draws is accepted."""

from __future__ import annotations

from functools import partial

import torch

from coursekit.checks import Check, sibling_module
from coursekit.probing import Sizes, build, call, generator, paired, randint

public = sibling_module(__file__, "public")

# other probabilities than public.ROWS, so the public draws say nothing about these
OTHER_ROWS = (
    (0.05, 0.12, 0.33, 0.08, 0.22, 0.20),
    (0.26, 0.07, 0.36, 0.16, 0.05, 0.10),
)


def probe_generate_with_gpt(ns, seed: int = 91):
    """A tiny GPT (block_size 6 on the public-style sizes, the answer key's while generate is checked)
    asked for more tokens than its context holds; every size drawn fresh when grading."""
    size = Sizes(seed)
    V, block_size, n_head = size(9, 4), size(6, 3, 10), size(2, 1, 3)
    model = build(ns, "GPT", seed=seed, vocab_size=V, block_size=block_size, n_layer=size(1, 1, 3),
                  n_head=n_head, d_model=n_head * size(4, 2, 7))
    T = size.within(4, 1, block_size + 1)
    idx = randint(0, V, (size(2, 1), T), seed=seed + 1)
    new = size.within(7, block_size - T + 1, block_size + 5)  # more than the context holds
    return call(ns, "generate", model, idx, new, temperature=0.8, top_k=public.fresh_top_k(6, V, seed=seed + 508),
                generator=generator(seed + 2), returns=("tokens",))


def probe_mask_single_row(ns, seed: int = 131):
    """A 1-D sequence with default mask_prob, repeated specials and the [MASK] id among them."""
    size = Sizes(seed)
    V = size(30, 4)
    ids = randint(0, V, (size(60, 12),), seed=seed)
    ids[::7] = V
    ids[5::11] = V + 1
    torch.manual_seed(0)
    return call(ns, "mask_tokens", ids, (V, V + 1, V + 2), V, V + 2, generator=generator(seed + 1),
                returns=("inputs", "labels"))


def sampling(seed: int, rows=public.ROWS, **options) -> dict:
    """A distribution check's probe and derive for one setting of the sampling options."""
    return paired(public.probe_sample_distribution, public.sampled_frequencies, seed=seed, rows=rows,
                         **options)


CHECKS = [
    # ------------------------------------------------------------ get_batch
    Check("get_batch_values_long", "get_batch",
          partial(public.probe_get_batch_values, n=300, block_size=16, batch_size=9, seed=101),
          points=2, exact_dtype=True, description="x, y from a 300-token sequence, block 16, batch 9"),
    Check("get_batch_properties_tight", "get_batch",
          **paired(public.probe_get_batch_properties, public.batch_properties, n=10, block_size=8,
                          batch_size=200), points=1, exact_dtype=True,
          description="a sequence two tokens longer than the window: two starts only"),
    # ------------------------------------------------------------ causal_lm_loss
    Check("causal_lm_loss_values_short", "causal_lm_loss",
          partial(public.probe_causal_lm_loss, B=1, T=2, V=5, seed=103), points=1,
          description="one sequence of two tokens: a single prediction"),
    Check("causal_lm_loss_values_long", "causal_lm_loss",
          partial(public.probe_causal_lm_loss, B=4, T=16, V=29, seed=105), points=1,
          description="logits (4, 16, 29)"),
    # ------------------------------------------------------------ mask_tokens
    Check("mask_tokens_values_default", "mask_tokens",
          partial(public.probe_mask_tokens_values, B=6, T=40, mask_prob=None, seed=107), points=2,
          description="default mask_prob 0.15"),
    Check("mask_tokens_single_row", "mask_tokens", probe_mask_single_row, points=1,
          description="a 1-D sequence of ids with specials scattered through it"),
    Check("mask_tokens_rates_high", "mask_tokens",
          **paired(public.probe_mask_tokens_rates, public.masking_rates, mask_prob=0.4, seed=109),
          points=2, values=False,  # any order of draws is accepted here: only the rates are compared
          description="rates with mask_prob 0.4"),
    # ------------------------------------------------------------ masked_lm_loss
    Check("masked_lm_loss_values_sparse", "masked_lm_loss",
          partial(public.probe_masked_lm_loss, B=2, T=12, V=7, keep=0.05, seed=111), points=1,
          description="very few predicted positions"),
    Check("masked_lm_loss_values_dense", "masked_lm_loss",
          partial(public.probe_masked_lm_loss, B=5, T=6, V=17, keep=0.6, seed=113), points=1,
          description="most positions predicted"),
    # ------------------------------------------------------------ GPT
    Check("gpt_logits_other_weights", "GPT", partial(public.probe_model_logits, name="GPT", seed=115), points=2,
          description="tiny GPT with other seeded weights"),
    Check("gpt_is_causal_early_token", "GPT",
          **paired(public.probe_model_dependence, public.positions_moved, name="GPT", seed=117, position=1),
          points=1, description="changing token 1 leaves position 0 alone"),
    # ------------------------------------------------------------ BERT
    Check("bert_logits_other_weights", "BERT", partial(public.probe_model_logits, name="BERT", seed=119), points=2,
          description="tiny BERT with other seeded weights"),
    Check("bert_is_bidirectional_last_token", "BERT",
          **paired(public.probe_model_dependence, public.positions_moved, name="BERT", seed=121, position=-1),
          points=1, description="changing the last token changes every position"),
    Check("bert_train_mode_dropout", "BERT", partial(public.probe_model_train_mode, name="BERT", seed=122), points=1,
          description="a tiny BERT with dropout 0.3 in train mode, dropout drawn from a seeded RNG"),
    Check("bert_contract", "BERT", partial(public.probe_model_contract, name="BERT", seed=124), points=1,
          description="forward returns the logits alone and leaves idx unchanged"),
    # ------------------------------------------------------------ sample_next_token
    Check("sample_plain", "sample_next_token", **sampling(123, OTHER_ROWS), points=1, **public.SAMPLING_TOLERANCE,
          description="no options: the model's own distribution"),
    Check("sample_temperature_high", "sample_next_token", **sampling(125, OTHER_ROWS, temperature=2.0), points=1,
          **public.SAMPLING_TOLERANCE, description="temperature 2 flattens"),
    # k from [2, 4): the k-th largest probability ties with the next one in the first row (in both for k = 2)
    Check("sample_top_k_ties", "sample_next_token", **sampling(127, public.TIED_ROWS, top_k=2, k_range=(2, 4)),
          points=1,
          **public.SAMPLING_TOLERANCE,
          description="top-k 2 where logits tie with the 2nd largest: every tied token is kept"),
    Check("sample_top_k_at_least_vocab", "sample_next_token", **sampling(129, OTHER_ROWS, top_k=10), points=1,
          **public.SAMPLING_TOLERANCE, description="top-k 10 over 6 tokens: nothing is removed"),
    Check("sample_top_k_zero", "sample_next_token", **sampling(131, OTHER_ROWS, top_k=0), points=1,
          **public.SAMPLING_TOLERANCE, description="top_k = 0 turns top-k off"),
    Check("sample_top_p_other", "sample_next_token", **sampling(133, top_p=0.78), points=1,
          **public.SAMPLING_TOLERANCE, description="top-p 0.78"),
    Check("sample_temperature_then_top_p", "sample_next_token", **sampling(135, temperature=3.0, top_p=0.5), points=1,
          **public.SAMPLING_TOLERANCE, description="temperature 3, then top-p 0.5 on the flattened distribution"),
    Check("sample_all_options", "sample_next_token",
          **sampling(137, temperature=2.0, top_k=3, top_p=0.59), points=1, **public.SAMPLING_TOLERANCE,
          description="temperature 2, top-k 3 and top-p 0.59 together"),
    Check("sample_greedy_with_options", "sample_next_token",
          partial(public.probe_sample_greedy, B=32, V=17, seed=139, top_k=3, top_p=0.5), points=1, exact_dtype=True,
          description="temperature 0 with top-k and top-p set: still the argmax"),
    # ------------------------------------------------------------ generate
    Check("generate_with_gpt", "generate", probe_generate_with_gpt, points=2,
          description="a tiny GPT, 7 new tokens from 4 with block_size 6"),
    Check("generate_plain", "generate", partial(public.probe_generate, seed=141), points=1,
          description="default sampling arguments"),
    Check("generate_greedy", "generate", partial(public.probe_generate, seed=143, temperature=0.0), points=1,
          description="temperature 0: greedy continuation"),
    # ------------------------------------------------------------ cosine_lr
    Check("cosine_lr_nanogpt", "cosine_lr",  # nanoGPT's Shakespeare schedule at the steps where mistakes show
          partial(public.probe_cosine_lr, warmup=100, max_steps=2000, max_lr=1e-3, min_lr=1e-4,
                  steps=[0, 1, 50, 98, 99, 100, 101, 500, 1000, 1999, 2000, 2001, 2500]), points=2,
          description="warmup 100, max_steps 2000, 1e-3 to 1e-4"),
    Check("cosine_lr_no_warmup", "cosine_lr",
          partial(public.probe_cosine_lr, warmup=0, max_steps=50, max_lr=2.0, min_lr=0.0,
                  steps=[0, 1, 10, 25, 49, 50, 51]), points=1,
          description="no warmup, decay to 0"),
    # ------------------------------------------------------------ train_step
    Check("train_step_adamw", "train_step", partial(public.probe_train_step, optimizer="adamw", clip=0.5, seed=129),
          points=2, description="three AdamW steps with clip 0.5"),
    # ------------------------------------------------------------ count_parameters, flops_per_token
    Check("count_parameters_minigpt", "count_parameters",
          partial(public.probe_count_parameters, seed=301, vocab_size=65, block_size=64, n_layer=4, n_head=4,
                  head_size=32), points=1, exact_dtype=True, description="miniGPT's sizes, tied"),
    Check("count_parameters_one_layer_untied", "count_parameters",
          partial(public.probe_count_parameters, tied=False, seed=303, n_layer=1, n_head=1, head_size=5), points=1,
          exact_dtype=True, description="one layer, one head, untied"),
    Check("flops_per_token_long_context", "flops_per_token",
          partial(public.probe_flops_per_token, seed=305, vocab_size=50, block_size=512, n_layer=3, n_head=2,
                  head_size=16), points=1, exact_dtype=True,
          description="a context of 512: the attention term matters"),
    # ------------------------------------------------------------ forward_with_cache
    Check("forward_with_cache_one_past_token", "forward_with_cache",
          **paired(public.probe_forward_with_cache, public.cache_matches_forward, T=8, past=1, seed=307), points=1,
          description="1 token, then 7 with its cache"),
    # ------------------------------------------------------------ generate_with_cache
    Check("generate_with_cache_long_prompt", "generate_with_cache",
          **paired(public.probe_generate_with_cache, public.same_tokens, T=10, new=5, seed=309, top_p=0.8),
          points=1, description="a prompt longer than block_size, top-p 0.8"),
    Check("generate_with_cache_greedy", "generate_with_cache",
          **paired(public.probe_generate_with_cache, public.same_tokens, T=2, new=6, seed=311, temperature=0.0),
          points=1, description="greedy decoding"),
    # ------------------------------------------------------------ merge_pair
    Check("merge_pair_other", "merge_pair", partial(public.probe_merge_pair, n=9, symbols=2, seed=313), points=1,
          description="9 ids over 2 symbols"),
    Check("merge_pair_runs_long", "merge_pair",
          partial(public.probe_merge_pair, n=40, symbols=2, same_ids=True, seed=315), points=1,
          description="long runs of the same id"),
    # ------------------------------------------------------------ train_bpe
    Check("train_bpe_ascii", "train_bpe",
          partial(public.probe_train_bpe, n_words=120, merges=25, seed=317, alphabet="abcabcaddde "), points=1,
          description="25 merges on 120 ASCII words"),
    Check("train_bpe_other_text", "train_bpe", partial(public.probe_train_bpe, n_words=40, merges=8, seed=319),
          points=1, description="8 merges on 40 other words"),
    Check("train_bpe_ties_other", "train_bpe", partial(public.probe_train_bpe_ties, seed=321), points=1,
          description="other distinct words, ties"),
    # ------------------------------------------------------------ bpe_encode
    Check("bpe_encode_other", "bpe_encode", partial(public.probe_bpe_encode, n_words=50, n_merges=60, seed=323),
          points=1, description="other words and merges"),
    # ------------------------------------------------------------ bpe_decode
    Check("bpe_decode_other", "bpe_decode", partial(public.probe_bpe_decode, n=60, n_merges=20, seed=325),
          points=1, description="other ids and merges"),
]
