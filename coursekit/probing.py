"""Helpers for writing probes: fetch the learner's code, make seeded inputs and weights.

Every seed a probe gives these helpers is mixed with the run's input seed (`set_input_seed`):
0 for the mentee's `check()`, validation and the released expected outputs, a secret one when
grading, so graded inputs are drawn fresh and memorising the public checks earns nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Mapping
from functools import partial
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


def call_module(module: torch.nn.Module, name: str, *args: Any, returns: tuple[str, ...] = ("output",),
                **kwargs: Any) -> dict[str, Any]:
    """`call` on a built module: its return arity and type, and inputs left unchanged, before its values."""
    return call({name: module}, name, *args, returns=returns, **kwargs)


def returned(result: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """What a direct call gave back, raw: the promised values under `names`; anything else (a lone
    value where a tuple was promised, a tuple of another length) as returned_0, returned_1, ..., so a
    wrong arity shows as missing outputs. None items (nanoGPT's `return logits, None`) are left out:
    they are no array."""
    is_tuple = isinstance(result, tuple | list)
    items = tuple(result) if is_tuple else (result,)
    if len(items) == len(names) and is_tuple == (len(names) > 1):
        return dict(zip(names, items, strict=True))
    return {f"returned_{i}": item for i, item in enumerate(items) if item is not None}


def afterwards(**inputs: torch.Tensor) -> dict[str, torch.Tensor]:
    """The probe's tensor arguments as they are after the call: a function must not modify its inputs."""
    return {f"{name}_after_call": tensor for name, tensor in inputs.items()}


def paired(probe: Callable[..., Any], derive: Callable[..., Any], **inputs: Any) -> dict[str, Any]:
    """A probe and its derive bound to the same inputs (``Check(..., **paired(...))``): the grader
    rebuilds exactly what the probe fed."""
    return {"probe": partial(probe, **inputs), "derive": partial(derive, **inputs)}


class Sizes:
    """The integer inputs of one probe (lengths, sizes, counts), drawn in order from seeds of their own.

    Each is its public value on the public inputs and drawn fresh when grading, so no table of the
    public checks can answer a graded one. A derive that needs them remakes them with the same seed.
    """

    def __init__(self, seed: int):
        self.base, self.count = 10_000 + 100 * seed, 0

    def __call__(self, public: int, low: int | None = None, high: int | None = None) -> int:
        """`public`, or at grading a fresh value from [low, high) (default: about half to twice it)
        other than `public` wherever the range has another: a table of the public checks never
        holds the answer, even to a probe whose only input is this integer."""
        self.count += 1
        low = max(1, public // 2) if low is None else low
        high = 2 * public + 1 if high is None else high
        if not low <= public < high:
            raise ValueError(f"public size {public} outside [{low}, {high})")
        if high - low == 1:
            return public
        shift = choose(0, 1, high - low, seed=self.base + self.count)  # 0 on the public inputs
        return low + (public - low + shift) % (high - low)

    def within(self, public: int, low: int, high: int) -> int:
        """`public`, or at grading any value from [low, high): for a range that depends on other
        fresh sizes (a position below a fresh length), which may not hold `public`."""
        self.count += 1
        return choose(public, low, high, seed=self.base + self.count)
