"""Helpers for writing probes: fetch the learner's code, make seeded inputs and weights."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from coursekit.errors import ProbeError


def need(ns: Mapping[str, Any], name: str) -> Any:
    """The notebook's `name`, or a ProbeError telling the learner to define it."""
    if name not in ns:
        raise ProbeError(f"`{name}` is not defined: run its cell, and keep the name given in the notebook")
    return ns[name]


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(*shape: int, seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Standard-normal tensor from its own generator: independent of the global RNG state."""
    return torch.randn(*shape, generator=generator(seed), dtype=dtype)


def randint(low: int, high: int, shape: tuple[int, ...], *, seed: int) -> torch.Tensor:
    return torch.randint(low, high, shape, generator=generator(seed))


@torch.no_grad()
def seeded_weights(module: torch.nn.Module, seed: int, scale: float = 0.5) -> torch.nn.Module:
    """Fill every parameter (in name order) with seeded N(0, scale^2) values and cast to float64.

    Given `__init__`s fix the parameter names, so the reference and the learner's module get
    identical weights and their outputs are comparable.
    """
    gen = generator(seed)
    module = module.double()
    for _, param in sorted(module.named_parameters(), key=lambda item: item[0]):
        param.copy_(torch.randn(param.shape, generator=gen, dtype=torch.float64) * scale)
    return module.eval()


def build(
    ns: Mapping[str, Any], name: str, *args: Any, seed: int, scale: float = 0.5, **kwargs: Any
) -> torch.nn.Module:
    """Construct the learner's module `name` and give it seeded float64 weights."""
    cls = need(ns, name)
    try:
        module = cls(*args, **kwargs)
    except NotImplementedError:
        raise
    except TypeError as exc:
        raise ProbeError(f"`{name}{args}` could not be built ({exc}); keep the given __init__ signature") from exc
    if not isinstance(module, torch.nn.Module):
        raise ProbeError(f"`{name}` must be an nn.Module subclass")
    return seeded_weights(module, seed, scale)
