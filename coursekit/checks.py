"""The seam between course content and tooling: check and mistake definitions.

A week's folder `autograder/<week>/` holds three plain Python files:

- `public.py`: ``CHECKS = [Check(...), ...]``; shipped with the release so mentees can run them.
- `hidden.py`: ``CHECKS = [...]`` used only for grading; may reuse probes from public.py via
  ``public = sibling_module(__file__, "public")``.
- `mistakes.py`: ``MISTAKES = [Mistake(...), ...]``: known wrong implementations, as code.
- `variants.py`: ``VARIANTS = [Variant(...), ...]``: correct alternative implementations, as code,
  in the styles learners really write; each must earn full marks.

A probe takes the namespace of an executed notebook and returns named raw outputs: what the
learner's code returned on the probe's inputs (tensors, arrays, numbers), nothing computed from
them. It runs in the learner's process, where learner code can patch anything, so every
derived quantity (row sums, maxima, how much earlier positions moved, sampled frequencies) is
computed by the check's `derive`, in the grader, from the raw outputs read back as arrays.
Expected outputs are never written by hand: they are the probe's (and derive's) outputs on the
reference solution. The same definition serves the mentee's `check()`, grading, feedback and
mistake diagnosis.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from coursekit.errors import CheckDefinitionError

Namespace = Mapping[str, Any]
Probe = Callable[[Namespace], Mapping[str, Any]]
Outputs = Mapping[str, Any]  # output name -> array (raw outputs arrive as numpy arrays)
Derive = Callable[[Outputs], Outputs]


@dataclass(frozen=True)
class Check:
    """One graded check of one function.

    atol/rtol: the comparison is |learner - expected| <= atol + rtol * |expected|, in float64
    where the probe feeds float64. Loosen only with a comment saying why.

    derive: computes properties from the raw outputs in the grader (trusted), e.g. the largest
    row-sum error of attention weights. The properties are compared with the reference's, and
    so are the raw outputs themselves unless `values=False`: a property every correct answer
    shares (rows sum to 1, earlier positions do not move) is also met by trivial bodies
    (uniform weights, an identity block), so it alone must never earn points. Set `values=False`
    only where correct answers differ in their raw outputs (sampling), and then derive numbers
    that only a correct answer matches (frequencies close to the reference's probabilities).
    """

    name: str  # unique within the week; shown to learners
    function: str  # the graded function or class in the notebook
    probe: Probe
    points: float = 1.0
    description: str = ""  # what is checked, in words a learner understands
    atol: float = 1e-6
    rtol: float = 1e-6
    timeout_s: float | None = None  # None: course_config's limits.check_timeout_s
    visibility: Literal["public", "hidden"] = "public"
    derive: Derive | None = None
    values: bool = True  # compare the raw outputs too (see derive)
    exact_dtype: bool = False  # the docstring states a dtype (float32 tables, int64 ids): the kind is not enough
    integration: bool = False  # runs the learner's whole code (no answer-key isolation); reported apart


@dataclass(frozen=True)
class Mistake:
    """A catalogued wrong implementation: `code` redefines `function` (and only it)."""

    name: str  # e.g. "no_scaling"
    function: str
    hint: str  # one line addressed to the learner: "your attention is not scaled by 1/sqrt(d_k)"
    code: str


@dataclass(frozen=True)
class Variant:
    """An accepted alternative: `code` redefines `function` correctly, in another style; it must earn full marks."""

    name: str  # e.g. "attention_fill_minus_1e9"
    function: str
    code: str
    style: str = ""  # what differs from the key, in a few words: "fills masked scores with -1e9"


@dataclass(frozen=True)
class WeekChecks:
    checks: tuple[Check, ...]
    mistakes: tuple[Mistake, ...]
    folder: Path
    variants: tuple[Variant, ...] = ()

    @property
    def alternatives(self) -> tuple[Mistake | Variant, ...]:
        """Every catalogued implementation the reference run also executes: mistakes, then variants."""
        return self.mistakes + self.variants

    @property
    def public(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.visibility == "public")

    def for_function(self, function: str) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.function == function)

    @property
    def graded(self) -> set[str]:
        """The names of every graded function and class."""
        return {c.function for c in self.checks}

    def by_name(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)


def load_module(path: Path, source: str | None = None) -> Any:
    """Import a Python file under a name unique to its path (weeks may share file names).

    With `source`, the module is made from that text as if it were the file at `path`: the
    grading sandbox gets hidden.py this way, so the file never exists where learner code runs.
    """
    path = path.resolve()
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    name = f"_coursekit_{path.parent.name}_{path.stem}_{digest}".replace("-", "_")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        if source is None:
            spec.loader.exec_module(module)
        else:
            exec(compile(source, str(path), "exec"), module.__dict__)
    except Exception as exc:
        del sys.modules[name]
        raise CheckDefinitionError(f"{path}: cannot be imported ({type(exc).__name__}: {exc})") from exc
    return module


def sibling_module(file: str, name: str) -> Any:
    """Import `name`.py from the folder of `file`: lets hidden.py reuse public.py's probes."""
    return load_module(Path(file).parent / f"{name}.py")


def _listed(path: Path, attribute: str, kind: type, source: str | None = None) -> tuple:
    if source is None and not path.is_file():
        return ()
    items = getattr(load_module(path, source), attribute, None)
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, kind) for i in items):
        raise CheckDefinitionError(f"{path}: define {attribute} = [{kind.__name__}(...), ...]")
    return tuple(items)


def load_checks(folder: Path, *, hidden: bool = True) -> WeekChecks:
    """Load a week's checks (public, and hidden unless told not to) and its mistake catalogue."""
    if not (folder / "public.py").is_file():
        raise CheckDefinitionError(f"{folder}: no public.py; a week needs CHECKS in public.py")
    public = _listed(folder / "public.py", "CHECKS", Check)
    hidden_checks = _listed(folder / "hidden.py", "CHECKS", Check) if hidden else ()
    checks = public + tuple(replace(c, visibility="hidden") for c in hidden_checks)
    for check in public:
        if check.visibility != "public":
            raise CheckDefinitionError(
                f"{folder / 'public.py'}: check {check.name} is not public; move it to hidden.py")
    names = [c.name for c in checks]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise CheckDefinitionError(f"{folder}: check names must be unique, repeated: {', '.join(duplicated)}")
    bad = [n for n in names if "/" in n or not n]
    if bad:
        raise CheckDefinitionError(f"{folder}: check names may not be empty or contain '/': {bad}")
    mistakes = _listed(folder / "mistakes.py", "MISTAKES", Mistake) if hidden else ()
    variants = _listed(folder / "variants.py", "VARIANTS", Variant) if hidden else ()
    alternative_names = [a.name for a in mistakes + variants]
    repeated = sorted({n for n in alternative_names if alternative_names.count(n) > 1})
    if repeated:
        raise CheckDefinitionError(f"{folder}: mistake and variant names must be unique: {', '.join(repeated)}")
    return WeekChecks(checks=checks, mistakes=mistakes, folder=folder, variants=variants)


def load_hidden(folder: Path, source: str, public: tuple[Check, ...]) -> tuple[Check, ...]:
    """Hidden checks from the text of hidden.py, loaded as `folder`/hidden.py (the grading sandbox)."""
    checks = tuple(replace(c, visibility="hidden") for c in _listed(folder / "hidden.py", "CHECKS", Check, source))
    names = [c.name for c in public + checks]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise CheckDefinitionError(f"{folder}: check names must be unique, repeated: {', '.join(duplicated)}")
    return checks
