"""Accepted variants for week 10: correct implementations written the way learners write them.

Each `code` runs in the reference notebook's namespace (math, torch, nn, F and the reference
functions are defined there) and replaces one function. `coursekit validate` requires every one to
earn full marks: a check that penalises one of them is wrong, not the variant. Never released.
"""

from coursekit.checks import Variant

BIOGRAPHY_VARIANTS = [
    Variant("bios_replace_and_comprehension", "make_biographies",
            style="str.replace for the fields, a comprehension over the order, values() of the templates", code='''
def make_biographies(people, templates, augment, generator):
    names = list(templates.keys())
    kinds = list(templates.values())
    out = []
    for p in people:
        for v in range(augment):
            pick = torch.randint(len(kinds[0]), (len(names),), generator=generator)
            order = torch.randperm(len(names), generator=generator) if augment > 1 else torch.arange(len(names))
            out.append(" ".join(
                kinds[a][pick[a]].replace("{subject}", p["name"] if (i == 0 or augment > 1) else p["pronoun"])
                .replace("{value}", p[names[a]])
                for i, a in enumerate(order.tolist())))
    return out
'''),
    Variant("bios_helper_function", "make_biographies",
            style="a nested helper per biography, sentences appended, subjects chosen up front", code='''
def make_biographies(people, templates, augment, generator):
    attrs = [a for a in templates]
    n_t = len(templates[attrs[0]])

    def one(person):
        t = torch.randint(0, n_t, size=(len(attrs),), generator=generator)
        order = list(range(len(attrs)))
        if augment != 1:
            order = torch.randperm(len(attrs), generator=generator).tolist()
        subjects = [person["name"]] + [person["name"] if augment > 1 else person["pronoun"]] * (len(attrs) - 1)
        text = []
        for subject, a in zip(subjects, order):
            text.append(templates[attrs[a]][int(t[a])].format(value=person[attrs[a]], subject=subject))
        return " ".join(text)

    return [one(person) for person in people for _ in range(augment)]
'''),
]

CANDIDATE_VARIANTS = [
    Variant("logprob_cross_entropy", "candidate_logprob",
            style="F.cross_entropy with reduction='sum' on the shifted logits, negated", code='''
def candidate_logprob(model, prompt_ids, candidate_ids):
    full = torch.cat((prompt_ids, candidate_ids))
    with torch.no_grad():
        logits = model(full[:-1].unsqueeze(0)).squeeze(0)
    n = len(candidate_ids)
    return -F.cross_entropy(logits[-n:], candidate_ids, reduction="sum")
'''),
    Variant("logprob_loop", "candidate_logprob",
            style="a loop over the candidate's tokens, indexing log_softmax row by row", code='''
def candidate_logprob(model, prompt_ids, candidate_ids):
    seq = torch.cat([prompt_ids, candidate_ids]).unsqueeze(0)
    with torch.no_grad():
        logp = F.log_softmax(model(seq[:, :-1]), dim=-1)[0]
    total = 0.0
    for j, token in enumerate(candidate_ids):
        total = total + logp[len(prompt_ids) - 1 + j, token]
    return total
'''),
]

RANK_VARIANTS = [
    Variant("rank_pad_sequence", "rank_candidates",
            style="pad_sequence with padding_value=-100 for the targets, cross_entropy(ignore_index) per row",
            code='''
def rank_candidates(model, prompt_ids, candidates):
    from torch.nn.utils.rnn import pad_sequence
    P = prompt_ids.numel()
    rows = pad_sequence([torch.cat([prompt_ids, c[:-1]]) for c in candidates], batch_first=True, padding_value=0)
    targets = pad_sequence(list(candidates), batch_first=True, padding_value=-100)
    with torch.no_grad():
        logits = model(rows)[:, P - 1:]
    nll = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=-100, reduction="none")
    scores = -nll.sum(dim=1)
    return scores, scores.argsort(descending=True, stable=True)
'''),
    Variant("rank_gather_with_clamp", "rank_candidates",
            style="lengths tensor, gather on clamped targets, mask from arange < lengths, sort(stable)", code='''
def rank_candidates(model, prompt_ids, candidates):
    lengths = torch.tensor([len(c) for c in candidates])
    K, P, C = int(lengths.max()), len(prompt_ids), len(candidates)
    batch = prompt_ids.repeat(C, 1)
    tail = torch.full((C, K), -1, dtype=torch.long)
    for i, c in enumerate(candidates):
        tail[i, : len(c)] = c
    inputs = torch.cat([batch, tail[:, :-1].clamp(min=0)], dim=1)
    with torch.no_grad():
        lp = model(inputs).log_softmax(-1)[:, P - 1 : P - 1 + K]
    picked = lp.gather(-1, tail.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    mask = torch.arange(K)[None, :] < lengths[:, None]
    scores = picked.masked_fill(~mask, 0.0).sum(-1)
    order = torch.sort(scores, descending=True, stable=True).indices
    return scores, order
'''),
]

PRECISION_VARIANTS = [
    Variant("precision_loop", "precision_at_k",
            style="a Python loop over rows, counting the others that score at least as high", code='''
def precision_at_k(scores, gold, k=1):
    hits = 0
    for row, g in zip(scores, gold):
        others_at_least = sum(1 for j in range(len(row)) if j != int(g) and row[j] >= row[g])
        hits += int(1 + others_at_least <= k)
    return hits / len(scores)
'''),
    Variant("precision_strict_comparison", "precision_at_k",
            style="rank = C - #(strictly lower), float mean", code='''
def precision_at_k(scores, gold, k=1):
    g = scores[torch.arange(len(gold)), gold].unsqueeze(1)
    rank = scores.shape[1] - (scores < g).sum(1)
    return float((rank <= k).float().mean())
'''),
]

MRR_VARIANTS = [
    Variant("mrr_numpy", "mean_reciprocal_rank", style="numpy, ranks from >= comparisons", code='''
def mean_reciprocal_rank(scores, gold):
    import numpy as np
    s, g = scores.numpy(), gold.numpy()
    rank = (s >= s[np.arange(len(g)), g][:, None]).sum(axis=1)
    return float(np.mean(1.0 / rank))
'''),
    Variant("mrr_loop", "mean_reciprocal_rank", style="a loop over rows with sorted scores and ties resolved last",
            code='''
def mean_reciprocal_rank(scores, gold):
    total = 0.0
    for row, g in zip(scores.tolist(), gold.tolist()):
        rank = 1 + sum(1 for j, s in enumerate(row) if j != g and s >= row[g])
        total += 1.0 / rank
    return total / len(gold)
'''),
]

HIDDEN_VARIANTS = [
    Variant("hidden_manual_forward", "hidden_states",
            style="no hook: recompute the embeddings and run the first `layer` blocks by hand", code='''
@torch.no_grad()
def hidden_states(model, ids, layer):
    x = model.tok_emb(ids) + model.pos_emb(torch.arange(ids.shape[1]))
    for block in model.blocks[:layer]:
        x = block(x)
    return x
'''),
    Variant("hidden_pre_hook_on_next_block", "hidden_states",
            style="a pre-hook on blocks[layer] (its input) unless it is the last layer; a list of outputs; "
                  "handle removed in finally", code='''
def hidden_states(model, ids, layer):
    out = []
    if layer < len(model.blocks):
        h = model.blocks[layer].register_forward_pre_hook(lambda mod, inp: out.append(inp[0].detach()))
    else:
        h = model.blocks[-1].register_forward_hook(lambda mod, inp, o: out.append(o.detach()))
    try:
        with torch.inference_mode():
            model(ids)
    finally:
        h.remove()
    return out[0].clone()
'''),
]

PROBE_VARIANTS = [
    Variant("probe_linear_module", "train_linear_probe",
            style="nn.Linear zero-initialised, log_softmax + nll_loss, weight penalty from the module", code='''
def train_linear_probe(features, labels, n_classes, l2=1e-3, steps=100):
    lin = nn.Linear(features.shape[1], n_classes).to(features.dtype)
    nn.init.zeros_(lin.weight)
    nn.init.zeros_(lin.bias)
    opt = torch.optim.LBFGS(lin.parameters(), lr=1, max_iter=steps, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-10, tolerance_change=1e-12)

    def closure():
        opt.zero_grad()
        loss = F.nll_loss(F.log_softmax(lin(features), dim=1), labels) + l2 * lin.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return lin.weight.detach().clone(), lin.bias.detach().clone()
'''),
    Variant("probe_bias_column", "train_linear_probe",
            style="one matrix [W | b] on features with a column of ones; the penalty skips the last column",
            code='''
def train_linear_probe(features, labels, n_classes, l2=1e-3, steps=100):
    X = torch.cat([features, torch.ones(len(features), 1, dtype=features.dtype)], dim=1)
    theta = torch.zeros(n_classes, X.shape[1], dtype=features.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([theta], max_iter=steps, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-10, tolerance_change=1e-12)

    def closure():
        opt.zero_grad()
        logits = X @ theta.T
        nll = -(logits.log_softmax(1)[torch.arange(len(labels)), labels]).mean()
        loss = nll + l2 * theta[:, :-1].square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    return theta[:, :-1].detach(), theta[:, -1].detach()
'''),
]

LAYER_PROBE_VARIANTS = [
    Variant("layer_probe_indices", "layer_probe_accuracy",
            style="index lists from nonzero(), a list comprehension, float accuracies in a tensor", code='''
def layer_probe_accuracy(features, labels, is_train, fit):
    tr = is_train.nonzero().squeeze(1)
    te = (~is_train).nonzero().squeeze(1)
    result = []
    for l in range(features.shape[0]):
        W, b = fit(features[l, tr], labels[tr])
        pred = torch.argmax(features[l, te] @ W.t() + b, dim=-1)
        result.append((pred == labels[te]).sum().item() / len(te))
    return torch.tensor(result, dtype=torch.float64)
'''),
    Variant("layer_probe_numpy_accuracy", "layer_probe_accuracy",
            style="the logits with F.linear, accuracy through numpy", code='''
def layer_probe_accuracy(features, labels, is_train, fit):
    import numpy as np
    accs = []
    for feats in features.unbind(0):
        W, b = fit(feats[is_train], labels[is_train])
        logits = F.linear(feats[~is_train], W, b)
        accs.append(np.mean(logits.argmax(-1).numpy() == labels[~is_train].numpy()))
    return torch.tensor(np.array(accs))
'''),
]

EDIT_VARIANTS = [
    Variant("edit_explicit_inverse", "rank_one_edit", style="torch.linalg.inv, column/row vectors, matmuls",
            code='''
def rank_one_edit(W, key, value, C):
    k = key.reshape(-1, 1)
    v = value.reshape(-1, 1)
    C_inv = torch.linalg.inv(C)
    u = C_inv @ k
    return W + (v - W @ k) @ u.T / (k.T @ u)
'''),
    Variant("edit_cholesky", "rank_one_edit", style="Cholesky solve, ROME's u = C^-1 k / (k^T C^-1 k), W.clone()",
            code='''
def rank_one_edit(W, key, value, C):
    L = torch.linalg.cholesky(C)
    c_inv_k = torch.cholesky_solve(key[:, None], L)[:, 0]
    u = c_inv_k / torch.dot(key, c_inv_k)
    W_new = W.clone()
    W_new += torch.einsum("i,j->ij", value - W @ key, u)
    return W_new
'''),
]

VARIANTS = (BIOGRAPHY_VARIANTS + CANDIDATE_VARIANTS + RANK_VARIANTS + PRECISION_VARIANTS + MRR_VARIANTS
            + HIDDEN_VARIANTS + PROBE_VARIANTS + LAYER_PROBE_VARIANTS + EDIT_VARIANTS)
