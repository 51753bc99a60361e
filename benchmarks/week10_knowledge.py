"""Week 10 benchmark: the notebook's reference pieces against the tools the field would use.

1. Linear probes: `train_linear_probe` (L-BFGS in PyTorch) against scikit-learn's
   LogisticRegression (lbfgs, C = 1 / (2 N l2): the same objective, see the notebook) on the same
   hidden states (the shipped augmented GPT's residual stream at the last token of a cloze prompt,
   layers 1 and 4, the four pooled attributes): held-out accuracy of each, agreement of their
   predictions, largest gap in predicted probability, time.
2. Candidate ranking: `rank_candidates` (one padded forward pass per query) against the brute force
   of one `candidate_logprob` forward pass per candidate, on cloze queries about 100 people: agreement
   of the top-1 answers, largest score gap, time and speed-up.
Plus the figures of the notebook that need no training: cloze P@1/MRR and the best probe layer.

    python benchmarks/week10_knowledge.py

Both sides run in this process, one thread each (torch.set_num_threads(1)).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "source" / "week10_knowledge"))
import pretrain  # noqa: E402  (the notebook's definitions, loaded as the pretraining script does)

L2 = 1e-3


def timed(function, *args, repeat: int = 1):
    """(result of the last call, seconds per call)."""
    start = time.perf_counter()
    for _ in range(repeat):
        result = function(*args)
    return result, (time.perf_counter() - start) / repeat


def main() -> None:
    torch.set_num_threads(1)
    ns = pretrain.load_notebook()
    tok, EOS = ns["tok"], ns["EOS"]
    people = ns["read_people"](pretrain.data_path("knowledge/people.tsv"))
    templates = json.loads(pretrain.data_path("knowledge/templates.json").read_text())["templates"]
    attributes = ("birth_city", "university", "major", "employer")
    pools = {a: sorted({p[a] for p in people}) for a in attributes}
    models = {name: ns["load_pretrained"](f"gpt_{name}") for name in ("single", "augmented")}
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; {len(people)} people\n")

    # ------------------------------------------------------------ 1. probes vs scikit-learn
    model = models["augmented"]
    is_train = torch.tensor([p["split"] == "train" for p in people])
    n_layers = len(model.blocks)
    print("1. linear probe at the last token of the cloze prompt (\"<name> worked for\"), augmented model: "
          "ours (torch L-BFGS) vs sklearn LogisticRegression(lbfgs)")
    print(f"{'attribute':11s} {'layer':>5s} {'acc ours':>8s} {'acc sklearn':>11s} {'agree':>6s} "
          f"{'max |dp|':>9s} {'ours s':>7s} {'sklearn s':>9s} {'ratio':>6s}")
    ratios, agreements, best = [], [], {}
    warm = torch.randn(20, 4, dtype=torch.float64)
    ns["train_linear_probe"](warm, torch.arange(20) % 2, 2, L2, 5)  # first-call set-up out of the timings
    for attribute in attributes:
        labels = torch.tensor([pools[attribute].index(p[attribute]) for p in people])
        n_classes = len(pools[attribute])
        prompts = [templates[attribute][0].split(" {value}")[0].format(subject=p["name"]) for p in people]
        ids = torch.tensor([[EOS, *tok.encode(prompt)] for prompt in prompts])
        for layer in (1, n_layers):
            x = ns["hidden_states"](model, ids, layer)[:, -1].double()
            x_train, y_train, x_test, y_test = x[is_train], labels[is_train], x[~is_train], labels[~is_train]
            (W, b), ours_s = timed(ns["train_linear_probe"], x_train, y_train, n_classes, L2, 200)
            p_ours = (x_test @ W.T + b).softmax(dim=1).numpy()
            sk = LogisticRegression(C=1 / (2 * len(x_train) * L2), max_iter=1000, tol=1e-10)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, sk_s = timed(sk.fit, x_train.numpy(), y_train.numpy())
            p_sk = np.zeros_like(p_ours)
            p_sk[:, sk.classes_] = sk.predict_proba(x_test.numpy())
            acc_ours = float((p_ours.argmax(1) == y_test.numpy()).mean())
            acc_sk = float((p_sk.argmax(1) == y_test.numpy()).mean())
            agree = float((p_ours.argmax(1) == p_sk.argmax(1)).mean())
            ratios.append(ours_s / sk_s)
            agreements.append(agree)
            best[attribute, layer] = acc_ours
            print(f"{attribute:11s} {layer:5d} {acc_ours:8.3f} {acc_sk:11.3f} {agree:6.3f} "
                  f"{np.abs(p_ours - p_sk).max():9.2e} {ours_s:7.3f} {sk_s:9.3f} {ours_s / sk_s:6.2f}")
    print(f"prediction agreement: mean {np.mean(agreements):.3f}, min {min(agreements):.3f}; "
          f"time ours/sklearn: median {np.median(ratios):.2f}x\n")

    # ------------------------------------------------------------ 2. batched ranking vs brute force
    print("2. cloze ranking over the attribute pools: rank_candidates (one padded batch) vs one "
          "candidate_logprob pass per candidate")
    queries = []
    for person in people[::4]:
        for attribute in attributes:
            prompt = templates[attribute][0].split(" {value}")[0].format(subject=person["name"])
            candidates = [torch.tensor(tok.encode(v)) for v in pools[attribute]]
            queries.append((torch.tensor([EOS, *tok.encode(prompt)]), candidates,
                            pools[attribute].index(person[attribute])))

    def batched(model):
        return [ns["rank_candidates"](model, prompt, candidates)[0] for prompt, candidates, _ in queries]

    def brute(model):
        return [torch.stack([ns["candidate_logprob"](model, prompt, c) for c in candidates])
                for prompt, candidates, _ in queries]

    print(f"{'model':10s} {'queries':>7s} {'top-1 agree':>11s} {'max |dscore|':>12s} {'batched s':>9s} "
          f"{'brute s':>8s} {'speed-up':>8s} {'P@1':>5s} {'MRR':>5s}")
    for name, model in models.items():
        fast, fast_s = timed(batched, model)
        slow, slow_s = timed(brute, model)
        agree = np.mean([int(f.argmax()) == int(s.argmax()) for f, s in zip(fast, slow, strict=True)])
        gap = max(float((f - s).abs().max()) for f, s in zip(fast, slow, strict=True))
        scores = torch.stack([torch.nn.functional.pad(f, (0, 16 - len(f)), value=-1e9) for f in fast])
        gold = torch.tensor([g for _, _, g in queries])
        p1, mrr = ns["precision_at_k"](scores, gold, 1), ns["mean_reciprocal_rank"](scores, gold)
        print(f"{name:10s} {len(queries):7d} {agree:11.3f} {gap:12.2e} {fast_s:9.2f} {slow_s:8.2f} "
              f"{slow_s / fast_s:7.1f}x {p1:5.2f} {mrr:5.2f}")
    layer_best = max(best, key=best.get)
    print(f"\nbest probe (augmented, last prompt token, layers 1 and {n_layers}): {layer_best[0]} at layer "
          f"{layer_best[1]}, accuracy {best[layer_best]:.3f}")


if __name__ == "__main__":
    main()
