"""Hidden checks for week 2: the public probes on other shapes, seeds, hyperparameters and edge cases
(no padding or no bias, non-square kernels, overlapping windows, an empty layer list, a zero
gradient, Adam instead of SGD). As in public.py, probes return raw outputs only and every size is
drawn fresh at grading; float32 checks carry tolerances sized for float32."""

from __future__ import annotations

from functools import partial

import torch

from coursekit.checks import Check, sibling_module

public = sibling_module(__file__, "public")

CHECKS = [
    # ------------------------------------------------------------ linear, relu
    Check("linear_forward_wide", "linear_forward",
          partial(public.probe_linear_forward, N=7, d_in=12, d_out=9, seed=41), points=1, visibility="hidden",
          description="x (7, 12), weight (9, 12)"),
    Check("linear_backward_tall", "linear_backward",
          partial(public.probe_linear_backward, N=10, d_in=3, d_out=6, seed=42), points=1, visibility="hidden",
          description="a batch of 10, D_in 3, D_out 6"),
    Check("relu_backward_no_zeros", "relu_backward",
          partial(public.probe_relu_backward, shape=(7, 9), zeros=False, seed=43), points=1, visibility="hidden",
          description="a 2-D input without exact zeros"),
    # ------------------------------------------------------------ softmax cross-entropy
    Check("softmax_ce_many_classes", "softmax_cross_entropy",
          partial(public.probe_softmax_ce, N=9, C=40, scale=5.0, seed=44), derive=public.softmax_properties,
          points=1, visibility="hidden", description="40 classes, logits of scale 5"),
    Check("softmax_ce_float32_large_batch", "softmax_cross_entropy",
          partial(public.probe_softmax_ce, N=12, C=10, scale=1000.0, dtype=torch.float32, seed=45),
          derive=public.softmax_properties, points=1, visibility="hidden", exact_dtype=True,
          atol=1e-3, rtol=1e-5,  # float32: losses of ~1000 carry rounding of ~1e-4
          description="float32 logits of about +-1000, 12 x 10"),
    # ------------------------------------------------------------ gradient check
    Check("gradient_check_default_eps", "gradient_check",
          partial(public.probe_gradient_check, rows=4, cols=2, eps=None, seed=46), points=1, visibility="hidden",
          atol=1e-5,  # eps = 1e-6: float64 rounding of f (~1e-15) over 2 eps gives ~1e-9 noise, summed order differs
          description="the default eps (1e-6)"),
    Check("gradient_check_zero_gradient", "gradient_check", public.probe_gradient_check_zero, points=1,
          visibility="hidden", description="a constant function: numerical gradient 0 and rel 0.0 (and a smooth one)"),
    Check("gradient_check_wrong_gradient", "gradient_check",
          partial(public.probe_gradient_check, rows=2, cols=5, error=1.0, seed=47), points=1, visibility="hidden",
          description="an analytic gradient twice too large: rel about 1/3"),
    # ------------------------------------------------------------ optimisers
    Check("sgd_momentum_half", "sgd_momentum_step",
          partial(public.probe_sgd, n=3, steps=10, lr=0.2, momentum=0.5, seed=48), points=1, visibility="hidden",
          description="10 steps, lr 0.2, momentum 0.5"),
    Check("sgd_no_momentum", "sgd_momentum_step",
          partial(public.probe_sgd, n=4, steps=5, lr=0.1, momentum=0.0, seed=49), points=1, visibility="hidden",
          description="momentum 0: plain SGD"),
    Check("adam_custom_betas", "adam_step",
          partial(public.probe_adam, n=4, steps=12, lr=0.01, betas=(0.8, 0.99), seed=50), points=1,
          visibility="hidden", description="12 steps, betas (0.8, 0.99)"),
    # ------------------------------------------------------------ convolution and pooling
    Check("conv2d_rectangular_kernel", "conv2d",
          partial(public.probe_conv2d, H=9, W=10, kH=2, kW=4, stride=3, padding=2, seed=51), points=1,
          visibility="hidden", description="a 2x4 kernel, stride 3, padding 2"),
    Check("conv2d_no_bias_1x1", "conv2d",
          partial(public.probe_conv2d, C_in=5, C_out=2, kH=1, kW=1, bias=False, seed=52), points=1,
          visibility="hidden", description="a 1x1 kernel without bias"),
    Check("conv2d_float32", "conv2d",
          partial(public.probe_conv2d, stride=2, padding=1, dtype=torch.float32, seed=53), points=1,
          visibility="hidden", exact_dtype=True,
          atol=1e-4, rtol=1e-4,  # float32 sums of ~30 products: orders of summation differ by ~1e-6
          description="float32 in, float32 out"),
    Check("max_pool2d_overlapping", "max_pool2d",
          partial(public.probe_pool, kernel_size=3, stride=1, padding=1, shift=-2.0, seed=54), points=1,
          visibility="hidden", description="kernel 3, stride 1, padding 1"),
    Check("max_pool2d_kernel3_default_stride", "max_pool2d",
          partial(public.probe_pool, H=10, W=11, kernel_size=3, seed=55), points=1, visibility="hidden",
          description="kernel 3, default stride"),
    Check("avg_pool2d_overlapping", "avg_pool2d",
          partial(public.probe_pool, name="avg_pool2d", kernel_size=3, stride=1, padding=1, seed=56), points=1,
          visibility="hidden", description="kernel 3, stride 1, padding 1"),
    Check("avg_pool2d_kernel4", "avg_pool2d",
          partial(public.probe_pool, name="avg_pool2d", H=12, W=10, kernel_size=4, seed=57), points=1,
          visibility="hidden", description="kernel 4, default stride"),
    Check("max_pool2d_backward_stride2_kernel3", "max_pool2d_backward",
          partial(public.probe_pool_backward, H=9, W=9, kernel_size=3, stride=2, seed=58), points=1,
          visibility="hidden", description="kernel 3, stride 2"),
    Check("max_pool2d_backward_kernel2_stride1", "max_pool2d_backward",
          partial(public.probe_pool_backward, H=6, W=5, kernel_size=2, stride=1, seed=59), points=1,
          visibility="hidden", description="kernel 2, stride 1"),
    # ------------------------------------------------------------ receptive field, parameters
    Check("receptive_field_empty_and_single", "receptive_field", public.probe_receptive_field_edges,
          points=1, visibility="hidden", description="no layers (one pixel) and a single layer (its kernel)"),
    Check("receptive_field_deep", "receptive_field", partial(public.probe_receptive_field, count=8, seed=61),
          points=1, visibility="hidden", description="8 random layers"),
    Check("count_parameters_cnn", "count_parameters", partial(public.probe_count_parameters, kind="cnn", seed=62),
          points=1, visibility="hidden", description="conv, BatchNorm2d and a linear layer with a frozen bias"),
    # ------------------------------------------------------------ Bilinear, PartialConv2d
    Check("bilinear_3d_inputs", "Bilinear",
          partial(public.probe_bilinear, lead=(2, 3), in1=5, in2=2, out=3, seed=63), points=1, visibility="hidden",
          description="inputs (2, 3, 5) and (2, 3, 2): any leading dims"),
    Check("bilinear_bias_false", "Bilinear",
          partial(public.probe_bilinear, in1=3, in2=4, out=2, bias=False, seed=64), points=1, visibility="hidden",
          description="bias=False"),
    Check("partial_conv_stride2", "PartialConv2d", partial(public.probe_pconv, stride=2, padding=1, seed=65),
          points=1, visibility="hidden", description="3x3, stride 2, padding 1"),
    Check("partial_conv_kernel5_no_bias", "PartialConv2d",
          partial(public.probe_pconv, H=9, W=9, k=5, padding=2, bias=False, seed=66), points=1,
          visibility="hidden", description="5x5, padding 2, no bias"),
    Check("partial_conv_float32", "PartialConv2d", partial(public.probe_pconv, dtype=torch.float32, seed=67),
          points=1, visibility="hidden", exact_dtype=True,
          atol=1e-4, rtol=1e-4,  # float32 convolutions: orders of summation differ by ~1e-6
          description="float32 input and mask"),
    # ------------------------------------------------------------ train_epoch, evaluate
    Check("train_epoch_adam", "train_epoch",
          partial(public.probe_train_epoch, batch_sizes=(5, 5, 5, 5, 3), lr=0.01, optimizer="adam", seed=68),
          points=2, visibility="hidden", description="five batches, Adam"),
    Check("evaluate_two_batches", "evaluate", partial(public.probe_evaluate, batch_sizes=(10, 3), seed=69),
          points=1, visibility="hidden", description="batches of 10 and 3"),
]
