"""Public checks for week 8 (BERT and miniGPT). Shipped with the release; hidden.py reuses the probes.

Exact checks feed seeded inputs (float64 where the function allows it) and fixed
torch.Generators, so a faithful implementation of the documented draw order reproduces the
reference exactly. Property checks return booleans or sets (of window starts, of sampled tokens)
that any correct implementation produces, whatever its order of random draws.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from coursekit.checks import Check
from coursekit.probing import build, generator, need, randint, randn, seeded_weights

# ---------------------------------------------------------------- get_batch


def probe_get_batch_values(ns, n: int = 50, block_size: int = 6, batch_size: int = 5, seed: int = 11):
    data = randint(0, 40, (n,), seed=seed)
    torch.manual_seed(0)  # an implementation that ignores `generator` still gives a fixed answer
    x, y = need(ns, "get_batch")(data, block_size, batch_size, generator(seed))
    return {"x": x, "y": y}


def probe_get_batch_properties(ns, n: int = 20, block_size: int = 4, batch_size: int = 4000):
    get_batch = need(ns, "get_batch")
    data = torch.arange(n) * 3  # value // 3 is the position in data
    x, y = get_batch(data, block_size, batch_size, generator(5))
    torch.manual_seed(1)
    first = get_batch(data, block_size, 8, generator(6))
    torch.manual_seed(2)  # the global RNG moved: a seeded generator must still give the same batch
    second = get_batch(data, block_size, 8, generator(6))
    return {
        "shapes": [list(x.shape), list(y.shape)],
        "starts": torch.unique(x[:, 0]) // 3,
        "targets_are_next_tokens": bool(torch.equal(y, x + 3)),
        "same_generator_same_batch": all(torch.equal(a, b) for a, b in zip(first, second, strict=True)),
    }


# ---------------------------------------------------------------- causal_lm_loss


def probe_causal_lm_loss(ns, B: int = 3, T: int = 7, V: int = 11, seed: int = 21):
    logits = randn(B, T, V, seed=seed)
    ids = randint(0, V, (B, T), seed=seed + 1)
    return {"loss": need(ns, "causal_lm_loss")(logits, ids)}


def probe_causal_lm_loss_perfect(ns, B: int = 2, T: int = 9, V: int = 7, seed: int = 23):
    """Logits at t put all their mass on ids[:, t+1]: the shifted loss is ~0, any other is large."""
    ids = randint(0, V, (B, T), seed=seed)
    logits = randn(B, T, V, seed=seed + 1)
    logits[:, :-1] = 40.0 * F.one_hot(ids[:, 1:], V).double()
    return {"loss": need(ns, "causal_lm_loss")(logits, ids)}


# ---------------------------------------------------------------- mask_tokens

SPECIALS = (20, 21, 22)  # [CLS], [SEP], [MASK] after 20 ordinary tokens


def probe_mask_tokens_values(ns, B: int = 4, T: int = 25, mask_prob: float | None = 0.3, seed: int = 31):
    ids = randint(0, 20, (B, T), seed=seed)
    ids[:, 0], ids[:, -1] = 20, 21  # [CLS] ... [SEP]
    kwargs = {} if mask_prob is None else {"mask_prob": mask_prob}
    torch.manual_seed(0)
    inputs, labels = need(ns, "mask_tokens")(ids, list(SPECIALS), 20, 22, generator=generator(seed), **kwargs)
    return {"inputs": inputs, "labels": labels}


def probe_mask_tokens_rates(ns, mask_prob: float = 0.15, seed: int = 33):
    """Rates over 100,000 tokens (10% of them special), within about 4 standard deviations."""
    V, specials, mask_id = 50, (50, 51), 52
    ids = randint(0, V, (200, 500), seed=seed)
    is_special = torch.rand(ids.shape, generator=generator(seed + 1)) < 0.1
    ids[is_special] = randint(50, 52, (int(is_special.sum()),), seed=seed + 2)
    inputs, labels = need(ns, "mask_tokens")(ids, list(specials), V, mask_id, mask_prob, generator(seed + 3))
    chosen = labels != -100
    n_chosen = max(int(chosen.sum()), 1)
    rate = chosen[~is_special].double().mean().item()
    masked = (chosen & (inputs == mask_id)).sum().item() / n_chosen
    kept = (chosen & (inputs == ids)).sum().item() / n_chosen
    replaced = (chosen & (inputs != ids) & (inputs != mask_id)).sum().item() / n_chosen
    std = math.sqrt(mask_prob * (1 - mask_prob) / int((~is_special).sum()))
    return {
        "chosen_rate_ok": abs(rate - mask_prob) < 4.5 * std,
        "mask_share_ok": abs(masked - 0.8) < 0.015,
        "random_share_ok": abs(replaced - 0.1 * (1 - 1 / V)) < 0.012,  # a random token can equal the original
        "unchanged_share_ok": abs(kept - (0.1 + 0.1 / V)) < 0.012,
        "specials_never_chosen": bool((labels[is_special] == -100).all()
                                      and torch.equal(inputs[is_special], ids[is_special])),
        "labels_are_originals": bool(torch.equal(labels[chosen], ids[chosen])),
        "others_unchanged": bool(torch.equal(inputs[~chosen], ids[~chosen])),
        "random_tokens_in_vocab": bool(((inputs[chosen] < V) | (inputs[chosen] == mask_id)).all()),
    }


# ---------------------------------------------------------------- masked_lm_loss


def masked_labels(B: int, T: int, V: int, keep: float, seed: int) -> torch.Tensor:
    labels = randint(0, V, (B, T), seed=seed)
    predicted = torch.rand(B, T, generator=generator(seed + 1)) < keep
    predicted[0, 0] = True  # at least one predicted position
    return torch.where(predicted, labels, torch.full_like(labels, -100))


def probe_masked_lm_loss(ns, B: int = 3, T: int = 9, V: int = 13, keep: float = 0.3, seed: int = 41):
    logits = randn(B, T, V, seed=seed)
    labels = masked_labels(B, T, V, keep, seed + 1)
    return {"loss": need(ns, "masked_lm_loss")(logits, labels)}


def probe_masked_lm_loss_ignores(ns, seed: int = 43):
    """Changing the logits at unpredicted positions must not change the loss."""
    loss = need(ns, "masked_lm_loss")
    logits = randn(2, 8, 6, seed=seed)
    labels = masked_labels(2, 8, 6, 0.25, seed + 1)
    moved = logits + 5.0 * randn(2, 8, 6, seed=seed + 2) * (labels == -100).unsqueeze(-1)
    a, b = loss(logits, labels), loss(moved, labels)
    return {"unchanged": bool(torch.allclose(torch.as_tensor(a), torch.as_tensor(b), atol=1e-12)), "loss": a}


# ---------------------------------------------------------------- GPT and BERT

TINY = dict(vocab_size=11, block_size=8, n_layer=2, n_head=2, d_model=12)


def probe_model_logits(ns, name: str = "GPT", seed: int = 51):
    model = build(ns, name, seed=seed, **TINY)
    full = randint(0, 11, (2, 8), seed=seed + 1)
    short = randint(0, 11, (3, 5), seed=seed + 2)
    with torch.no_grad():
        return {"logits_full": model(full), "logits_short": model(short)}


def probe_model_dependence(ns, name: str = "GPT", seed: int = 53, position: int = 5):
    """Change the token at `position`: how much do the logits before and from it move?"""
    model = build(ns, name, seed=seed, **TINY)
    idx = randint(0, 11, (1, 8), seed=seed + 1)
    changed = idx.clone()
    changed[0, position] = (changed[0, position] + 1) % 11
    with torch.no_grad():
        delta = (model(idx) - model(changed)).abs()
    return {"earlier_positions_change": bool(delta[:, :position].max() > 1e-9),
            "later_positions_change": bool(delta[:, position:].max() > 1e-9)}


# ---------------------------------------------------------------- sample_next_token


def probe_sample_values(ns, B: int = 64, V: int = 10, seed: int = 61):
    sample = need(ns, "sample_next_token")
    logits = 1.5 * randn(B, V, seed=seed)
    torch.manual_seed(0)
    return {
        "plain": sample(logits.clone(), generator=generator(seed + 1)),
        "temperature": sample(logits.clone(), temperature=0.6, generator=generator(seed + 2)),
        "top_k": sample(logits.clone(), temperature=1.2, top_k=4, generator=generator(seed + 3)),
        "top_p": sample(logits.clone(), temperature=0.8, top_p=0.9, generator=generator(seed + 4)),
        "greedy": sample(logits.clone(), temperature=0.0),
    }


# probabilities 0.40 0.25 0.15 0.10 0.06 0.04: cumulative 0.40 0.65 0.80 0.90 0.96 1.00
PROBS = torch.tensor([0.10, 0.40, 0.04, 0.25, 0.06, 0.15], dtype=torch.float64)


def probe_sample_distribution(ns, n: int = 20_000, seed: int = 63):
    """Supports (sets of sampled tokens) and frequencies within ~4 standard deviations."""
    sample = need(ns, "sample_next_token")
    logits = PROBS.log().expand(n, -1).clone()

    def draw(offset: int, **kwargs) -> torch.Tensor:
        return sample(logits.clone(), generator=generator(seed + offset), **kwargs).flatten()

    def freq_ok(tokens: torch.Tensor, target: torch.Tensor) -> bool:
        return bool(((torch.bincount(tokens, minlength=6) / n - target).abs() < 0.015).all())

    hot = F.softmax(logits[0] / 0.5, dim=-1)
    top_p = torch.where(PROBS >= 0.15, PROBS, torch.zeros_like(PROBS))  # 0.40 + 0.25 + 0.15 crosses 0.7
    return {
        "frequencies_temperature_ok": freq_ok(draw(1, temperature=0.5), hot),
        "support_top_k": torch.unique(draw(2, top_k=3)),
        "support_top_p": torch.unique(draw(3, top_p=0.7)),
        "frequencies_top_p_ok": freq_ok(draw(3, top_p=0.7), top_p / top_p.sum()),
        "support_temperature_then_top_p": torch.unique(draw(4, temperature=3.0, top_p=0.5)),
    }


# ---------------------------------------------------------------- generate


class ContextModel(torch.nn.Module):
    """A parameter-free 'language model' whose logits depend on every context token and its position."""

    def __init__(self, vocab_size: int = 7, block_size: int = 5):
        super().__init__()
        self.vocab_size, self.block_size = vocab_size, block_size

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        T = idx.shape[1]
        weights = torch.arange(1, T + 1, dtype=torch.float64)
        h = torch.cumsum((idx.double() + 1) * weights, dim=1)  # (B, T)
        v = torch.arange(1, self.vocab_size + 1, dtype=torch.float64)
        return 2.0 * torch.cos(0.37 * h.unsqueeze(-1) * v)  # (B, T, V)


def probe_generate(ns, seed: int = 71, **sampling):
    idx = randint(0, 7, (3, 3), seed=seed)
    torch.manual_seed(0)
    out = need(ns, "generate")(ContextModel(), idx.clone(), 9, generator=generator(seed + 1), **sampling)
    return {"tokens": out}


# ---------------------------------------------------------------- cosine_lr

LR_STEPS = [0, 1, 4, 9, 10, 11, 30, 55, 99, 100, 101, 130]


def probe_cosine_lr(ns, warmup: int = 10, max_steps: int = 100, max_lr: float = 3.0, min_lr: float = 0.3, steps=None):
    lr = need(ns, "cosine_lr")
    return {"lr": [float(lr(s, warmup, max_steps, max_lr, min_lr)) for s in (steps or LR_STEPS)]}


# ---------------------------------------------------------------- train_step


def toy_model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Embedding(7, 6), torch.nn.Linear(6, 7))
    return seeded_weights(model, seed).train()


def toy_batches(seed: int, steps: int = 3):
    batches = []
    for s in range(steps):
        x = randint(0, 7, (3, 5), seed=seed + 10 * s)
        y = randint(0, 7, (3, 5), seed=seed + 10 * s + 1)
        y[torch.rand(3, 5, generator=generator(seed + 10 * s + 2)) < 0.3] = -100
        batches.append((x, y))
    return batches


def probe_train_step(ns, optimizer: str = "sgd", clip: float = 0.05, seed: int = 81):
    train_step = need(ns, "train_step")
    model = toy_model(seed)
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.1)
    losses = [float(train_step(model, opt, batch, clip)) for batch in toy_batches(seed + 1)]
    params = torch.cat([p.detach().flatten() for _, p in sorted(model.named_parameters())])
    return {"losses": losses, "params": params}


CHECKS = [
    Check("get_batch_values", "get_batch", probe_get_batch_values, points=2,
          description="x, y from a 50-token sequence with a seeded generator (one torch.randint call)"),
    Check("get_batch_properties", "get_batch", probe_get_batch_properties, points=2,
          description="shapes; every window start 0..len-block_size-1 is drawn; y is x shifted by one; "
                      "the generator alone decides the batch"),
    Check("causal_lm_loss_values", "causal_lm_loss", probe_causal_lm_loss, points=2,
          description="loss of random float64 logits (3, 7, 11) against random ids"),
    Check("causal_lm_loss_perfect", "causal_lm_loss", probe_causal_lm_loss_perfect, points=1,
          description="logits at t that are certain of ids[:, t+1] give a loss of ~0"),
    Check("mask_tokens_values", "mask_tokens", probe_mask_tokens_values, points=2,
          description="inputs and labels for 4x25 ids with [CLS]/[SEP], mask_prob 0.3, seeded generator"),
    Check("mask_tokens_rates", "mask_tokens", probe_mask_tokens_rates, points=3,
          description="over 100,000 tokens: 15% chosen, 80/10/10 split, specials never chosen, labels -100 elsewhere"),
    Check("masked_lm_loss_values", "masked_lm_loss", probe_masked_lm_loss, points=2,
          description="loss of random float64 logits against labels with ~70% -100"),
    Check("masked_lm_loss_ignores", "masked_lm_loss", probe_masked_lm_loss_ignores, points=1,
          description="logits at positions labelled -100 do not change the loss"),
    Check("gpt_logits", "GPT", probe_model_logits, points=3,
          description="logits of a tiny GPT (2 layers, d_model 12) with seeded float64 weights, T=8 and T=5"),
    Check("gpt_is_causal", "GPT", probe_model_dependence, points=2,
          description="changing token 5 changes the logits at positions >= 5 only"),
    Check("bert_logits", "BERT", lambda ns: probe_model_logits(ns, "BERT", seed=55), points=3,
          description="logits of a tiny BERT (2 layers, d_model 12) with seeded float64 weights, T=8 and T=5"),
    Check("bert_is_bidirectional", "BERT", lambda ns: probe_model_dependence(ns, "BERT", seed=57), points=2,
          description="changing token 5 changes the logits at every position"),
    Check("sample_next_token_values", "sample_next_token", probe_sample_values, points=3,
          description="draws for 64 rows of logits: plain, temperature 0.6, top-k 4, top-p 0.9, greedy"),
    Check("sample_next_token_distribution", "sample_next_token", probe_sample_distribution, points=3,
          description="20,000 draws: frequencies at temperature 0.5, the tokens top-k 3 and top-p 0.7 keep"),
    Check("generate_values", "generate", lambda ns: probe_generate(ns, temperature=0.9, top_k=5), points=2,
          description="9 new tokens from a context-dependent toy model (block_size 5), temperature 0.9, top-k 5"),
    Check("generate_top_p", "generate", lambda ns: probe_generate(ns, seed=73, temperature=1.3, top_p=0.6), points=1,
          description="the same with temperature 1.3 and top-p 0.6"),
    Check("cosine_lr_values", "cosine_lr", probe_cosine_lr, points=2,
          description="warmup 10, max_steps 100, max_lr 3.0, min_lr 0.3, at steps 0..130"),
    Check("train_step_sgd_clipped", "train_step", probe_train_step, points=2,
          description="three SGD steps on a toy model with clip 0.05 (clipping binds): losses and weights"),
    Check("train_step_sgd_unclipped", "train_step", lambda ns: probe_train_step(ns, clip=1e6, seed=83), points=1,
          description="three SGD steps with clipping that never binds: losses and weights"),
]
