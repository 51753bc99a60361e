"""Hidden checks for week 9: the public probes on other inputs and edge cases (a prompt that fits the
block, EOS as the very first token, an example that fits exactly or is cut inside its prompt, a batch
of one, a single-token response, DPO at the start of training where policy equals reference). As in
public.py, probes return raw outputs only, compared with the answer key's."""

from __future__ import annotations

from functools import partial

import torch

from coursekit.checks import Check, sibling_module
from coursekit.probing import Sizes, call

public = sibling_module(__file__, "public")


def probe_dpo_at_start(ns, seed: int = 171):
    """Policy equal to reference (the first DPO step): loss log 2, zero rewards, gradient beta/2 (+/-)."""
    B = Sizes(seed)(5, 1, 10)
    chosen, rejected = (public.randn(B, seed=seed + i) - 15.0 for i in range(2))
    inputs = [t.clone().requires_grad_() for t in (chosen, rejected, chosen, rejected)]
    out = call(ns, "dpo_loss", *inputs, 0.1, returns=("loss", "chosen_rewards", "rejected_rewards"))
    out["loss"].backward()
    return out | {"grad_policy_chosen": inputs[0].grad, "grad_policy_rejected": inputs[1].grad}


CHECKS = [
    Check("format_prompt_long_instruction", "format_prompt", partial(public.probe_format_prompt, seed=101), points=1,
          visibility="hidden", description="a longer instruction and input"),
    Check("format_example_other", "format_example", partial(public.probe_format_example, seed=103), points=1,
          visibility="hidden", description="other instruction, input and response"),
    Check("generate_short_prompt", "generate_response",
          partial(public.probe_generate, seed=105, prompt_len=3, block_size=8, new=12, stop_at=6), points=1,
          visibility="hidden", description="a prompt shorter than block_size, EOS after several tokens"),
    Check("generate_eos_first", "generate_response",
          partial(public.probe_generate, seed=107, stop_at=0), points=1, visibility="hidden",
          description="EOS is the first token the model writes: an empty response"),
    Check("exact_match_other", "exact_match",
          partial(public.probe_exact_match, seed=109, counts=(1, 3, 1, 2, 1, 3)), points=1, visibility="hidden",
          description="other counts of each kind of prediction"),
    Check("build_sft_example_exact_fit", "build_sft_example",
          partial(public.probe_build_sft_example, seed=111, prompt_len=5, response_len=1, extra=0), points=1,
          exact_dtype=True, visibility="hidden", description="max_len = prompt + response + 1: no padding, EOS last"),
    Check("build_sft_example_cut_in_prompt", "build_sft_example",
          partial(public.probe_build_sft_example, seed=113, prompt_len=8, response_len=2, extra=-20), points=1,
          exact_dtype=True, visibility="hidden", description="max_len shorter than the prompt: nothing supervised"),
    Check("collate_batch_of_two", "collate", partial(public.probe_collate, seed=115, B=2), points=1,
          exact_dtype=True, visibility="hidden", description="two pairs"),
    Check("sequence_logprob_no_padding", "sequence_logprob",
          partial(public.probe_sequence_logprob, seed=117, B=2, T=14, V=13), points=1, visibility="hidden",
          description="other sizes"),
    Check("sft_loss_other", "sft_loss", partial(public.probe_sft_loss, seed=119, B=6, T=7, V=5), points=1,
          visibility="hidden", description="a batch of 6, short sequences"),
    Check("sft_loss_float32_large_logits", "sft_loss",
          partial(public.probe_sft_loss, seed=121, scale=60.0, dtype=torch.float32), points=1,
          atol=1e-3, rtol=1e-5,  # float32 losses of ~100: correct formulas differ by float32 rounding
          visibility="hidden", description="float32 logits spread over +-300: a finite loss"),
    Check("dpo_loss_at_start", "dpo_loss", probe_dpo_at_start, points=1, visibility="hidden",
          description="policy equal to reference: loss log 2, zero rewards"),
    Check("dpo_loss_small_beta", "dpo_loss", partial(public.probe_dpo_loss, seed=123, B=4, beta=0.05, spread=10.0),
          points=1, visibility="hidden", description="beta 0.05, larger log-probability differences"),
    Check("preference_logps_other", "preference_logps",
          partial(public.probe_preference_logps, seed=125, B=5, T=6, V=11), points=1, visibility="hidden",
          description="5 pairs, other lengths"),
]
