"""Public checks for week 9 (SFT with masked labels, then DPO). Shipped with the release; hidden.py
reuses the probes.

Probes make seeded inputs, call the learner's code and return what came back, nothing computed from
it: a probe runs in the learner's process. Strings (the chat template, exact-match inputs) are
returned as their code points, the one conversion a probe makes; what a string should be is decided
by comparing with the answer key's outputs, in the grader.

The models a probe needs are small ones defined here, not the notebook's GPT: `ToyLM`, whose logits at
t depend on the token at t and on the sum of the ids up to t (so a shift of one position, a position
scored that should not be, or the prefix seen all change the numbers), and `WindowLM`, its
block-size-limited twin for decoding (it refuses contexts longer than its block_size, as a
position embedding does). Their weights are seeded float64 parameters (float32 and large for the
stress probes, where log(softmax) underflows).

Contracts before values: `call` says in one line when a function returns the wrong number or type of
values or modifies a tensor argument in place; dtypes stated in a docstring (int64 ids and labels)
are exact; `*_contract` checks return what came back (a Python float, a list of ints, a detached
reward, a reference without gradient) as raw outputs so the mistakes catalogue can name them.

Fresh inputs: every length, vocabulary size, batch size and count is drawn with `Sizes` (its public
value here, fresh when grading), words and token ids from seeded generators.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn as nn

from coursekit.checks import Check
from coursekit.errors import ProbeError
from coursekit.probing import Sizes, call, generator, need, randint, randn

USER, ASSISTANT, END, PAD = "<|user|>", "<|assistant|>", "<|end|>", "<|pad|>"
LETTERS = "abcdefghijklmnopqrstuvwxyz"

# ---------------------------------------------------------------- helpers


def word(gen: torch.Generator, low: int = 2, high: int = 8) -> str:
    n = int(torch.randint(low, high, (1,), generator=gen))
    return "".join(LETTERS[int(i)] for i in torch.randint(0, 26, (n,), generator=gen))


def sentence(seed: int, n_words: int) -> str:
    """A capitalised sentence of random words ending in a full stop: an instruction."""
    gen = generator(seed)
    text = " ".join(word(gen) for _ in range(n_words))
    return text[0].upper() + text[1:] + "."


def codes(result, name: str) -> list[int]:
    """A returned string as its code points (probe outputs are numbers); anything else is refused."""
    if not isinstance(result, str):
        raise ProbeError(f"`{name}` returned a {type(result).__name__}; expected a str")
    return [ord(c) for c in result]


class ToyLM(nn.Module):
    """logits[b, t] = token[ids[b, t]] + prefix[(ids[b, 0] + ... + ids[b, t]) % V]: causal, context-dependent."""

    def __init__(self, V: int, seed: int, scale: float = 1.0, dtype: torch.dtype = torch.float64):
        super().__init__()
        self.V = V
        self.token = nn.Parameter(scale * randn(V, V, seed=seed, dtype=dtype))
        self.prefix = nn.Parameter(scale * randn(V, V, seed=seed + 1, dtype=dtype))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.token[ids] + self.prefix[ids.cumsum(1) % self.V]


class WindowLM(ToyLM):
    """ToyLM with a block_size: longer inputs are refused, as by a position embedding of block_size rows."""

    def __init__(self, V: int, block_size: int, seed: int):
        super().__init__(V, seed)
        self.block_size = block_size

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.size(1) > self.block_size:
            raise ProbeError(f"the model got {ids.size(1)} tokens, more than its block_size {self.block_size}: "
                             "crop the context to the last model.block_size tokens")
        return super().forward(ids)


def supervised_batch(B: int, T: int, V: int, seed: int, pad_id: int | None = None):
    """(input_ids, labels, attention_mask) (B, T): row b has a prompt of p_b tokens (label -100), a
    response with labels equal to its ids, then q_b padding tokens (label -100, mask 0); at least one
    response token at a position >= 1, different prompt lengths per row."""
    gen = generator(seed)
    ids = torch.randint(0, V, (B, T), generator=gen)
    labels = ids.clone()
    mask = torch.ones(B, T, dtype=torch.long)
    for b in range(B):
        p = int(torch.randint(1, max(2, T - 2), (1,), generator=gen))
        q = int(torch.randint(0, max(1, T - p - 1), (1,), generator=gen))
        labels[b, :p] = -100
        if q:
            labels[b, T - q:] = -100
            mask[b, T - q:] = 0
            if pad_id is not None:
                ids[b, T - q:] = pad_id
    return ids, labels.masked_fill(mask == 0, -100), mask


# ---------------------------------------------------------------- format_prompt / format_example


def probe_format_prompt(ns, seed: int = 1):
    size = Sizes(seed)
    instruction = sentence(seed, size(5, 2, 9))
    inp = sentence(seed + 1, size(2, 1, 4)).rstrip(".").lower()
    with_input = call(ns, "format_prompt", instruction, inp, returns=("prompt",))["prompt"]
    empty = call(ns, "format_prompt", instruction, "", returns=("prompt",))["prompt"]
    default = call(ns, "format_prompt", instruction, returns=("prompt",))["prompt"]
    return {"with_input": codes(with_input, "format_prompt"), "empty_input": codes(empty, "format_prompt"),
            "default_input": codes(default, "format_prompt")}


def probe_format_prompt_multiline(ns, seed: int = 3):
    """A lookup-style input over several lines (a table, then a question)."""
    size = Sizes(seed)
    gen = generator(seed + 2)
    rows = [f"{word(gen, 3, 4)}: {int(torch.randint(0, 10, (1,), generator=gen))}" for _ in range(size(3, 2, 6))]
    prompt = call(ns, "format_prompt", sentence(seed, size(4, 2, 8)), "\n".join(rows), returns=("prompt",))["prompt"]
    return {"prompt": codes(prompt, "format_prompt")}


def probe_format_example(ns, seed: int = 5):
    size = Sizes(seed)
    instruction = sentence(seed, size(5, 2, 9))
    inp = sentence(seed + 1, size(1, 1, 4)).rstrip(".").lower()
    response = sentence(seed + 2, size(2, 1, 4)).rstrip(".")
    full = call(ns, "format_example", instruction, inp, response, returns=("text",))["text"]
    empty = call(ns, "format_example", instruction, "", response, returns=("text",))["text"]
    return {"with_input": codes(full, "format_example"), "empty_input": codes(empty, "format_example")}


# ---------------------------------------------------------------- generate_response


def greedy_rollout(model: nn.Module, prompt: list[int], n: int) -> list[int]:
    """Our own greedy decoding (no EOS): what the model writes, to place an EOS in it."""
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(n):
            ids.append(int(model(torch.tensor([ids[-model.block_size:]]))[0, -1].argmax()))
    return ids[len(prompt):]


def probe_generate(ns, seed: int = 11, prompt_len: int = 9, block_size: int = 6, new: int = 10,
                   stop_at: int | None = 4):
    """Greedy response of a WindowLM to a prompt longer than its block_size. eos_id is the token it
    writes at step `stop_at` (the first step from there on whose token is new), or None: an id it never
    writes, so all `new` tokens come back."""
    size = Sizes(seed)
    V, block_size = size(7, 5, 12), size(block_size, 3, 2 * block_size)
    prompt = randint(0, V, (size.within(prompt_len, block_size + 1, block_size + 10),), seed=seed).tolist()
    new = size(new, 6, 2 * new)
    model = WindowLM(V, block_size, seed + 1)
    eos_id = V + 1  # never the argmax: there are only V logits
    if stop_at is not None:
        rollout = greedy_rollout(model, prompt, new)
        start = size.within(stop_at, 0, new - 2) if stop_at else 0
        fresh = [i for i in range(start, new) if rollout[i] not in rollout[:i]]
        eos_id = rollout[fresh[0]] if fresh else eos_id
    tokens = need(ns, "generate_response")(model, prompt, new, eos_id)  # a list: `call` takes lists for tuples
    return {"tokens": tokens}


def probe_generate_contract(ns, seed: int = 13):
    """Called directly: whether it returned a list of Python ints, and those ints (no EOS is written)."""
    size = Sizes(seed)
    V, new = size(7, 5, 12), size(4, 2, 9)
    model = WindowLM(V, 5, seed)
    result = need(ns, "generate_response")(model, randint(0, V, (size(3, 1, 6),), seed=seed).tolist(), new, V + 1)
    ints = isinstance(result, list) and all(type(i) is int for i in result)
    return {"returned_list_of_ints": ints, "tokens": result if ints else [-1]}


# ---------------------------------------------------------------- exact_match


def match_lists(seed: int, counts: tuple[int, ...] = (3, 2, 2, 2, 1, 2)) -> tuple[list[str], list[str]]:
    """(predictions, references) with counts of: exact answers, answers with whitespace around them,
    answers in another case, answers with doubled inner spaces, answers with extra words after them,
    wrong answers; shuffled together."""
    size = Sizes(seed)
    exact, around_, case, inner = (size(c, 1, 4) for c in counts[:4])
    extra, wrong = 1, size(counts[5], 1, 4)
    inner = max(inner, 2)  # never equal to `extra` (1): the mistakes stay distinguishable
    gen = generator(seed)
    preds, refs = [], []
    for kind, n in enumerate((exact, around_, case, inner, extra, wrong)):
        for _ in range(n):
            ref = f"{word(gen)} {word(gen)}" if kind == 3 else word(gen)
            pred = [ref, f"  {ref}\n", ref.upper(), ref.replace(" ", "  \t"), f"{ref} {word(gen)}",
                    word(gen, 9, 12)][kind]
            preds.append(pred)
            refs.append(ref)
    order = torch.randperm(len(preds), generator=gen).tolist()
    return [preds[i] for i in order], [refs[i] for i in order]


def prefix_matches(ns, preds: list[str], refs: list[str]) -> dict[str, list]:
    """exact_match of the whole lists and of their first third and two thirds: one number could be
    answered by a constant body, three of different lengths cannot."""
    cuts = (len(preds) // 3, 2 * len(preds) // 3, len(preds))
    return {"em": [call(ns, "exact_match", preds[:n], refs[:n], returns=("em",))["em"] for n in cuts]}


def probe_exact_match(ns, seed: int = 21, counts: tuple[int, ...] = (3, 2, 2, 2, 1, 2)):
    return prefix_matches(ns, *match_lists(seed, counts))


def probe_exact_match_contract(ns, seed: int = 23):
    """Called directly: a Python float, and 0.0 for empty lists, then the values."""
    preds, refs = match_lists(seed)
    result = need(ns, "exact_match")(preds, refs)
    empty = need(ns, "exact_match")([], [])
    return {"returned_python_float": type(result) is float, "empty_lists": float(empty)} | prefix_matches(
        ns, preds, refs)


# ---------------------------------------------------------------- build_sft_example


def probe_build_sft_example(ns, seed: int = 31, prompt_len: int = 7, response_len: int = 4, extra: int = 3):
    """extra = max_len - (prompt + response + 1): > 0 pads, 0 fits exactly, < 0 cuts (the EOS first)."""
    size = Sizes(seed)
    V = size(10, 5, 20)
    P, R = size(prompt_len, 1, 2 * prompt_len + 1), size(response_len, 1, 2 * response_len + 1)
    if extra > 0:
        max_len = P + R + 1 + size(extra, 1, 2 * extra + 1)
    elif extra == 0:
        max_len = P + R + 1
    else:
        max_len = P + size.within(R + 1 + extra, 1, R + 1) if -extra <= R else size.within(P // 2 + 1, 1, P + 1)
    prompt = randint(0, V, (P,), seed=seed).tolist()
    response = randint(0, V, (R,), seed=seed + 1).tolist()
    return call(ns, "build_sft_example", prompt, response, max_len, V, V + 1,
                returns=("input_ids", "labels", "attention_mask"))


# ---------------------------------------------------------------- collate


def probe_collate(ns, seed: int = 41, B: int = 4, max_len: int = 64):
    """B pairs in increasing total length (the first is the shortest); max_len binds when small."""
    size = Sizes(seed)
    V, B = size(10, 5, 20), size(B, 2, 2 * B)
    gen = generator(seed)
    lengths = sorted(int(t) for t in torch.randint(4, 20, (B,), generator=gen))
    lengths[-1] += 3  # a single longest
    examples = []
    for i, n in enumerate(lengths):
        p = int(torch.randint(1, n, (1,), generator=gen))
        examples.append((randint(0, V, (p,), seed=seed + 10 + i).tolist(), randint(0, V, (n - p,), seed=seed + 50 + i)
                         .tolist()))
    if max_len < 64:
        max_len = size.within(max_len, lengths[0] + 2, lengths[-1])
    return call(ns, "collate", examples, V, V + 1, max_len, returns=("input_ids", "labels", "attention_mask"))


# ---------------------------------------------------------------- sequence_logprob / sft_loss


def lm_inputs(seed: int, B: int, T: int, V: int, pad: bool = True):
    size = Sizes(seed + 500)
    B, T, V = size(B, 1, 2 * B), size(T, 4, 2 * T), size(V, 4, 2 * V)
    return (V,) + supervised_batch(B, T, V, seed, pad_id=0 if pad else None)


def probe_sequence_logprob(ns, seed: int = 51, B: int = 4, T: int = 10, V: int = 9, scale: float = 1.0,
                           dtype: torch.dtype = torch.float64):
    V, ids, labels, _ = lm_inputs(seed, B, T, V)
    model = ToyLM(V, seed + 1, scale=scale, dtype=dtype)
    return call(ns, "sequence_logprob", model, ids, labels, returns=("total", "mean"))


def probe_sft_loss(ns, seed: int = 61, B: int = 4, T: int = 10, V: int = 9, scale: float = 1.0,
                   dtype: torch.dtype = torch.float64):
    V, ids, labels, mask = lm_inputs(seed, B, T, V)
    model = ToyLM(V, seed + 1, scale=scale, dtype=dtype)
    return call(ns, "sft_loss", model, (ids, labels, mask), returns=("loss",))


def probe_sft_loss_gradient(ns, seed: int = 63):
    """The gradient of the loss with respect to the model's two tables (the probe calls backward)."""
    V, ids, labels, mask = lm_inputs(seed, 3, 8, 7)
    model = ToyLM(V, seed + 1)
    loss = call(ns, "sft_loss", model, (ids, labels, mask), returns=("loss",))["loss"]
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        raise ProbeError("`sft_loss` must return a tensor that carries the graph (do not call .item())")
    loss.backward()
    return {"grad_token": model.token.grad, "grad_prefix": model.prefix.grad}


# ---------------------------------------------------------------- dpo_loss


def dpo_inputs(seed: int, B: int, spread: float, dtype: torch.dtype):
    B = Sizes(seed + 500)(B, 1, 2 * B)
    return [(spread * randn(B, seed=seed + i, dtype=dtype) - 20.0).requires_grad_() for i in range(4)]


def probe_dpo_loss(ns, seed: int = 71, B: int = 6, beta: float = 0.5, spread: float = 3.0,
                   dtype: torch.dtype = torch.float64):
    """Loss, rewards, and the loss's gradient with respect to each of the four inputs."""
    beta = beta * Sizes(seed + 600)(10, 5, 21) / 10
    inputs = dpo_inputs(seed, B, spread, dtype)
    out = call(ns, "dpo_loss", *inputs, beta, returns=("loss", "chosen_rewards", "rejected_rewards"))
    loss = out["loss"]
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        raise ProbeError("`dpo_loss` must return the loss as a tensor that carries the graph")
    loss.backward()
    names = ("policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected")
    return out | {f"grad_{n}": x.grad for n, x in zip(names, inputs, strict=True)}


def probe_dpo_contract(ns, seed: int = 73):
    """Called directly: whether the rewards come back detached from the graph."""
    result = need(ns, "dpo_loss")(*dpo_inputs(seed, 3, 2.0, torch.float64), 0.1)
    if not isinstance(result, tuple) or len(result) != 3:
        raise ProbeError("`dpo_loss` must return a tuple (loss, chosen_rewards, rejected_rewards)")
    return {"chosen_rewards_detached": not result[1].requires_grad,
            "rejected_rewards_detached": not result[2].requires_grad,
            "chosen_rewards": result[1].detach(), "rejected_rewards": result[2].detach()}


# ---------------------------------------------------------------- preference_logps


def probe_preference_logps(ns, seed: int = 81, B: int = 3, T: int = 9, V: int = 8):
    """Policy and reference ToyLMs whose tables require gradients; chosen and rejected batches of
    different lengths. The four totals, and which of them carry a graph."""
    size = Sizes(seed + 500)
    B, V = size(B, 1, 2 * B), size(V, 4, 2 * V)
    chosen = supervised_batch(B, size(T, 4, 2 * T), V, seed, pad_id=0)
    rejected = supervised_batch(B, size(T + 3, 4, 2 * T), V, seed + 1, pad_id=0)
    policy, reference = ToyLM(V, seed + 2), ToyLM(V, seed + 3)
    names = ("policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected")
    out = call(ns, "preference_logps", policy, reference, chosen, rejected, returns=names)
    return out | {f"{n}_has_grad": bool(getattr(out[n], "requires_grad", False)) for n in names}


# Probes are bound with partial; raw outputs are compared with the key's (values=True everywhere:
# every function here is deterministic).
CHECKS = [
    # ------------------------------------------------------------ format_prompt / format_example
    Check("format_prompt_values", "format_prompt", probe_format_prompt, points=2,
          description="the prompt for an instruction with an input, with '' and with the default input"),
    Check("format_prompt_multiline_input", "format_prompt", probe_format_prompt_multiline, points=1,
          description="an input of several lines (a small table) goes in as it is"),
    Check("format_example_values", "format_example", probe_format_example, points=2,
          description="prompt + response + <|end|>, with and without an input"),
    # ------------------------------------------------------------ generate_response
    Check("generate_stops_at_eos", "generate_response", probe_generate, points=2,
          description="greedy tokens of a toy model after a prompt longer than its block_size, stopping at EOS"),
    Check("generate_without_eos", "generate_response", partial(probe_generate, seed=15, stop_at=None), points=1,
          description="the same when the model never writes EOS: exactly max_new_tokens tokens"),
    Check("generate_contract", "generate_response", probe_generate_contract, points=1,
          description="returns the new token ids as a list of Python ints"),
    # ------------------------------------------------------------ exact_match
    Check("exact_match_values", "exact_match", probe_exact_match, points=2,
          description="12 predictions: exact, padded with whitespace, other case, doubled spaces, extra words, wrong "
                      "(all of them, and the first third and two thirds)"),
    Check("exact_match_contract", "exact_match", probe_exact_match_contract, points=1,
          description="returns a Python float, and 0.0 for empty lists"),
    # ------------------------------------------------------------ build_sft_example
    Check("build_sft_example_padded", "build_sft_example", probe_build_sft_example, points=2, exact_dtype=True,
          description="a 7-token prompt and 4-token response in max_len 15: ids, labels, mask (int64)"),
    Check("build_sft_example_cut", "build_sft_example", partial(probe_build_sft_example, seed=33, extra=-2), points=1,
          exact_dtype=True, description="max_len shorter than the example: cut inside the response, EOS lost"),
    # ------------------------------------------------------------ collate
    Check("collate_longest", "collate", probe_collate, points=2, exact_dtype=True,
          description="4 pairs of different lengths padded to the longest (+1 for EOS), (B, L) int64"),
    Check("collate_max_len", "collate", partial(probe_collate, seed=43, max_len=12), points=1, exact_dtype=True,
          description="the same with max_len shorter than the longest example"),
    # ------------------------------------------------------------ sequence_logprob
    Check("sequence_logprob_values", "sequence_logprob", probe_sequence_logprob, points=2,
          description="sum and mean log-prob of the supervised tokens of 4 sequences under a toy causal LM"),
    Check("sequence_logprob_float32_large_logits", "sequence_logprob",
          partial(probe_sequence_logprob, seed=53, scale=60.0, dtype=torch.float32), points=1,
          atol=1e-3, rtol=1e-5,  # float32 sums of log-probs of ~-500: correct orders of summation differ by ~1e-4
          description="float32 logits spread over +-300: finite log-probs (use log_softmax)"),
    # ------------------------------------------------------------ sft_loss
    Check("sft_loss_values", "sft_loss", probe_sft_loss, points=2,
          description="mean cross-entropy over the supervised tokens of a batch of 4"),
    Check("sft_loss_gradient", "sft_loss", probe_sft_loss_gradient, points=1,
          description="the loss is a tensor with a graph: its gradient with respect to the model's weights"),
    # ------------------------------------------------------------ dpo_loss
    Check("dpo_loss_values", "dpo_loss", probe_dpo_loss, points=2,
          description="loss, chosen and rejected rewards and the gradients, 6 pairs, beta 0.5"),
    Check("dpo_loss_float32_large_margins", "dpo_loss",
          partial(probe_dpo_loss, seed=75, beta=1.0, spread=150.0, dtype=torch.float32), points=1,
          atol=1e-3, rtol=1e-5,  # float32 losses of ~300: correct stable forms differ by float32 rounding
          description="float32 margins of hundreds of nats: a finite loss (use F.logsigmoid, not log(sigmoid))"),
    Check("dpo_loss_contract", "dpo_loss", probe_dpo_contract, points=1,
          description="the rewards are returned detached (they are for logging), with their values"),
    # ------------------------------------------------------------ preference_logps
    Check("preference_logps_values", "preference_logps", probe_preference_logps, points=3,
          description="the four summed log-probs of 3 pairs under a toy policy and reference, and which carry a graph "
                      "(the policy's must, the reference's must not)"),
]
