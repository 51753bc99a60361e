"""Public checks for week 10 (language models as knowledge bases). Shipped with the release;
hidden.py reuses the probes with other inputs.

Probes make seeded inputs, call the learner's function and return what it returned: nothing is
computed from it in the learner's process (where torch and this module can be patched). Properties
(whether the edited matrix maps the key to the value, how far other keys moved, a probe's predicted
probabilities) are computed by each check's `derive`, in the grader, from the raw outputs read back
as numpy arrays; a derive that needs the probe's inputs remakes them with the same seeds.

Every function is checked alone: the models given to candidate_logprob, rank_candidates and
hidden_states are the small causal `ToyLM` below (seeded float64 weights, the attribute names of the
notebook's GPT: tok_emb, pos_emb, blocks, ln_f, head), never the learner's GPT; layer_probe_accuracy
is given a nearest-class-mean `fit` of this module, never the learner's train_linear_probe.

Contracts before values: probes call through `coursekit.probing.call`, which says in one line when
a function returns the wrong number of values or modifies an input in place; rank_one_edit's
contract check calls it directly and returns W afterwards, so the mistake catalogue can name an
in-place update. Every size (people, templates, vocabulary, lengths, widths, layers, classes, k)
is drawn with `Sizes`: its public value here, a fresh one when grading.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn as nn

from coursekit.checks import Check
from coursekit.deriving import computable, largest
from coursekit.errors import ProbeError
from coursekit.probing import (
    Sizes,
    afterwards,
    call,
    generator,
    need,
    paired,
    randint,
    randn,
    returned,
    seeded_weights,
)

# ---------------------------------------------------------------- make_biographies

FIRST = ("Ada", "Ben", "Cleo", "Dov", "Eve", "Finn", "Gia", "Hal", "Ines", "Jon", "Kai", "Lia")
LAST = ("Ash", "Birch", "Cole", "Dale", "Ford", "Gray", "Hart", "Knox", "Lowe", "Moss")
VALUES = {
    "city": ("Lyon", "Bern", "Quito", "Perth", "Kyoto", "Turin", "San Jose", "La Paz"),
    "school": ("Rice University", "Brown University", "Duke University", "Tufts", "Emory"),
    "pet": ("a cat", "a dog", "two parrots", "a goat", "no pet"),
    "sport": ("chess", "golf", "judo", "table tennis", "rowing"),
}
PHRASES = {  # template kinds per attribute; a check takes the first T of each
    "city": ("{subject} lived in {value} .", "{subject} moved to {value} .", "{subject} settled in {value} .",
             "{subject} stayed in {value} .", "{subject} returned to {value} ."),
    "school": ("{subject} went to {value} .", "{subject} enrolled at {value} .", "{subject} attended {value} .",
               "{subject} taught at {value} .", "{subject} visited {value} ."),
    "pet": ("{subject} owned {value} .", "{subject} adopted {value} .", "{subject} looked after {value} .",
            "{subject} fed {value} .", "{subject} walked {value} ."),
    "sport": ("{subject} played {value} .", "{subject} practised {value} .", "{subject} coached {value} .",
              "{subject} enjoyed {value} .", "{subject} watched {value} ."),
}


def world(n_people: int, n_attributes: int, n_templates: int, seed: int) -> tuple[list[dict], dict]:
    """(people, templates): distinct names, values drawn from VALUES, the first attributes and templates."""
    attributes = list(VALUES)[:n_attributes]
    names = torch.randperm(len(FIRST) * len(LAST), generator=generator(seed))[:n_people].tolist()
    people = []
    for i, n in enumerate(names):
        first = FIRST[n % len(FIRST)]
        person = {"name": f"{first} {LAST[n // len(FIRST)]}", "pronoun": "She" if n % 2 else "He"}
        for a in attributes:
            pool = VALUES[a]
            person[a] = pool[int(torch.randint(len(pool), (1,), generator=generator(seed + 100 + i)))]
        people.append(person)
    return people, {a: list(PHRASES[a][:n_templates]) for a in attributes}


def probe_make_biographies(ns, augment: int = 3, seed: int = 1):
    """Biographies of a few people; the text comes back as UTF-8 bytes (lines joined by newlines)."""
    size = Sizes(seed)
    n_people, n_attributes, n_templates = size(4, 2, 8), size(3, 2, 5), size(3, 2, 6)
    augment = augment if augment == 1 else size(augment, 2, 6)
    people, templates = world(n_people, n_attributes, n_templates, seed)
    torch.manual_seed(0)  # an implementation that ignores `generator` still gives a fixed answer
    bios = need(ns, "make_biographies")(people, templates, augment, generator(seed + 1))
    if not isinstance(bios, list) or not all(isinstance(b, str) for b in bios):
        raise ProbeError(f"`make_biographies` returned {type(bios).__name__}; expected a list of strings")
    return {"text": np.frombuffer("\n".join(bios).encode("utf-8"), dtype=np.uint8), "count": len(bios)}


# ---------------------------------------------------------------- the toy language model


class ToyBlock(nn.Module):
    """A causal residual block: each position adds a function of the running mean of positions <= it."""

    def __init__(self, d: int):
        super().__init__()
        self.mix = nn.Linear(d, d)
        self.mlp = nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        counts = torch.arange(1, x.shape[1] + 1, dtype=x.dtype)[:, None]
        x = x + torch.tanh(self.mix(x.cumsum(dim=1) / counts))
        return x + torch.tanh(self.mlp(x))


class ToyLM(nn.Module):
    """A small causal LM with the notebook GPT's attribute names: ids (B, T) -> logits (B, T, V)."""

    def __init__(self, vocab_size: int, d: int, n_layer: int, block_size: int = 32):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, d)
        self.pos_emb = nn.Embedding(block_size, d)
        self.blocks = nn.ModuleList([ToyBlock(d) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def toy_lm(V: int, d: int, n_layer: int, seed: int, sharpness: float = 1.0,
           dtype: torch.dtype = torch.float64) -> ToyLM:
    model = seeded_weights(ToyLM(V, d, n_layer), seed, scale=0.7)
    with torch.no_grad():
        model.head.weight *= sharpness
    return model.to(dtype)


# ---------------------------------------------------------------- candidate_logprob


def probe_candidate_logprob(ns, P: int = 4, K: int = 3, V: int = 11, sharpness: float = 1.0,
                            dtype: torch.dtype = torch.float64, seed: int = 11):
    size = Sizes(seed)
    P, K, V = size(P, 1, 2 * P + 1), size(K, 1, 2 * K + 1), size(V, 5)
    model = toy_lm(V, size(6, 3), size(2, 1, 4), seed, sharpness, dtype)
    prompt, candidate = randint(0, V, (P,), seed=seed + 1), randint(0, V, (K,), seed=seed + 2)
    return call(ns, "candidate_logprob", model, prompt, candidate, returns=("logprob",))


# ---------------------------------------------------------------- rank_candidates


def probe_rank_candidates(ns, P: int = 3, lengths: tuple[int, ...] = (2, 1, 4, 3, 1), V: int = 13, seed: int = 21):
    """Candidates of different lengths (distinct, so no two scores tie): scores and order."""
    size = Sizes(seed)
    P, V = size(P, 1), size(V, 8)
    lengths = [size(n, 1, 6) for n in lengths] + [size(2, 1, 5) for _ in range(size(0, 0, 4))]
    model = toy_lm(V, size(6, 3), size(2, 1, 4), seed)
    prompt = randint(0, V, (P,), seed=seed + 1)
    candidates = [randint(0, V, (n,), seed=seed + 10 + i) for i, n in enumerate(lengths)]
    return call(ns, "rank_candidates", model, prompt, candidates, returns=("scores", "order"))


# ---------------------------------------------------------------- precision_at_k, mean_reciprocal_rank


def tied_scores(N: int, C: int, levels: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(scores (N, C) float64 with many ties: whole numbers in [0, levels); gold (N,))."""
    scores = randint(0, levels, (N, C), seed=seed).double()
    return scores, randint(0, C, (N,), seed=seed + 1)


def on_prefixes(ns, name: str, scores: torch.Tensor, gold: torch.Tensor, *rest, returns: str) -> dict[str, list]:
    """The metric of the first third, two thirds and all of the rows: one number could be answered
    by a constant body, three over different rows cannot."""
    cuts = (len(gold) // 3, 2 * len(gold) // 3, len(gold))
    return {returns: [call(ns, name, scores[:n], gold[:n], *rest, returns=(returns,))[returns] for n in cuts]}


def probe_precision_at_k(ns, N: int = 40, C: int = 6, k: int = 1, levels: int = 4, seed: int = 31):
    size = Sizes(seed)
    N, C = size(N, 20), size(C, 3)
    k = k if k == 1 else size.within(k, 2, C)
    scores, gold = tied_scores(N, C, levels, seed)
    return on_prefixes(ns, "precision_at_k", scores, gold, k, returns="precision")


def probe_mean_reciprocal_rank(ns, N: int = 40, C: int = 6, levels: int = 4, seed: int = 41):
    size = Sizes(seed)
    scores, gold = tied_scores(size(N, 20), size(C, 3), levels, seed)
    return on_prefixes(ns, "mean_reciprocal_rank", scores, gold, returns="mrr")


def probe_ranks_continuous(ns, name: str, N: int = 30, C: int = 7, seed: int = 45):
    """Continuous scores: no ties, where every correct ranking agrees with the plain sort."""
    size = Sizes(seed)
    N, C = size(N, 10), size(C, 3)
    scores, gold = randn(N, C, seed=seed), randint(0, C, (N,), seed=seed + 1)
    rest = (size(3, 2, C),) if name == "precision_at_k" else ()
    return on_prefixes(ns, name, scores, gold, *rest, returns="value")


# ---------------------------------------------------------------- hidden_states


def count_hooks(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def probe_hidden_states(ns, layer: int | str = 1, n_layer: int = 3, B: int = 2, T: int = 5, seed: int = 51):
    """The hidden state at `layer` (an int, or "last" for n_layer), whether it needs grad, and the
    number of hooks the model holds afterwards."""
    size = Sizes(seed)
    middle = layer not in (0, "last")  # a block strictly inside: the model needs at least two
    n_layer, B, T, V = size(n_layer, 2 if middle else 1, 6), size(B, 1), size(T, 2, 12), size(9, 4)
    layer = n_layer if layer == "last" else layer if layer == 0 else size.within(layer, 1, n_layer)
    model = toy_lm(V, size(6, 3), n_layer, seed)
    ids = randint(0, V, (B, T), seed=seed + 1)
    out = call(ns, "hidden_states", model, ids, layer, returns=("hidden",))
    hidden = out["hidden"]
    return out | {"requires_grad": bool(getattr(hidden, "requires_grad", False)), "hooks_left": count_hooks(model)}


# ---------------------------------------------------------------- train_linear_probe


def probe_data(N: int, d: int, n_classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, d) float64 and labels (N,) from a noisy linear rule: separable only in part."""
    x = randn(N, d, seed=seed)
    logits = x @ randn(d, n_classes, seed=seed + 1) * 2 + randn(N, n_classes, seed=seed + 2)
    return x, logits.argmax(dim=1)


def probe_sizes(N: int, d: int, n_classes: int, seed: int) -> tuple[int, int, int]:
    size = Sizes(seed)
    return size(N, 30, 2 * N + 1), size(d, 2), size(n_classes, 2, 6)


def probe_train_linear_probe(ns, N: int = 60, d: int = 5, n_classes: int = 3, l2: float = 1e-2, steps: int = 100,
                             seed: int = 61):
    N, d, n_classes = probe_sizes(N, d, n_classes, seed)
    x, y = probe_data(N, d, n_classes, seed)
    return call(ns, "train_linear_probe", x, y, n_classes, l2=l2, steps=steps, returns=("W", "b"))


def probe_predictions(raw, N: int = 60, d: int = 5, n_classes: int = 3, l2: float = 1e-2, steps: int = 100,
                      seed: int = 61):
    """W, the bias up to a constant (the softmax ignores a shift of b), and the probabilities that
    (W, b) give to 50 other points: unique, because the objective is strictly convex in W."""
    N, d, n_classes = probe_sizes(N, d, n_classes, seed)
    held_out = randn(50, d, seed=seed + 3).numpy()

    def probabilities():
        z = held_out @ np.asarray(raw["W"], dtype=np.float64).T + np.asarray(raw["b"], dtype=np.float64)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    return computable(
        W_fitted=lambda: np.asarray(raw["W"], dtype=np.float64).reshape(n_classes, d),
        b_centred=lambda: np.asarray(raw["b"], dtype=np.float64).reshape(n_classes) - np.mean(raw["b"]),
        probabilities=probabilities,
    )


# ---------------------------------------------------------------- layer_probe_accuracy


def nearest_mean_fit(features: torch.Tensor, labels: torch.Tensor, n_classes: int):
    """A deterministic classifier to pass as `fit`: W = class means, b = -|mean|^2 / 2 (-1e9 for a
    class without rows)."""
    W = torch.zeros(n_classes, features.shape[1], dtype=features.dtype)
    b = torch.full((n_classes,), -1e9, dtype=features.dtype)
    for c in range(n_classes):
        rows = features[labels == c]
        if len(rows):
            W[c] = rows.mean(dim=0)
            b[c] = -0.5 * (W[c] ** 2).sum()
    return W, b


def layered_data(L: int, N: int, d: int, n_classes: int, seed: int):
    """features (L, N, d): class signal growing with the layer, under noise; labels; is_train."""
    labels = randint(0, n_classes, (N,), seed=seed)
    centres = randn(n_classes, d, seed=seed + 1)
    strength = torch.linspace(0.2, 2.0, L, dtype=torch.float64)[:, None, None]
    features = strength * centres[labels][None] + randn(L, N, d, seed=seed + 2)
    is_train = torch.rand(N, generator=generator(seed + 3)) < 0.6
    return features, labels, is_train


def probe_layer_probe_accuracy(ns, L: int = 4, N: int = 40, d: int = 3, n_classes: int = 3, seed: int = 71):
    size = Sizes(seed)
    L, N, d, n_classes = size(L, 1), size(N, 20), size(d, 2), size(n_classes, 2, 6)
    features, labels, is_train = layered_data(L, N, d, n_classes, seed)
    fit = partial(nearest_mean_fit, n_classes=n_classes)
    return call(ns, "layer_probe_accuracy", features, labels, is_train, fit, returns=("accuracy",))


# ---------------------------------------------------------------- rank_one_edit


def edit_inputs(d_out: int, d_in: int, seed: int):
    """W, key, value, C = K^T K / n + 0.1 I from n = 3 d_in keys K, and 5 other keys (rows of K)."""
    W = randn(d_out, d_in, seed=seed)
    keys = randn(3 * d_in, d_in, seed=seed + 1) * torch.linspace(0.3, 2.0, d_in, dtype=torch.float64)
    C = keys.T @ keys / len(keys) + 0.1 * torch.eye(d_in, dtype=torch.float64)
    return W, randn(d_in, seed=seed + 2), randn(d_out, seed=seed + 3), C, keys[:5]


def edit_sizes(d_out: int, d_in: int, seed: int) -> tuple[int, int]:
    size = Sizes(seed)
    d_out = size(d_out, 2)
    return d_out, d_out if d_in == d_out else size(d_in, 2)


def probe_rank_one_edit(ns, d_out: int = 4, d_in: int = 6, seed: int = 81):
    W, key, value, C, _ = edit_inputs(*edit_sizes(d_out, d_in, seed), seed)
    return call(ns, "rank_one_edit", W, key, value, C, returns=("W_new",))


def edit_properties(raw, d_out: int = 4, d_in: int = 6, seed: int = 81):
    """W' key - value (0 for an exact edit), and how far five ordinary keys move: (W' - W) k."""
    W, key, value, C, others = (t.numpy() for t in edit_inputs(*edit_sizes(d_out, d_in, seed), seed))
    W_new = np.asarray(raw["W_new"], dtype=np.float64)
    return computable(
        key_maps_to_value=lambda: largest(W_new @ key - value),
        other_keys_moved=lambda: (W_new - W) @ others.T,
    )


def probe_rank_one_edit_contract(ns, seed: int = 85):
    """Called directly: what came back, and W afterwards (W += ... changes the caller's model)."""
    W, key, value, C, _ = edit_inputs(*edit_sizes(3, 5, seed), seed)
    result = need(ns, "rank_one_edit")(W, key, value, C)
    return returned(result, ("W_new",)) | afterwards(W=W)


CHECKS = [
    # ------------------------------------------------------------ make_biographies
    Check("make_biographies_single", "make_biographies", partial(probe_make_biographies, augment=1), points=2,
          description="augment=1: one biography per person, templates drawn with the generator, fixed order, "
                      "the pronoun after the first sentence"),
    Check("make_biographies_augmented", "make_biographies", probe_make_biographies, points=3,
          description="augment=3: three biographies per person, templates then a permutation drawn per biography, "
                      "the full name in every sentence"),
    # ------------------------------------------------------------ candidate_logprob
    Check("candidate_logprob_values", "candidate_logprob", probe_candidate_logprob, points=3,
          description="log p(candidate | prompt) of a 3-token candidate after a 4-token prompt, float64 toy LM"),
    Check("candidate_logprob_one_token", "candidate_logprob", partial(probe_candidate_logprob, K=1, seed=13),
          points=1, description="a one-token candidate: the logits at the prompt's last position"),
    Check("candidate_logprob_float32_sharp", "candidate_logprob",
          partial(probe_candidate_logprob, sharpness=60.0, dtype=torch.float32, seed=15), points=1,
          atol=1e-3, rtol=1e-5,  # float32 log-probabilities of ~-1000: correct orders of operations differ by
          # float32 rounding (~1e-4); log(softmax) gives -inf
          description="float32 logits spread over hundreds: use log_softmax, not log(softmax)"),
    # ------------------------------------------------------------ rank_candidates
    Check("rank_candidates_values", "rank_candidates", probe_rank_candidates, points=3,
          description="five candidates of lengths 1 to 4 after a 3-token prompt: summed log-probs and the order"),
    Check("rank_candidates_same_length", "rank_candidates",
          partial(probe_rank_candidates, P=1, lengths=(2, 2, 2), seed=23), points=1,
          description="three 2-token candidates after a 1-token prompt"),
    # ------------------------------------------------------------ precision_at_k
    Check("precision_at_1_ties", "precision_at_k", probe_precision_at_k, points=2,
          description="P@1 of 40 rows of 6 whole-number scores (many ties: a tie counts against the gold answer), "
                      "and of the first third and two thirds of the rows"),
    Check("precision_at_k_ties", "precision_at_k", partial(probe_precision_at_k, k=3, seed=33), points=2,
          description="P@3 of the same kind of scores"),
    Check("precision_at_k_continuous", "precision_at_k", partial(probe_ranks_continuous, name="precision_at_k"),
          points=1, description="P@3 of continuous scores (no ties)"),
    # ------------------------------------------------------------ mean_reciprocal_rank
    Check("mrr_ties", "mean_reciprocal_rank", probe_mean_reciprocal_rank, points=2,
          description="MRR of 40 rows of 6 whole-number scores (1-based ranks; ties count against gold)"),
    Check("mrr_continuous", "mean_reciprocal_rank",
          partial(probe_ranks_continuous, name="mean_reciprocal_rank", seed=47), points=1,
          description="MRR of continuous scores (no ties)"),
    # ------------------------------------------------------------ hidden_states
    Check("hidden_states_middle", "hidden_states", probe_hidden_states, points=2,
          description="layer 1 of a 3-block toy LM: the output of blocks[0]; no hook left, no grad"),
    Check("hidden_states_embeddings", "hidden_states", partial(probe_hidden_states, layer=0, seed=53), points=1,
          description="layer 0: token + position embeddings, the input of blocks[0]"),
    Check("hidden_states_last", "hidden_states", partial(probe_hidden_states, layer="last", seed=55), points=2,
          description="the last layer: the output of the last block, before the final LayerNorm"),
    # ------------------------------------------------------------ train_linear_probe
    Check("train_linear_probe_values", "train_linear_probe",
          **paired(probe_train_linear_probe, probe_predictions), points=3,
          values=False,  # b is unique only up to a constant; W, centred b and probabilities are compared
          atol=1e-5, rtol=1e-4,  # optimisers stop at slightly different points near the unique minimum
          description="60 points, 5 features, 3 classes, l2 = 0.01: W, b up to a constant, held-out probabilities"),
    Check("train_linear_probe_strong_l2", "train_linear_probe",
          **paired(probe_train_linear_probe, probe_predictions, l2=0.3, seed=63), points=1, values=False,
          atol=1e-5, rtol=1e-4,  # as train_linear_probe_values
          description="l2 = 0.3: the penalty dominates, on W only"),
    # ------------------------------------------------------------ layer_probe_accuracy
    Check("layer_probe_accuracy_values", "layer_probe_accuracy", probe_layer_probe_accuracy, points=3,
          description="4 layers, 40 people (about 60% training): per-layer accuracy on the held-out people"),
    # ------------------------------------------------------------ rank_one_edit
    Check("rank_one_edit_values", "rank_one_edit", **paired(probe_rank_one_edit, edit_properties), points=3,
          description="W (4, 6), C from 18 keys: W', W' key = value, and how far 5 other keys move"),
    Check("rank_one_edit_square", "rank_one_edit",
          **paired(probe_rank_one_edit, edit_properties, d_out=5, d_in=5, seed=83), points=1,
          description="a square W (5, 5): the outer product's order matters"),
    Check("rank_one_edit_contract", "rank_one_edit", probe_rank_one_edit_contract, points=1,
          description="returns one new matrix and leaves W unchanged"),
]
