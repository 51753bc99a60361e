"""Benchmark week 9: the reference SFT and DPO losses against the field's formulation, then exact match
before and after alignment.

1. Agreement and speed. The master notebook's `sft_loss`, `sequence_logprob`, `dpo_loss` and
   `preference_logps` (executed from source/week09_instructions/instructions.ipynb) side by side with
   independently written reference forms of what the field runs:
   - SFT: Hugging Face `transformers`' ForCausalLMLoss convention: labels padded on the right with
     one -100, shifted left, cross-entropy summed with ignore_index=-100 and divided by the number of
     supervised tokens;
   - sequence log-probs: TRL's `selective_log_softmax` form, logit of the label minus logsumexp;
   - DPO: the loss lines of TRL 1.16.0's `DPOTrainer._compute_loss` (loss_type "sigmoid",
     f_divergence "reverse_kl": -logsigmoid(beta * (chosen_logratios - rejected_logratios))), with
     chosen and rejected scored in one concatenated forward pass, as TRL does.
   TRL itself is not imported: its DPO loss lives inside the Trainer's `_compute_loss` and needs a
   `transformers` model, tokenizer and dataset, which this character-level miniGPT is not.
2. Exact match per task type and split for the base model, SFT, SFT without the prompt mask and
   SFT + DPO (the notebook's training recipes), with wall times.

    python benchmarks/week09_instructions.py              # about 6-8 minutes on an idle 2-core machine
    python benchmarks/week09_instructions.py --quick      # 60 SFT and 20 DPO steps: a smoke run
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import nbformat
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "week09_instructions" / "instructions.ipynb"


def load_notebook() -> dict[str, Any]:
    """Every code cell of the notebook except training, GPU and check() cells, run from the course root."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.chdir(ROOT)  # data_path looks for data/ from the working directory up
    ns: dict[str, Any] = {"__name__": "week09_notebook"}
    for index, cell in enumerate(nbformat.read(str(NOTEBOOK), as_version=4).cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "code" and not tags & {"train", "gpu-extra"} and not cell.source.startswith("check("):
            exec(compile(cell.source, f"instructions.ipynb[{index}]", "exec"), ns)
    return ns


# ---------------------------------------------------------------- the field's formulations


def hf_causal_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """transformers' ForCausalLMLoss: pad labels with -100, shift, sum of CE / number of items."""
    labels = F.pad(labels, (0, 1), value=-100)
    shift_labels = labels[..., 1:].contiguous()
    num_items = (shift_labels != -100).sum()
    loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), shift_labels.view(-1), ignore_index=-100,
                           reduction="sum")
    return loss / num_items


def trl_sequence_logps(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Summed completion log-probs: TRL's selective_log_softmax (label logit - logsumexp) on shifted labels."""
    labels = labels[:, 1:]
    mask = labels != -100
    logits = logits[:, :-1]
    picked = torch.gather(logits, -1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    per_token = picked - torch.logsumexp(logits, dim=-1)
    return (per_token * mask).sum(-1)


def trl_dpo_loss(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta: float):
    """TRL 1.16.0, DPOTrainer._compute_loss with loss_type='sigmoid' (reverse KL)."""
    chosen_logratios = chosen_logps - ref_chosen_logps
    rejected_logratios = rejected_logps - ref_rejected_logps
    delta_score = chosen_logratios - rejected_logratios
    per_sequence_loss = -F.logsigmoid(beta * delta_score)
    chosen_rewards = beta * chosen_logratios.detach()
    rejected_rewards = beta * rejected_logratios.detach()
    return per_sequence_loss.mean(), chosen_rewards, rejected_rewards


def trl_concatenated_logps(policy, reference, chosen, rejected, pad_id: int):
    """Chosen and rejected padded to one length and scored in one forward pass per model."""
    T = max(chosen[0].size(1), rejected[0].size(1))
    ids = torch.cat([F.pad(chosen[0], (0, T - chosen[0].size(1)), value=pad_id),
                     F.pad(rejected[0], (0, T - rejected[0].size(1)), value=pad_id)])
    labels = torch.cat([F.pad(chosen[1], (0, T - chosen[1].size(1)), value=-100),
                        F.pad(rejected[1], (0, T - rejected[1].size(1)), value=-100)])
    B = chosen[0].size(0)
    logps = trl_sequence_logps(policy(ids), labels)
    with torch.no_grad():
        ref = trl_sequence_logps(reference(ids), labels)
    return logps[:B], logps[B:], ref[:B], ref[B:]


# ---------------------------------------------------------------- measuring


def timed(fn, repeat: int) -> float:
    """Median seconds of one call over `repeat` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def agreement(ns: dict, policy, reference, repeat: int) -> None:
    """Our losses vs the field's on real batches: largest differences and time per call."""
    rows = ns["pref_held"][:32]
    chosen, rejected = ns["pref_batch"](rows, policy.block_size)
    sft_batch = ns["collate"]([ns["pair"](r) for r in ns["sft_rows"][:32]], ns["PAD_ID"], ns["EOS_ID"],
                              policy.block_size)
    beta = ns["DPO"]["beta"]
    with torch.no_grad():
        logits = policy(sft_batch[0])
        ours_sft, field_sft = ns["sft_loss"](policy, sft_batch), hf_causal_lm_loss(logits, sft_batch[1])
        ours_seq = ns["sequence_logprob"](policy, chosen[0], chosen[1])[0]
        field_seq = trl_sequence_logps(policy(chosen[0]), chosen[1])
        ours_four = ns["preference_logps"](policy, reference, chosen, rejected)
        field_four = trl_concatenated_logps(policy, reference, chosen, rejected, ns["PAD_ID"])
        ours_dpo, field_dpo = ns["dpo_loss"](*ours_four, beta), trl_dpo_loss(*field_four, beta)
    print("agreement on real batches (32 sequences / pairs, float32):")
    print(f"  SFT loss          ours {ours_sft.item():.6f}  transformers-style {field_sft.item():.6f}  "
          f"|diff| {abs(ours_sft - field_sft).item():.2e}")
    print(f"  sequence log-prob max |diff| {(ours_seq - field_seq).abs().max().item():.2e} "
          f"(values around {ours_seq.mean().item():.2f})")
    print(f"  DPO loss          ours {ours_dpo[0].item():.6f}  TRL-style {field_dpo[0].item():.6f}  "
          f"|diff| {abs(ours_dpo[0] - field_dpo[0]).item():.2e}; rewards max |diff| "
          f"{max((a - b).abs().max().item() for a, b in zip(ours_dpo[1:], field_dpo[1:], strict=True)):.2e}")
    for dtype in (torch.float64, torch.float32):
        gen = torch.Generator().manual_seed(0)
        four = [(30 * torch.randn(4096, generator=gen, dtype=dtype) - 40) for _ in range(4)]
        diff = (ns["dpo_loss"](*four, beta)[0] - trl_dpo_loss(*four, beta)[0]).abs().item()
        print(f"  DPO loss, 4,096 random pairs, {str(dtype)[6:]}: |diff| {diff:.2e}")
    print(f"speed (median of {repeat} calls, {torch.get_num_threads()} threads):")
    pairs = [
        ("SFT loss incl. forward", lambda: ns["sft_loss"](policy, sft_batch),
         lambda: hf_causal_lm_loss(policy(sft_batch[0]), sft_batch[1])),
        ("DPO log-probs (4 scores)", lambda: ns["preference_logps"](policy, reference, chosen, rejected),
         lambda: trl_concatenated_logps(policy, reference, chosen, rejected, ns["PAD_ID"])),
        ("DPO loss alone", lambda: ns["dpo_loss"](*ours_four, beta), lambda: trl_dpo_loss(*field_four, beta)),
    ]
    for name, ours, field in pairs:
        a, b = timed(ours, repeat), timed(field, repeat)
        print(f"  {name:<26} ours {1e3 * a:8.3f} ms   field {1e3 * b:8.3f} ms   ours/field {a / b:.2f}")


def exact_match_table(ns: dict, results: dict[str, dict], seconds: dict[str, float]) -> None:
    tasks = [t for t in ns["TASKS"]]
    for split in ns["SPLITS"]:
        names = [t for t in tasks if (split, t) in results["base"]]
        print(f"\nexact match, {split} ({40 * len(names)} examples)")
        print(f"{'model':<14}{'train s':>9}" + "".join(f"{t:>11}" for t in names) + f"{'all':>8}")
        for model, scores in results.items():
            print(f"{model:<14}{seconds[model]:>9.0f}" + "".join(f"{scores[(split, t)]:>11.3f}" for t in names)
                  + f"{scores[(split, 'all')]:>8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="60 SFT and 20 DPO steps")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ns = load_notebook()
    if args.quick:
        ns["SFT"]["steps"], ns["DPO"]["steps"] = 60, 20
    seconds, models = {"base": 0.0}, {"base": ns["base"]}
    for name, masked in (("SFT", True), ("SFT no mask", False)):
        start = time.time()
        models[name] = ns["train_sft"](masked=masked)[0]
        seconds[name] = time.time() - start
    start = time.time()
    models["SFT + DPO"], log = ns["train_dpo"](models["SFT"])
    seconds["SFT + DPO"] = seconds["SFT"] + time.time() - start
    print(f"\nDPO: final reward accuracy {sum(log['accuracy'][-10:]) / 10:.3f}, margin {log['margin'][-1]:.3f}, "
          f"per-token KL to the reference {log['kl'][-1][1]:.4f}\n")
    agreement(ns, models["SFT + DPO"], models["SFT"], args.repeat)
    start = time.time()
    results = {name: ns["evaluate"](model, ns["eval_rows"]) for name, model in models.items()}
    print(f"\nevaluation: {time.time() - start:.0f} s for {len(models) * len(ns['eval_rows'])} greedy responses")
    exact_match_table(ns, results, seconds)
    print("\ntrain s: training wall time (SFT + DPO includes its SFT run); SFT config", ns["SFT"], "DPO config",
          ns["DPO"])


if __name__ == "__main__":
    main()
