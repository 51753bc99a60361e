"""Known wrong implementations for week 7. Each `code` runs in the reference notebook's namespace
(torch, nn, F and the reference definitions are there) and replaces one function or class."""

from coursekit.checks import Mistake

EMBEDDING_MISTAKES = [
    Mistake("oov_rows_zero", "build_embedding_matrix",
            "your out-of-vocabulary rows are zeros: every OOV word then looks the same; draw them as "
            "mu + sigma * z from the pretrained rows' per-dimension mean and std", code='''
def build_embedding_matrix(vocab, pretrained_vocab, vectors, generator):
    index = {w: j for j, w in enumerate(pretrained_vocab)}
    matrix = torch.zeros(len(vocab), vectors.shape[1], dtype=vectors.dtype)
    for i, w in enumerate(vocab):
        if w in index:
            matrix[i] = vectors[index[w]]
    return matrix, sum(w in index for w in vocab) / len(vocab)
'''),
    Mistake("oov_rows_identical_mean", "build_embedding_matrix",
            "all your OOV rows are the same vector (the mean): add sigma * z, one row of z per OOV word", code='''
def build_embedding_matrix(vocab, pretrained_vocab, vectors, generator):
    index = {w: j for j, w in enumerate(pretrained_vocab)}
    matrix = vectors.mean(dim=0).repeat(len(vocab), 1)
    for i, w in enumerate(vocab):
        if w in index:
            matrix[i] = vectors[index[w]]
    return matrix, sum(w in index for w in vocab) / len(vocab)
'''),
    Mistake("rows_copied_by_position", "build_embedding_matrix",
            "you copy pretrained rows by position (row i of vectors for word i); look each word up in "
            "pretrained_vocab and copy the row at ITS index", code='''
def build_embedding_matrix(vocab, pretrained_vocab, vectors, generator):
    known = torch.tensor([w in set(pretrained_vocab) for w in vocab])
    matrix = torch.empty(len(vocab), vectors.shape[1], dtype=vectors.dtype)
    positions = torch.arange(len(vocab))[known] % len(pretrained_vocab)
    matrix[known] = vectors[positions]
    mu, sigma = vectors.mean(dim=0), vectors.std(dim=0, correction=0)
    z = torch.randn(int((~known).sum()), vectors.shape[1], generator=generator, dtype=vectors.dtype)
    matrix[~known] = mu + sigma * z
    return matrix, int(known.sum()) / len(vocab)
'''),
    Mistake("oov_scalar_std", "build_embedding_matrix",
            "your OOV rows use one standard deviation over all entries; sigma is per dimension: "
            "vectors.std(dim=0, correction=0)", code='''
def build_embedding_matrix(vocab, pretrained_vocab, vectors, generator):
    index = {w: j for j, w in enumerate(pretrained_vocab)}
    known = torch.tensor([w in index for w in vocab])
    matrix = torch.empty(len(vocab), vectors.shape[1], dtype=vectors.dtype)
    matrix[known] = vectors[[index[w] for w in vocab if w in index]]
    z = torch.randn(int((~known).sum()), vectors.shape[1], generator=generator, dtype=vectors.dtype)
    matrix[~known] = vectors.mean(dim=0) + vectors.std(correction=0) * z
    return matrix, int(known.sum()) / len(vocab)
'''),
    Mistake("coverage_over_pretrained_vocab", "build_embedding_matrix",
            "your coverage divides by the pretrained vocabulary's size; it is the share of YOUR vocabulary "
            "found in it: found / len(vocab)", code='''
def build_embedding_matrix(vocab, pretrained_vocab, vectors, generator):
    index = {w: j for j, w in enumerate(pretrained_vocab)}
    known = torch.tensor([w in index for w in vocab])
    matrix = torch.empty(len(vocab), vectors.shape[1], dtype=vectors.dtype)
    matrix[known] = vectors[[index[w] for w in vocab if w in index]]
    z = torch.randn(int((~known).sum()), vectors.shape[1], generator=generator, dtype=vectors.dtype)
    matrix[~known] = vectors.mean(dim=0) + vectors.std(dim=0, correction=0) * z
    return matrix, int(known.sum()) / len(pretrained_vocab)
'''),
]

LOADING_MISTAKES = [
    Mistake("load_replaces_module", "load_pretrained_embeddings",
            "you replace model.tok_emb with a new nn.Embedding: a head tied to the old weight keeps the old "
            "values; copy into the existing weight (model.tok_emb.weight.copy_(matrix) under no_grad)", code='''
def load_pretrained_embeddings(model, matrix, freeze):
    model.tok_emb = nn.Embedding.from_pretrained(matrix.to(model.tok_emb.weight.dtype).clone(), freeze=freeze)
    return model
'''),
    Mistake("load_shares_callers_matrix", "load_pretrained_embeddings",
            "weight.data = matrix makes the model share memory with your matrix (training then overwrites it) "
            "and takes the matrix's dtype; copy the values in: weight.copy_(matrix) under no_grad", code='''
def load_pretrained_embeddings(model, matrix, freeze):
    model.tok_emb.weight.data = matrix
    model.tok_emb.weight.requires_grad = not freeze
    return model
'''),
    Mistake("freeze_on_a_copy", "load_pretrained_embeddings",
            "you set requires_grad on a copy (weight.detach() / .data is a new tensor): the parameter itself "
            "still trains; call model.tok_emb.weight.requires_grad_(not freeze)", code='''
def load_pretrained_embeddings(model, matrix, freeze):
    with torch.no_grad():
        model.tok_emb.weight.copy_(matrix)
    model.tok_emb.weight.detach().requires_grad_(not freeze)
    return model
'''),
    Mistake("freeze_whole_model", "load_pretrained_embeddings",
            "you set requires_grad on every parameter of the model; freeze only the embedding "
            "(model.tok_emb.weight): the other layers must keep training", code='''
def load_pretrained_embeddings(model, matrix, freeze):
    with torch.no_grad():
        model.tok_emb.weight.copy_(matrix)
    for p in model.parameters():
        p.requires_grad_(not freeze)
    return model
'''),
    Mistake("tie_copies_weight", "tie_weights",
            "your head gets a copy of the embedding (a new Parameter): they drift apart during training and "
            "the parameter count does not drop; assign the same Parameter: lm_head.weight = tok_emb.weight", code='''
def tie_weights(model):
    model.lm_head.weight = nn.Parameter(model.tok_emb.weight.detach().clone())
    return model
'''),
    Mistake("tie_wrong_direction", "tie_weights",
            "you tie in the wrong direction (tok_emb.weight = lm_head.weight): the embedding's values, e.g. "
            "pretrained vectors, are lost; the head must take the embedding's Parameter", code='''
def tie_weights(model):
    model.tok_emb.weight = model.lm_head.weight
    return model
'''),
    Mistake("tie_shares_data_only", "tie_weights",
            "lm_head.weight.data = tok_emb.weight.data shares the values but keeps two Parameters, each with its "
            "own gradient, and the count does not drop; assign the Parameter itself", code='''
def tie_weights(model):
    model.lm_head.weight.data = model.tok_emb.weight.data
    return model
'''),
    Mistake("tie_returns_none", "tie_weights",
            "tie_weights must return the model (so that it can be chained: model = tie_weights(WordGPT(...)))",
            code='''
def tie_weights(model):
    model.lm_head.weight = model.tok_emb.weight
'''),
]

TRAINING_MISTAKES = [
    Mistake("freeze_substring_match", "freeze",
            "you match a prefix anywhere in the name ('head' in 'aux.head.weight', 'layers.1' in 'layers.10'); "
            "match the start, at a dot: name == p or name.startswith(p + '.')", code='''
def freeze(model, prefixes, frozen=True):
    matched = 0
    for name, param in model.named_parameters():
        if any(p in name for p in prefixes):
            param.requires_grad_(not frozen)
            matched += 1
    return matched
'''),
    Mistake("freeze_no_dot_boundary", "freeze",
            "'layers.1' also selects 'layers.10...' and 'head' selects 'head_norm...': a prefix ends at a dot, "
            "name == p or name.startswith(p + '.')", code='''
def freeze(model, prefixes, frozen=True):
    matched = 0
    for name, param in model.named_parameters():
        if any(name.startswith(p) for p in prefixes):
            param.requires_grad_(not frozen)
            matched += 1
    return matched
'''),
    Mistake("freeze_state_dict_copy", "freeze",
            "state_dict() returns detached copies: setting requires_grad on them freezes nothing; use "
            "model.named_parameters()", code='''
def freeze(model, prefixes, frozen=True):
    matched = 0
    for name, tensor in model.state_dict().items():
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            tensor.requires_grad_(not frozen)
            matched += 1
    return matched
'''),
    Mistake("freeze_ignores_frozen_flag", "freeze",
            "you always freeze: with frozen=False (unfreeze) requires_grad must become True", code='''
def freeze(model, prefixes, frozen=True):
    matched = 0
    for name, param in model.named_parameters():
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            param.requires_grad_(False)
            matched += 1
    return matched
'''),
    Mistake("freeze_counts_elements", "freeze",
            "return how many parameter TENSORS matched, not how many numbers they hold", code='''
def freeze(model, prefixes, frozen=True):
    matched = 0
    for name, param in model.named_parameters():
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            param.requires_grad_(not frozen)
            matched += param.numel()
    return matched
'''),
    Mistake("llrd_wrong_direction", "layerwise_lr_groups",
            "your decay runs the wrong way: the embeddings get the base rate and the head the smallest; "
            "the head is at base_lr and each layer BELOW is multiplied by decay", code='''
def layerwise_lr_groups(model, base_lr, decay):
    enc = model.encoder
    L = len(enc.blocks)
    layers = [list(model.head.parameters()), list(enc.blocks[L - 1].parameters()) + list(enc.ln_f.parameters())]
    layers += [list(enc.blocks[L - k].parameters()) for k in range(2, L + 1)]
    layers.append(list(enc.tok_emb.parameters()) + list(enc.pos_emb.parameters()))
    return [{"params": params, "lr": base_lr * decay ** (L + 1 - k)} for k, params in enumerate(layers)]
'''),
    Mistake("llrd_head_decayed", "layerwise_lr_groups",
            "your head is decayed too (base_lr * decay): the head trains at base_lr, the top block at "
            "base_lr * decay", code='''
def layerwise_lr_groups(model, base_lr, decay):
    enc = model.encoder
    L = len(enc.blocks)
    layers = [list(model.head.parameters()), list(enc.blocks[L - 1].parameters()) + list(enc.ln_f.parameters())]
    layers += [list(enc.blocks[L - k].parameters()) for k in range(2, L + 1)]
    layers.append(list(enc.tok_emb.parameters()) + list(enc.pos_emb.parameters()))
    return [{"params": params, "lr": base_lr * decay ** (k + 1)} for k, params in enumerate(layers)]
'''),
    Mistake("llrd_embeddings_with_bottom_block", "layerwise_lr_groups",
            "your embeddings share the bottom block's rate; they are one more layer down: "
            "base_lr * decay**(L + 1)", code='''
def layerwise_lr_groups(model, base_lr, decay):
    enc = model.encoder
    L = len(enc.blocks)
    layers = [list(model.head.parameters()), list(enc.blocks[L - 1].parameters()) + list(enc.ln_f.parameters())]
    layers += [list(enc.blocks[L - k].parameters()) for k in range(2, L + 1)]
    layers[-1] += list(enc.tok_emb.parameters()) + list(enc.pos_emb.parameters())
    return [{"params": params, "lr": base_lr * decay**k} for k, params in enumerate(layers)]
'''),
    Mistake("llrd_forgets_final_norm", "layerwise_lr_groups",
            "encoder.ln_f is in no group, so it never trains; it belongs with the top block", code='''
def layerwise_lr_groups(model, base_lr, decay):
    enc = model.encoder
    L = len(enc.blocks)
    layers = [list(model.head.parameters())]
    layers += [list(enc.blocks[L - k].parameters()) for k in range(1, L + 1)]
    layers.append(list(enc.tok_emb.parameters()) + list(enc.pos_emb.parameters()))
    return [{"params": params, "lr": base_lr * decay**k} for k, params in enumerate(layers)]
'''),
]

POOLING_MISTAKES = [
    Mistake("mean_pool_counts_padding", "masked_mean_pool",
            "your mean divides by all T positions: padding counts; divide by the number of real tokens, mask.sum(1)",
            code='''
def masked_mean_pool(hidden, mask):
    return (hidden * mask.unsqueeze(-1)).sum(dim=1) / hidden.shape[1]
'''),
    Mistake("mean_pool_includes_padding_values", "masked_mean_pool",
            "you sum the hidden states at padding positions too; zero them (multiply by the mask) before summing",
            code='''
def masked_mean_pool(hidden, mask):
    return hidden.sum(dim=1) / mask.sum(dim=1, keepdim=True).to(hidden.dtype)
'''),
    Mistake("mean_pool_sum_only", "masked_mean_pool",
            "you return the sum over real tokens: divide by their number to get the mean", code='''
def masked_mean_pool(hidden, mask):
    return (hidden * mask.unsqueeze(-1).to(hidden.dtype)).sum(dim=1)
'''),
    Mistake("mean_pool_mask_inverted", "masked_mean_pool",
            "you average the padding: mask is True at REAL tokens", code='''
def masked_mean_pool(hidden, mask):
    pad = (~mask).unsqueeze(-1).to(hidden.dtype)
    return (hidden * pad).sum(dim=1) / pad.sum(dim=1).clamp_min(1)
'''),
    Mistake("cls_pool_last_position", "cls_pool",
            "you pool the LAST position; [CLS] is the first: hidden[:, 0]", code='''
def cls_pool(hidden):
    return hidden[:, -1]
'''),
    Mistake("cls_pool_first_example", "cls_pool",
            "hidden[0] is the first EXAMPLE of the batch (T, C); the first position of every example is hidden[:, 0]",
            code='''
def cls_pool(hidden):
    return hidden[0]
'''),
    Mistake("cls_pool_mean", "cls_pool",
            "you average all positions; CLS pooling takes the hidden state at position 0", code='''
def cls_pool(hidden):
    return hidden.mean(dim=1)
'''),
    Mistake("cls_pool_first_word", "cls_pool",
            "position 1 is the first word; [CLS] is at position 0", code='''
def cls_pool(hidden):
    return hidden[:, 1]
'''),
    Mistake("head_ignores_pooling", "ClassificationHead",
            "your head always mean-pools: pooling='cls' must use cls_pool", code='''
class ClassificationHead(ClassificationHead):
    def forward(self, hidden, mask):
        return self.proj(self.drop(masked_mean_pool(hidden, mask)))
'''),
    Mistake("head_dropout_in_eval", "ClassificationHead",
            "F.dropout(x, p) drops in eval mode too (training defaults to True): use self.drop(x)", code='''
class ClassificationHead(ClassificationHead):
    def forward(self, hidden, mask):
        pooled = masked_mean_pool(hidden, mask) if self.pooling == "mean" else cls_pool(hidden)
        return self.proj(F.dropout(pooled, self.drop.p))
'''),
    Mistake("head_returns_probabilities", "ClassificationHead",
            "your head returns softmax probabilities; return the logits (F.cross_entropy applies log-softmax itself)",
            code='''
class ClassificationHead(ClassificationHead):
    def forward(self, hidden, mask):
        pooled = masked_mean_pool(hidden, mask) if self.pooling == "mean" else cls_pool(hidden)
        return self.proj(self.drop(pooled)).softmax(dim=-1)
'''),
    Mistake("head_dropout_after_projection", "ClassificationHead",
            "you apply dropout to the logits; it acts on the pooled vector, before proj", code='''
class ClassificationHead(ClassificationHead):
    def forward(self, hidden, mask):
        pooled = masked_mean_pool(hidden, mask) if self.pooling == "mean" else cls_pool(hidden)
        return self.drop(self.proj(pooled))
'''),
]

PROBE_MISTAKES = [
    Mistake("probe_penalises_bias", "linear_probe",
            "you penalise the bias (a column of ones inside the ridge term): centre X and Y and leave b unpenalised",
            code='''
def linear_probe(train_x, train_y, eval_x, eval_y, n_classes, l2):
    X = torch.cat([train_x, torch.ones(len(train_x), 1, dtype=train_x.dtype)], dim=1)
    Y = F.one_hot(train_y, n_classes).to(train_x.dtype)
    Wb = torch.linalg.solve(X.T @ X + l2 * torch.eye(X.shape[1], dtype=X.dtype), X.T @ Y)
    W, b = Wb[:-1], Wb[-1]
    return W, b, ((eval_x @ W + b).argmax(dim=1) == eval_y).double().mean().item()
'''),
    Mistake("probe_no_bias", "linear_probe",
            "your probe has no bias (no centring): fit on centred X and Y, then b = mean(Y) - mean(X) @ W", code='''
def linear_probe(train_x, train_y, eval_x, eval_y, n_classes, l2):
    Y = F.one_hot(train_y, n_classes).to(train_x.dtype)
    eye = torch.eye(train_x.shape[1], dtype=train_x.dtype)
    W = torch.linalg.solve(train_x.T @ train_x + l2 * eye, train_x.T @ Y)
    b = torch.zeros(n_classes, dtype=train_x.dtype)
    return W, b, ((eval_x @ W + b).argmax(dim=1) == eval_y).double().mean().item()
'''),
    Mistake("probe_fit_on_eval", "linear_probe",
            "you fit the probe on the evaluation features: that measures memorisation; fit on train_x, train_y only",
            code='''
def linear_probe(train_x, train_y, eval_x, eval_y, n_classes, l2):
    Y = F.one_hot(eval_y, n_classes).to(eval_x.dtype)
    x_mean, y_mean = eval_x.mean(dim=0), Y.mean(dim=0)
    Xc, Yc = eval_x - x_mean, Y - y_mean
    W = torch.linalg.solve(Xc.T @ Xc + l2 * torch.eye(eval_x.shape[1], dtype=eval_x.dtype), Xc.T @ Yc)
    b = y_mean - x_mean @ W
    return W, b, ((eval_x @ W + b).argmax(dim=1) == eval_y).double().mean().item()
'''),
    Mistake("probe_l2_times_n", "linear_probe",
            "your ridge term is l2 * N; the objective adds l2 * ||W||^2 to the summed squared error: l2 * I", code='''
def linear_probe(train_x, train_y, eval_x, eval_y, n_classes, l2):
    Y = F.one_hot(train_y, n_classes).to(train_x.dtype)
    x_mean, y_mean = train_x.mean(dim=0), Y.mean(dim=0)
    Xc, Yc = train_x - x_mean, Y - y_mean
    eye = torch.eye(train_x.shape[1], dtype=train_x.dtype)
    W = torch.linalg.solve(Xc.T @ Xc + l2 * len(train_x) * eye, Xc.T @ Yc)
    b = y_mean - x_mean @ W
    return W, b, ((eval_x @ W + b).argmax(dim=1) == eval_y).double().mean().item()
'''),
    Mistake("probe_accuracy_on_train", "linear_probe",
            "you report the accuracy on the training features; score eval_x against eval_y", code='''
def linear_probe(train_x, train_y, eval_x, eval_y, n_classes, l2):
    Y = F.one_hot(train_y, n_classes).to(train_x.dtype)
    x_mean, y_mean = train_x.mean(dim=0), Y.mean(dim=0)
    Xc, Yc = train_x - x_mean, Y - y_mean
    eye = torch.eye(train_x.shape[1], dtype=train_x.dtype)
    W = torch.linalg.solve(Xc.T @ Xc + l2 * eye, Xc.T @ Yc)
    b = y_mean - x_mean @ W
    return W, b, ((train_x @ W + b).argmax(dim=1) == train_y).double().mean().item()
'''),
]

PROCRUSTES_MISTAKES = [
    Mistake("procrustes_svd_of_BtA", "procrustes",
            "you take the SVD of B^T A: that gives the map from B to A (W transposed); use svd(A.T @ B)", code='''
def procrustes(A, B):
    U, _, Vh = torch.linalg.svd(B.T @ A)
    W = U @ Vh
    return W, torch.linalg.norm(A - B).item(), torch.linalg.norm(A @ W - B).item()
'''),
    Mistake("procrustes_vh_transposed", "procrustes",
            "torch.linalg.svd returns Vh = V^T, not V: W = U @ Vh (you computed U @ Vh.T)", code='''
def procrustes(A, B):
    U, _, V = torch.linalg.svd(A.T @ B)
    W = U @ V.T
    return W, torch.linalg.norm(A - B).item(), torch.linalg.norm(A @ W - B).item()
'''),
    Mistake("procrustes_least_squares", "procrustes",
            "your W is the unconstrained least-squares solution, not orthogonal: W = U V^T from svd(A.T @ B)",
            code='''
def procrustes(A, B):
    W = torch.linalg.lstsq(A, B).solution
    return W, torch.linalg.norm(A - B).item(), torch.linalg.norm(A @ W - B).item()
'''),
    Mistake("procrustes_keeps_singular_values", "procrustes",
            "you keep the singular values (U S V^T is A^T B itself, not a rotation); drop S: W = U V^T", code='''
def procrustes(A, B):
    U, S, Vh = torch.linalg.svd(A.T @ B)
    W = U @ torch.diag(S) @ Vh
    return W, torch.linalg.norm(A - B).item(), torch.linalg.norm(A @ W - B).item()
'''),
]

MISTAKES = (EMBEDDING_MISTAKES + LOADING_MISTAKES + TRAINING_MISTAKES + POOLING_MISTAKES + PROBE_MISTAKES
            + PROCRUSTES_MISTAKES)
