"""Known wrong implementations for week 10. Each `code` runs in the reference notebook's namespace
(math, torch, nn, F and the reference functions are defined there) and replaces one function."""

from coursekit.checks import Mistake

BIOGRAPHY_MISTAKES = [
    Mistake("bios_order_drawn_first", "make_biographies",
            "draw the templates (torch.randint) before the sentence order (torch.randperm): the order of "
            "draws decides which numbers each gets", code='''
def make_biographies(people, templates, augment, generator):
    attributes = list(templates)
    T = len(templates[attributes[0]])
    bios = []
    for person in people:
        for _ in range(augment):
            order = list(range(len(attributes)))
            if augment > 1:
                order = torch.randperm(len(attributes), generator=generator).tolist()
            chosen = torch.randint(T, (len(attributes),), generator=generator).tolist()
            parts = []
            for pos, a in enumerate(order):
                subject = person["name"] if pos == 0 or augment > 1 else person["pronoun"]
                parts.append(templates[attributes[a]][chosen[a]].format(subject=subject, value=person[attributes[a]]))
            bios.append(" ".join(parts))
    return bios
'''),
    Mistake("bios_shuffles_single", "make_biographies",
            "with augment == 1 keep the attributes' order and draw no permutation: the single version is "
            "the fixed-order biography", code='''
def make_biographies(people, templates, augment, generator):
    attributes = list(templates)
    T = len(templates[attributes[0]])
    bios = []
    for person in people:
        for _ in range(augment):
            chosen = torch.randint(T, (len(attributes),), generator=generator).tolist()
            order = torch.randperm(len(attributes), generator=generator).tolist()
            parts = []
            for pos, a in enumerate(order):
                subject = person["name"] if pos == 0 or augment > 1 else person["pronoun"]
                parts.append(templates[attributes[a]][chosen[a]].format(subject=subject, value=person[attributes[a]]))
            bios.append(" ".join(parts))
    return bios
'''),
    Mistake("bios_pronoun_when_augmented", "make_biographies",
            "augmented biographies repeat the full name in every sentence (augment > 1); the pronoun is for the "
            "single version only", code='''
def make_biographies(people, templates, augment, generator):
    attributes = list(templates)
    T = len(templates[attributes[0]])
    bios = []
    for person in people:
        for _ in range(augment):
            chosen = torch.randint(T, (len(attributes),), generator=generator).tolist()
            order = list(range(len(attributes)))
            if augment > 1:
                order = torch.randperm(len(attributes), generator=generator).tolist()
            parts = []
            for pos, a in enumerate(order):
                subject = person["name"] if pos == 0 else person["pronoun"]
                parts.append(templates[attributes[a]][chosen[a]].format(subject=subject, value=person[attributes[a]]))
            bios.append(" ".join(parts))
    return bios
'''),
    Mistake("bios_global_rng", "make_biographies",
            "pass generator=generator to torch.randint and torch.randperm: the global RNG makes the corpus "
            "depend on whatever ran before", code='''
def make_biographies(people, templates, augment, generator):
    attributes = list(templates)
    T = len(templates[attributes[0]])
    bios = []
    for person in people:
        for _ in range(augment):
            chosen = torch.randint(T, (len(attributes),)).tolist()
            order = torch.randperm(len(attributes)).tolist() if augment > 1 else list(range(len(attributes)))
            parts = []
            for pos, a in enumerate(order):
                subject = person["name"] if pos == 0 or augment > 1 else person["pronoun"]
                parts.append(templates[attributes[a]][chosen[a]].format(subject=subject, value=person[attributes[a]]))
            bios.append(" ".join(parts))
    return bios
'''),
    Mistake("bios_templates_once_per_person", "make_biographies",
            "draw the templates for every biography, not once per person: each of the augmented versions gets "
            "its own paraphrases", code='''
def make_biographies(people, templates, augment, generator):
    attributes = list(templates)
    T = len(templates[attributes[0]])
    bios = []
    for person in people:
        chosen = torch.randint(T, (len(attributes),), generator=generator).tolist()
        for _ in range(augment):
            order = list(range(len(attributes)))
            if augment > 1:
                order = torch.randperm(len(attributes), generator=generator).tolist()
            parts = []
            for pos, a in enumerate(order):
                subject = person["name"] if pos == 0 or augment > 1 else person["pronoun"]
                parts.append(templates[attributes[a]][chosen[a]].format(subject=subject, value=person[attributes[a]]))
            bios.append(" ".join(parts))
    return bios
'''),
]

CANDIDATE_MISTAKES = [
    Mistake("logprob_not_shifted", "candidate_logprob",
            "the logits at position t predict the token at t + 1: score candidate token j with the row before "
            "it (rows P-1 .. P+K-2 of prompt + candidate[:-1])", code='''
def candidate_logprob(model, prompt_ids, candidate_ids):
    ids = torch.cat([prompt_ids, candidate_ids])[None]
    with torch.no_grad():
        logprobs = model(ids)[0].log_softmax(-1)
    P = len(prompt_ids)
    return logprobs[P:].gather(1, candidate_ids[:, None]).sum()
'''),
    Mistake("logprob_includes_prompt", "candidate_logprob",
            "sum the log-probabilities of the candidate's tokens only: the prompt's own tokens are given, not "
            "predicted", code='''
def candidate_logprob(model, prompt_ids, candidate_ids):
    ids = torch.cat([prompt_ids, candidate_ids])
    with torch.no_grad():
        logprobs = model(ids[None, :-1])[0].log_softmax(-1)
    return logprobs.gather(1, ids[1:, None]).sum()
'''),
    Mistake("logprob_mean_not_sum", "candidate_logprob",
            "log p(candidate) is the SUM of its tokens' log-probabilities (the chain rule), not their mean",
            code='''
def candidate_logprob(model, prompt_ids, candidate_ids):
    ids = torch.cat([prompt_ids, candidate_ids[:-1]])[None]
    with torch.no_grad():
        logprobs = model(ids)[0].log_softmax(-1)
    P = len(prompt_ids)
    return logprobs[P - 1:].gather(1, candidate_ids[:, None]).mean()
'''),
    Mistake("logprob_log_of_softmax", "candidate_logprob",
            "use log_softmax: log(softmax(z)) underflows to -inf in float32 when the logits are spread out",
            code='''
def candidate_logprob(model, prompt_ids, candidate_ids):
    ids = torch.cat([prompt_ids, candidate_ids[:-1]])[None]
    with torch.no_grad():
        logprobs = torch.log(model(ids)[0].softmax(-1))
    P = len(prompt_ids)
    return logprobs[P - 1:].gather(1, candidate_ids[:, None]).sum()
'''),
    Mistake("logprob_drops_last_token", "candidate_logprob",
            "score every candidate token, the last one too: the rows P-1 .. P+K-2 predict all K of them",
            code='''
def candidate_logprob(model, prompt_ids, candidate_ids):
    ids = torch.cat([prompt_ids, candidate_ids[:-1]])[None]
    with torch.no_grad():
        logprobs = model(ids)[0].log_softmax(-1)
    P = len(prompt_ids)
    return logprobs[P - 1:-1].gather(1, candidate_ids[:-1, None]).sum()
'''),
]

RANK_MISTAKES = [
    Mistake("rank_mean_not_sum", "rank_candidates",
            "score a candidate by the SUM of its tokens' log-probabilities; the mean (length normalisation) "
            "favours long candidates", code='''
def rank_candidates(model, prompt_ids, candidates):
    P, K = len(prompt_ids), max(len(c) for c in candidates)
    ids = torch.zeros(len(candidates), P + K - 1, dtype=torch.long)
    targets = torch.zeros(len(candidates), K, dtype=torch.long)
    scored = torch.zeros(len(candidates), K, dtype=torch.bool)
    for row, c in enumerate(candidates):
        ids[row, :P], ids[row, P:P + len(c) - 1] = prompt_ids, c[:-1]
        targets[row, :len(c)], scored[row, :len(c)] = c, True
    with torch.no_grad():
        logprobs = model(ids)[:, P - 1:].log_softmax(-1)
    tok = logprobs.gather(2, targets[..., None])[..., 0]
    scores = (tok * scored).sum(1) / scored.sum(1)
    return scores, torch.argsort(scores, descending=True, stable=True)
'''),
    Mistake("rank_scores_padding", "rank_candidates",
            "mask the padded positions out of the sum: a short candidate must not pay for the padding after it",
            code='''
def rank_candidates(model, prompt_ids, candidates):
    P, K = len(prompt_ids), max(len(c) for c in candidates)
    ids = torch.zeros(len(candidates), P + K - 1, dtype=torch.long)
    targets = torch.zeros(len(candidates), K, dtype=torch.long)
    for row, c in enumerate(candidates):
        ids[row, :P], ids[row, P:P + len(c) - 1] = prompt_ids, c[:-1]
        targets[row, :len(c)] = c
    with torch.no_grad():
        logprobs = model(ids)[:, P - 1:].log_softmax(-1)
    scores = logprobs.gather(2, targets[..., None])[..., 0].sum(1)
    return scores, torch.argsort(scores, descending=True, stable=True)
'''),
    Mistake("rank_order_ascending", "rank_candidates",
            "order the candidates from best to worst: the highest log-probability first (descending=True)",
            code='''
def rank_candidates(model, prompt_ids, candidates):
    P, K = len(prompt_ids), max(len(c) for c in candidates)
    ids = torch.zeros(len(candidates), P + K - 1, dtype=torch.long)
    targets = torch.zeros(len(candidates), K, dtype=torch.long)
    scored = torch.zeros(len(candidates), K, dtype=torch.bool)
    for row, c in enumerate(candidates):
        ids[row, :P], ids[row, P:P + len(c) - 1] = prompt_ids, c[:-1]
        targets[row, :len(c)], scored[row, :len(c)] = c, True
    with torch.no_grad():
        logprobs = model(ids)[:, P - 1:].log_softmax(-1)
    scores = (logprobs.gather(2, targets[..., None])[..., 0] * scored).sum(1)
    return scores, torch.argsort(scores, stable=True)
'''),
    Mistake("rank_not_shifted", "rank_candidates",
            "the logits at position t predict the token at t + 1: candidate token j is scored by the row of "
            "the token before it", code='''
def rank_candidates(model, prompt_ids, candidates):
    P, K = len(prompt_ids), max(len(c) for c in candidates)
    ids = torch.zeros(len(candidates), P + K, dtype=torch.long)
    targets = torch.zeros(len(candidates), K, dtype=torch.long)
    scored = torch.zeros(len(candidates), K, dtype=torch.bool)
    for row, c in enumerate(candidates):
        ids[row, :P], ids[row, P:P + len(c)] = prompt_ids, c
        targets[row, :len(c)], scored[row, :len(c)] = c, True
    with torch.no_grad():
        logprobs = model(ids)[:, P:].log_softmax(-1)
    scores = (logprobs.gather(2, targets[..., None])[..., 0] * scored).sum(1)
    return scores, torch.argsort(scores, descending=True, stable=True)
'''),
]

PRECISION_MISTAKES = [
    Mistake("precision_ties_as_hits", "precision_at_k",
            "count ties against the gold answer: rank = 1 + the number of OTHER candidates scoring >= it (with "
            "> an all-equal row would score P@1 = 1)", code='''
def precision_at_k(scores, gold, k=1):
    ranks = 1 + (scores > scores.gather(1, gold[:, None])).sum(1)
    return (ranks <= k).double().mean().item()
'''),
    Mistake("precision_topk_indices", "precision_at_k",
            "torch.topk breaks ties by position, which can favour the gold answer; rank it by counting the other "
            "candidates scoring >= it", code='''
def precision_at_k(scores, gold, k=1):
    top = scores.topk(k, dim=1).indices
    return (top == gold[:, None]).any(1).double().mean().item()
'''),
    Mistake("precision_off_by_one", "precision_at_k",
            "ranks start at 1: the top k are ranks 1..k (rank <= k)", code='''
def precision_at_k(scores, gold, k=1):
    ranks = (scores >= scores.gather(1, gold[:, None])).sum(1)
    return (ranks < k).double().mean().item()
'''),
    Mistake("precision_ignores_k", "precision_at_k",
            "use k: P@k counts the gold answer anywhere in the top k, not only first", code='''
def precision_at_k(scores, gold, k=1):
    ranks = (scores >= scores.gather(1, gold[:, None])).sum(1)
    return (ranks <= 1).double().mean().item()
'''),
]

MRR_MISTAKES = [
    Mistake("mrr_zero_based_ranks", "mean_reciprocal_rank",
            "ranks are 1-based (the best is rank 1, reciprocal 1); a 0-based rank divides by zero", code='''
def mean_reciprocal_rank(scores, gold):
    ranks = (scores > scores.gather(1, gold[:, None])).sum(1)
    return (1.0 / ranks.double()).mean().item()
'''),
    Mistake("mrr_ties_as_hits", "mean_reciprocal_rank",
            "count ties against the gold answer: rank = 1 + the number of OTHER candidates scoring >= it",
            code='''
def mean_reciprocal_rank(scores, gold):
    ranks = 1 + (scores > scores.gather(1, gold[:, None])).sum(1)
    return (1.0 / ranks.double()).mean().item()
'''),
    Mistake("mrr_reciprocal_of_mean_rank", "mean_reciprocal_rank",
            "average the reciprocal ranks, mean(1 / rank), not 1 / mean(rank)", code='''
def mean_reciprocal_rank(scores, gold):
    ranks = (scores >= scores.gather(1, gold[:, None])).sum(1)
    return (1.0 / ranks.double().mean()).item()
'''),
]

HIDDEN_MISTAKES = [
    Mistake("hidden_after_final_layernorm", "hidden_states",
            "the last layer is the output of the last block; the final LayerNorm (ln_f) belongs to the head, "
            "not to a layer", code='''
def hidden_states(model, ids, layer):
    captured = {}
    if layer == 0:
        handle = model.blocks[0].register_forward_pre_hook(lambda m, args: captured.update(h=args[0]))
    elif layer == len(model.blocks):
        handle = model.ln_f.register_forward_hook(lambda m, args, out: captured.update(h=out))
    else:
        handle = model.blocks[layer - 1].register_forward_hook(lambda m, args, out: captured.update(h=out))
    try:
        with torch.no_grad():
            model(ids)
    finally:
        handle.remove()
    return captured["h"].detach()
'''),
    Mistake("hidden_hook_left_registered", "hidden_states",
            "remove the hook after the forward pass (handle = ...register_forward_hook(...); handle.remove()): "
            "a hook left behind runs on every later forward", code='''
def hidden_states(model, ids, layer):
    captured = {}
    if layer == 0:
        model.blocks[0].register_forward_pre_hook(lambda m, args: captured.update(h=args[0]))
    else:
        model.blocks[layer - 1].register_forward_hook(lambda m, args, out: captured.update(h=out))
    with torch.no_grad():
        model(ids)
    return captured["h"].detach()
'''),
    Mistake("hidden_block_off_by_one", "hidden_states",
            "layer l >= 1 is the OUTPUT of blocks[l - 1] (layer 0 the embeddings): blocks[l]'s output is one "
            "layer too deep", code='''
def hidden_states(model, ids, layer):
    captured = {}
    block = model.blocks[min(layer, len(model.blocks) - 1)]
    handle = block.register_forward_hook(lambda m, args, out: captured.update(h=out))
    try:
        with torch.no_grad():
            model(ids)
    finally:
        handle.remove()
    return captured["h"].detach()
'''),
    Mistake("hidden_layer0_token_embeddings_only", "hidden_states",
            "layer 0 is the input of blocks[0], token AND position embeddings: hook blocks[0] with a forward "
            "pre-hook, not tok_emb", code='''
def hidden_states(model, ids, layer):
    captured = {}
    if layer == 0:
        handle = model.tok_emb.register_forward_hook(lambda m, args, out: captured.update(h=out))
    else:
        handle = model.blocks[layer - 1].register_forward_hook(lambda m, args, out: captured.update(h=out))
    try:
        with torch.no_grad():
            model(ids)
    finally:
        handle.remove()
    return captured["h"].detach()
'''),
    Mistake("hidden_keeps_graph", "hidden_states",
            "run the forward under torch.no_grad() (or detach the result): the hidden state must not carry the "
            "autograd graph", code='''
def hidden_states(model, ids, layer):
    captured = {}
    if layer == 0:
        handle = model.blocks[0].register_forward_pre_hook(lambda m, args: captured.update(h=args[0]))
    else:
        handle = model.blocks[layer - 1].register_forward_hook(lambda m, args, out: captured.update(h=out))
    try:
        model(ids)
    finally:
        handle.remove()
    return captured["h"]
'''),
]

PROBE_MISTAKES = [
    Mistake("probe_penalises_bias", "train_linear_probe",
            "penalise W only: l2 * (W ** 2).sum(), without the bias (as scikit-learn does)", code='''
def train_linear_probe(features, labels, n_classes, l2=1e-3, steps=100):
    W = torch.zeros(n_classes, features.shape[1], dtype=features.dtype, requires_grad=True)
    b = torch.zeros(n_classes, dtype=features.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], lr=1, max_iter=steps, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-10, tolerance_change=1e-12)
    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(features @ W.T + b, labels) + l2 * ((W ** 2).sum() + (b ** 2).sum())
        loss.backward()
        return loss
    opt.step(closure)
    return W.detach(), b.detach()
'''),
    Mistake("probe_no_penalty", "train_linear_probe",
            "add the penalty l2 * (W ** 2).sum() to the loss: without it the probe's weights grow on separable data",
            code='''
def train_linear_probe(features, labels, n_classes, l2=1e-3, steps=100):
    W = torch.zeros(n_classes, features.shape[1], dtype=features.dtype, requires_grad=True)
    b = torch.zeros(n_classes, dtype=features.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], lr=1, max_iter=steps, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-10, tolerance_change=1e-12)
    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(features @ W.T + b, labels)
        loss.backward()
        return loss
    opt.step(closure)
    return W.detach(), b.detach()
'''),
    Mistake("probe_summed_loss", "train_linear_probe",
            "average the cross-entropy over the examples (the mean): a summed loss weakens the penalty N times",
            code='''
def train_linear_probe(features, labels, n_classes, l2=1e-3, steps=100):
    W = torch.zeros(n_classes, features.shape[1], dtype=features.dtype, requires_grad=True)
    b = torch.zeros(n_classes, dtype=features.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], lr=1, max_iter=steps, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-10, tolerance_change=1e-12)
    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(features @ W.T + b, labels, reduction="sum") + l2 * (W ** 2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    return W.detach(), b.detach()
'''),
    Mistake("probe_norm_not_squared", "train_linear_probe",
            "the penalty is the SQUARED norm, l2 * (W ** 2).sum(), not l2 * W.norm()", code='''
def train_linear_probe(features, labels, n_classes, l2=1e-3, steps=100):
    W = torch.zeros(n_classes, features.shape[1], dtype=features.dtype, requires_grad=True)
    b = torch.zeros(n_classes, dtype=features.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], lr=1, max_iter=steps, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-10, tolerance_change=1e-12)
    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(features @ W.T + b, labels) + l2 * (W ** 2).sum().clamp_min(1e-30).sqrt()
        loss.backward()
        return loss
    opt.step(closure)
    return W.detach(), b.detach()
'''),
]

LAYER_PROBE_MISTAKES = [
    Mistake("layer_probe_fit_on_test_people", "layer_probe_accuracy",
            "fit the probe on the training people only (features[l][is_train]): fitting on the people you then "
            "score measures the probe's memory, not the model's", code='''
def layer_probe_accuracy(features, labels, is_train, fit):
    test = ~is_train
    accuracies = []
    for x in features:
        W, b = fit(x, labels)
        accuracies.append(((x[test] @ W.T + b).argmax(1) == labels[test]).double().mean())
    return torch.stack(accuracies)
'''),
    Mistake("layer_probe_scored_on_train", "layer_probe_accuracy",
            "score the probe on the held-out people (is_train False), not on the rows it was fit on", code='''
def layer_probe_accuracy(features, labels, is_train, fit):
    accuracies = []
    for x in features:
        W, b = fit(x[is_train], labels[is_train])
        accuracies.append(((x[is_train] @ W.T + b).argmax(1) == labels[is_train]).double().mean())
    return torch.stack(accuracies)
'''),
    Mistake("layer_probe_scored_on_everyone", "layer_probe_accuracy",
            "score on the held-out people only: averaging over everyone mixes in the rows the probe was fit on",
            code='''
def layer_probe_accuracy(features, labels, is_train, fit):
    accuracies = []
    for x in features:
        W, b = fit(x[is_train], labels[is_train])
        accuracies.append(((x @ W.T + b).argmax(1) == labels).double().mean())
    return torch.stack(accuracies)
'''),
    Mistake("layer_probe_one_probe_for_all_layers", "layer_probe_accuracy",
            "fit one probe per layer: a probe fit on one layer's features does not read another layer's", code='''
def layer_probe_accuracy(features, labels, is_train, fit):
    test = ~is_train
    W, b = fit(features[-1][is_train], labels[is_train])
    return torch.stack([((x[test] @ W.T + b).argmax(1) == labels[test]).double().mean() for x in features])
'''),
]

EDIT_MISTAKES = [
    Mistake("edit_without_C", "rank_one_edit",
            "use C: the update direction is C^-1 key (torch.linalg.solve(C, key)), which keeps typical keys in "
            "place; without C it is the plain least-change (Frobenius) update", code='''
def rank_one_edit(W, key, value, C):
    return W + torch.outer(value - W @ key, key) / (key @ key)
'''),
    Mistake("edit_C_not_inverted", "rank_one_edit",
            "the direction is C^-1 key (solve C u = key), not C key", code='''
def rank_one_edit(W, key, value, C):
    u = C @ key
    return W + torch.outer(value - W @ key, u) / (key @ u)
'''),
    Mistake("edit_outer_transposed", "rank_one_edit",
            "the update is (value - W key) (C^-1 key)^T, of shape (d_out, d_in): torch.outer(residual, u), "
            "not torch.outer(u, residual)", code='''
def rank_one_edit(W, key, value, C):
    u = torch.linalg.solve(C, key)
    return W + torch.outer(u, value - W @ key) / (key @ u)
'''),
    Mistake("edit_wrong_denominator", "rank_one_edit",
            "divide by key^T C^-1 key, so that W' key = value exactly", code='''
def rank_one_edit(W, key, value, C):
    u = torch.linalg.solve(C, key)
    return W + torch.outer(value - W @ key, u) / (key @ key)
'''),
    Mistake("edit_in_place", "rank_one_edit",
            "return a new matrix: W += ... changes the caller's weight (clone it, or write W + ...)", code='''
def rank_one_edit(W, key, value, C):
    u = torch.linalg.solve(C, key)
    W += torch.outer(value - W @ key, u) / (key @ u)
    return W
'''),
]

MISTAKES = (BIOGRAPHY_MISTAKES + CANDIDATE_MISTAKES + RANK_MISTAKES + PRECISION_MISTAKES + MRR_MISTAKES
            + HIDDEN_MISTAKES + PROBE_MISTAKES + LAYER_PROBE_MISTAKES + EDIT_MISTAKES)
