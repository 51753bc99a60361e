"""Hidden checks for week 8: the public probes on other inputs, plus the learner's GPT in generate."""

from __future__ import annotations

import torch

from coursekit.checks import Check, sibling_module
from coursekit.probing import build, generator, need, randint

public = sibling_module(__file__, "public")


def probe_generate_with_gpt(ns, seed: int = 91):
    """The learner's GPT (block_size 6) asked for more tokens than its context holds."""
    model = build(ns, "GPT", seed=seed, vocab_size=9, block_size=6, n_layer=1, n_head=2, d_model=8)
    idx = randint(0, 9, (2, 4), seed=seed + 1)
    out = need(ns, "generate")(model, idx, 7, temperature=0.8, top_k=6, generator=generator(seed + 2))
    return {"tokens": out}


def probe_lr_nanogpt(ns):
    """nanoGPT's Shakespeare schedule at the steps where mistakes show."""
    steps = [0, 1, 50, 98, 99, 100, 101, 500, 1000, 1999, 2000, 2001, 2500]
    return public.probe_cosine_lr(ns, warmup=100, max_steps=2000, max_lr=1e-3, min_lr=1e-4, steps=steps)


def probe_mask_single_row(ns):
    """A 1-D sequence with default mask_prob, repeated specials and the [MASK] id among them."""
    mask_tokens = need(ns, "mask_tokens")
    ids = randint(0, 30, (60,), seed=131)
    ids[::7] = 30
    ids[5::11] = 31
    torch.manual_seed(0)
    inputs, labels = mask_tokens(ids, (30, 31, 32), 30, 32, generator=generator(132))
    return {"inputs": inputs, "labels": labels}


CHECKS = [
    Check("get_batch_values_long", "get_batch", lambda ns: public.probe_get_batch_values(ns, 300, 16, 9, seed=101),
          points=2, description="x, y from a 300-token sequence, block 16, batch 9"),
    Check("get_batch_properties_tight", "get_batch",
          lambda ns: public.probe_get_batch_properties(ns, n=9, block_size=8, batch_size=200), points=1,
          description="a sequence one token longer than the window: one start only"),
    Check("causal_lm_loss_values_short", "causal_lm_loss",
          lambda ns: public.probe_causal_lm_loss(ns, B=1, T=2, V=5, seed=103), points=1,
          description="one sequence of two tokens: a single prediction"),
    Check("causal_lm_loss_values_long", "causal_lm_loss",
          lambda ns: public.probe_causal_lm_loss(ns, B=4, T=16, V=29, seed=105), points=1,
          description="logits (4, 16, 29)"),
    Check("mask_tokens_values_default", "mask_tokens",
          lambda ns: public.probe_mask_tokens_values(ns, B=6, T=40, mask_prob=None, seed=107), points=2,
          description="default mask_prob 0.15"),
    Check("mask_tokens_single_row", "mask_tokens", probe_mask_single_row, points=1,
          description="a 1-D sequence of ids with specials scattered through it"),
    Check("mask_tokens_rates_high", "mask_tokens", lambda ns: public.probe_mask_tokens_rates(ns, 0.4, seed=109),
          points=2, description="rates with mask_prob 0.4"),
    Check("masked_lm_loss_values_sparse", "masked_lm_loss",
          lambda ns: public.probe_masked_lm_loss(ns, B=2, T=12, V=7, keep=0.05, seed=111), points=1,
          description="very few predicted positions"),
    Check("masked_lm_loss_values_dense", "masked_lm_loss",
          lambda ns: public.probe_masked_lm_loss(ns, B=5, T=6, V=17, keep=0.6, seed=113), points=1,
          description="most positions predicted"),
    Check("gpt_logits_other_weights", "GPT", lambda ns: public.probe_model_logits(ns, "GPT", seed=115), points=2,
          description="tiny GPT with other seeded weights"),
    Check("gpt_is_causal_early_token", "GPT",
          lambda ns: public.probe_model_dependence(ns, "GPT", seed=117, position=1), points=1,
          description="changing token 1 leaves position 0 alone"),
    Check("bert_logits_other_weights", "BERT", lambda ns: public.probe_model_logits(ns, "BERT", seed=119), points=2,
          description="tiny BERT with other seeded weights"),
    Check("bert_is_bidirectional_last_token", "BERT",
          lambda ns: public.probe_model_dependence(ns, "BERT", seed=121, position=7), points=1,
          description="changing the last token changes every position"),
    Check("sample_next_token_values_other", "sample_next_token",
          lambda ns: public.probe_sample_values(ns, B=128, V=17, seed=123), points=2,
          description="128 rows of 17 logits"),
    Check("sample_next_token_distribution_other", "sample_next_token",
          lambda ns: public.probe_sample_distribution(ns, seed=125), points=2,
          description="the distribution probe with other generators"),
    Check("generate_with_gpt", "generate", probe_generate_with_gpt, points=2,
          description="your GPT, 7 new tokens from 4 with block_size 6"),
    Check("generate_plain", "generate", lambda ns: public.probe_generate(ns, seed=127), points=1,
          description="default sampling arguments"),
    Check("cosine_lr_nanogpt", "cosine_lr", probe_lr_nanogpt, points=2,
          description="warmup 100, max_steps 2000, 1e-3 to 1e-4"),
    Check("cosine_lr_no_warmup", "cosine_lr",
          lambda ns: public.probe_cosine_lr(ns, warmup=0, max_steps=50, max_lr=2.0, min_lr=0.0,
                                            steps=[0, 1, 10, 25, 49, 50, 51]), points=1,
          description="no warmup, decay to 0"),
    Check("train_step_adamw", "train_step", lambda ns: public.probe_train_step(ns, "adamw", 0.5, seed=129), points=2,
          description="three AdamW steps with clip 0.5"),
]
