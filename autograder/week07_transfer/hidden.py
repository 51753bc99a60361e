"""Hidden checks for week 7: the public probes on other seeds and sizes (a larger vocabulary with few
known words, deeper encoders, a longer pooling batch, a probe with more classes and strong
regularisation, a near-exact rotation), raw outputs compared as in public.py."""

from __future__ import annotations

from functools import partial

from coursekit.checks import Check, sibling_module
from coursekit.probing import paired

public = sibling_module(__file__, "public")

CHECKS = [
    Check("embedding_matrix_mostly_oov", "build_embedding_matrix",
          partial(public.probe_embedding_matrix, seed=101, n_pre=30, V=25, known=3, d=6), points=2,
          exact_dtype=True, description="25 words, 3 of them pretrained, 6-d vectors"),
    Check("embedding_matrix_oov_statistics_other", "build_embedding_matrix",
          **paired(public.probe_embedding_statistics, public.oov_statistics, seed=103), points=1,
          description="OOV statistics with other inputs"),
    Check("load_embeddings_frozen_other", "load_pretrained_embeddings",
          partial(public.probe_load, freeze=True, seed=111), points=1, exact_dtype=True,
          description="loading with freeze=True, other sizes"),
    Check("tie_weights_other", "tie_weights", partial(public.probe_tie, seed=121), points=1,
          description="tying, other sizes"),
    Check("freeze_other", "freeze", partial(public.probe_freeze, seed=131), points=1,
          description="freezing and unfreezing, other sizes"),
    Check("lr_groups_deep", "layerwise_lr_groups",
          **paired(partial(public.probe_lr_groups, seed=141, n_layer=5), public.lr_of_parameter), points=2,
          description="5 blocks, other base rate and decay"),
    Check("masked_mean_pool_other", "masked_mean_pool", partial(public.probe_mean_pool, seed=151), points=1,
          description="masked mean, other sizes"),
    Check("masked_mean_pool_holes_other", "masked_mean_pool", partial(public.probe_mean_pool_holes, seed=153),
          points=1, description="a mask with holes, other sizes"),
    Check("cls_pool_other", "cls_pool", partial(public.probe_cls_pool, seed=161), points=1,
          description="CLS pooling, other sizes"),
    Check("head_cls_train_dropout", "ClassificationHead",
          partial(public.probe_head, seed=171, pooling="cls", train=True), points=1,
          description="CLS pooling in train mode with dropout"),
    Check("head_mean_eval_other", "ClassificationHead", partial(public.probe_head, seed=173), points=1,
          description="mean pooling, other sizes"),
    Check("linear_probe_strong_l2", "linear_probe",
          partial(public.probe_linear_probe, seed=181, l2=50.0, N=90, M=50, D=7, K=5), points=2,
          description="5 classes, 7-d features, l2 50"),
    Check("linear_probe_offset_other", "linear_probe",
          partial(public.probe_linear_probe, seed=183, offset=3.0), points=1,
          description="another offset"),
    Check("procrustes_exact_rotation", "procrustes",
          **paired(partial(public.probe_procrustes, seed=191, noise=1e-3, n=40, d=6), public.orthogonality),
          points=2, description="an almost exact rotation (noise 1e-3), 40 x 6"),
]
