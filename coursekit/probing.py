"""Helpers for writing probes: fetch the learner's code, make seeded inputs and weights.

Every seed a probe gives these helpers is mixed with the run's input seed (`set_input_seed`):
0 for the mentee's `check()`, validation and the released expected outputs, a secret one when
grading, so graded inputs are drawn fresh and memorising the public checks earns nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from coursekit.errors import ProbeError


def need(ns: Mapping[str, Any], name: str) -> Any:
    """The notebook's `name`, or a ProbeError telling the learner to define it."""
    if name not in ns:
        raise ProbeError(f"`{name}` is not defined: run its cell, and keep the name given in the notebook")
    return ns[name]


_input_seed = 0  # set by the runner before each probe


def set_input_seed(seed: int) -> None:
    """Draw every later probe input from `seed` (0: the public inputs)."""
    global _input_seed
    _input_seed = seed


@contextlib.contextmanager
def drawing_from(seed: int) -> Iterator[None]:
    """Inputs drawn from `seed` inside the block: the grader runs a check's `derive` so, to remake
    exactly the inputs its probe was given."""
    before = _input_seed
    set_input_seed(seed)
    try:
        yield
    finally:
        set_input_seed(before)


def mixed(seed: int) -> int:
    """A probe's seed combined with the run's input seed; unchanged when that is 0."""
    if not _input_seed:
        return seed
    digest = hashlib.sha256(f"{_input_seed}/{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(mixed(seed))


def choose(public: int, low: int, high: int, *, seed: int) -> int:
    """An integer input (a length, a size, a count): `public` on the public inputs (check() and the
    released expected outputs), drawn from [low, high) on fresh ones, so it cannot be memorised."""
    if not _input_seed:
        return public
    return int(torch.randint(low, high, (1,), generator=generator(seed)))


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


def _described(value: Any) -> str:
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def call(ns: Mapping[str, Any], name: str, *args: Any, returns: tuple[str, ...] = ("output",),
         **kwargs: Any) -> dict[str, Any]:
    """Call the learner's `name` and check its contract before its values: named raw outputs.

    `returns` names what the docstring promises: one name for a single value, several for a
    tuple. A wrong arity or type, or an input modified in place, is a ProbeError saying so in
    one line ("returned a Tensor; expected a tuple (output, weights)"), not a confusing shape
    error later. Arguments are passed as given: use keywords where the stub has defaults, so an
    inserted parameter cannot silently take another's value.
    """
    function = need(ns, name)
    tensors = {i: a.detach().clone() for i, a in enumerate(args) if isinstance(a, torch.Tensor)}
    tensors |= {k: v.detach().clone() for k, v in kwargs.items() if isinstance(v, torch.Tensor)}
    result = function(*args, **kwargs)
    expected = f"a tuple ({', '.join(returns)})" if len(returns) > 1 else "one value, not a tuple"
    if len(returns) > 1 and (not isinstance(result, tuple | list) or len(result) != len(returns)):
        raise ProbeError(f"`{name}` returned {_described(result)}; expected {expected}")
    if len(returns) == 1 and isinstance(result, tuple | list) and not isinstance(result, torch.Size):
        raise ProbeError(f"`{name}` returned {_described(result)}; expected {expected}")
    for key, before in tensors.items():
        after = args[key] if isinstance(key, int) else kwargs[key]
        if after.shape != before.shape or not torch.equal(after.detach(), before):
            where = f"argument {key + 1}" if isinstance(key, int) else f"argument `{key}`"
            raise ProbeError(f"`{name}` modified its {where} in place; work on a copy (e.g. x = x.clone())")
    values = result if len(returns) > 1 else (result,)
    return dict(zip(returns, values, strict=True))
