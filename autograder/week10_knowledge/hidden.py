"""Hidden checks for week 10: the public probes on other sizes, seeds and edge cases. As in
public.py, probes return raw outputs only and properties are derived in the grader."""

from __future__ import annotations

from functools import partial

from coursekit.checks import Check, sibling_module
from coursekit.probing import paired

public = sibling_module(__file__, "public")

CHECKS = [
    Check("make_biographies_single_hidden", "make_biographies",
          partial(public.probe_make_biographies, augment=1, seed=2), points=1,
          description="augment=1 on other people and templates"),
    Check("make_biographies_augmented_hidden", "make_biographies",
          partial(public.probe_make_biographies, augment=4, seed=3), points=2,
          description="augment=4 on other people and templates"),
    Check("candidate_logprob_long_prompt", "candidate_logprob",
          partial(public.probe_candidate_logprob, P=9, K=5, V=17, seed=17), points=2,
          description="a 5-token candidate after a 9-token prompt"),
    Check("candidate_logprob_one_token_prompt", "candidate_logprob",
          partial(public.probe_candidate_logprob, P=1, K=4, seed=19), points=1,
          description="a 1-token prompt"),
    Check("rank_candidates_many", "rank_candidates",
          partial(public.probe_rank_candidates, P=5, lengths=(1, 5, 2, 3, 1, 4, 2), V=19, seed=25), points=2,
          description="seven candidates of lengths 1 to 5"),
    Check("rank_candidates_single_tokens", "rank_candidates",
          partial(public.probe_rank_candidates, P=2, lengths=(1, 1, 1, 1), seed=27), points=1,
          description="one-token candidates only: no padding at all"),
    Check("precision_at_1_all_tied", "precision_at_k",
          partial(public.probe_precision_at_k, levels=1, seed=35), points=1,
          description="every score equal: P@1 must be 0"),
    Check("precision_at_k_hidden", "precision_at_k",
          partial(public.probe_precision_at_k, N=70, C=9, k=4, levels=3, seed=37), points=1,
          description="P@4 of 70 rows of 9 tied scores"),
    Check("mrr_all_tied", "mean_reciprocal_rank",
          partial(public.probe_mean_reciprocal_rank, levels=1, seed=43), points=1,
          description="every score equal: the gold answer ranks last"),
    Check("mrr_hidden", "mean_reciprocal_rank",
          partial(public.probe_mean_reciprocal_rank, N=60, C=10, levels=5, seed=49), points=1,
          description="MRR of 60 rows of 10 tied scores"),
    Check("hidden_states_deep", "hidden_states",
          partial(public.probe_hidden_states, layer=3, n_layer=5, B=3, T=7, seed=57), points=1,
          description="layer 3 of a 5-block toy LM"),
    Check("hidden_states_last_single_block", "hidden_states",
          partial(public.probe_hidden_states, layer="last", n_layer=1, seed=59), points=1,
          description="a 1-block model's last layer"),
    Check("train_linear_probe_hidden", "train_linear_probe",
          **paired(public.probe_train_linear_probe, public.probe_predictions, N=80, d=7, n_classes=4, l2=3e-2,
                   seed=65), points=2, values=False,
          atol=1e-5, rtol=1e-4,  # as train_linear_probe_values
          description="80 points, 7 features, 4 classes"),
    Check("train_linear_probe_two_classes", "train_linear_probe",
          **paired(public.probe_train_linear_probe, public.probe_predictions, N=40, d=3, n_classes=2, l2=1e-3,
                   seed=67), points=1, values=False, atol=1e-5, rtol=1e-4,  # as train_linear_probe_values
          description="two classes, weak penalty"),
    Check("layer_probe_accuracy_hidden", "layer_probe_accuracy",
          partial(public.probe_layer_probe_accuracy, L=6, N=60, d=4, n_classes=4, seed=73), points=2,
          description="6 layers, 60 people, 4 classes"),
    Check("rank_one_edit_hidden", "rank_one_edit",
          **paired(public.probe_rank_one_edit, public.edit_properties, d_out=7, d_in=3, seed=87), points=2,
          description="W (7, 3)"),
    Check("rank_one_edit_square_hidden", "rank_one_edit",
          **paired(public.probe_rank_one_edit, public.edit_properties, d_out=6, d_in=6, seed=89), points=1,
          description="a square W (6, 6)"),
]
