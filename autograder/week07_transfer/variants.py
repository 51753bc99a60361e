"""Accepted variants for week 7: correct implementations written the way learners write them.

Each `code` runs in the reference notebook's namespace and replaces one function (a module keeps its
given __init__: `class X(X)` with another forward). `coursekit validate` requires every one to earn
full marks. Never released.
"""

from coursekit.checks import Variant

VARIANTS = [
    # ------------------------------------------------------------ build_embedding_matrix
    Variant("embedding_matrix_loop", "build_embedding_matrix",
            style="a Python loop over the vocabulary, OOV indices collected, one randn for them", code='''
def build_embedding_matrix(vocab, pretrained_vocab, vectors, generator):
    lookup = {word: row for row, word in enumerate(pretrained_vocab)}
    d = vectors.size(1)
    matrix = torch.zeros((len(vocab), d), dtype=vectors.dtype)
    missing = []
    for i, word in enumerate(vocab):
        if word in lookup:
            matrix[i] = vectors[lookup[word]]
        else:
            missing.append(i)
    mean = vectors.mean(0)
    std = vectors.std(0, unbiased=False)
    noise = torch.randn(len(missing), d, generator=generator, dtype=vectors.dtype)
    for k, i in enumerate(missing):
        matrix[i] = mean + std * noise[k]
    coverage = (len(vocab) - len(missing)) / len(vocab)
    return matrix, float(coverage)
'''),
    Variant("embedding_matrix_where", "build_embedding_matrix",
            style="gather every row (OOV rows point anywhere), then torch.where with the OOV fill", code='''
def build_embedding_matrix(vocab, pretrained_vocab, vectors, generator):
    pos = {w: j for j, w in enumerate(pretrained_vocab)}
    idx = torch.tensor([pos.get(w, -1) for w in vocab])
    found = idx >= 0
    n_oov = int((~found).sum())
    fill = torch.empty(len(vocab), vectors.shape[1], dtype=vectors.dtype)
    sigma = ((vectors - vectors.mean(0)) ** 2).mean(0).sqrt()
    noise = torch.randn(n_oov, vectors.shape[1], generator=generator, dtype=vectors.dtype)
    fill[~found] = vectors.mean(0) + noise * sigma
    gathered = vectors[idx.clamp(min=0)]
    return torch.where(found[:, None], gathered, fill), found.sum().item() / len(vocab)
'''),
    # ------------------------------------------------------------ load_pretrained_embeddings
    Variant("load_data_copy", "load_pretrained_embeddings", style=".data.copy_ and the requires_grad attribute",
            code='''
def load_pretrained_embeddings(model, matrix, freeze):
    model.tok_emb.weight.data.copy_(matrix)
    model.tok_emb.weight.requires_grad = not freeze
    return model
'''),
    Variant("load_state_dict", "load_pretrained_embeddings",
            style="the embedding module's load_state_dict (copies in place), then a loop over its parameters", code='''
def load_pretrained_embeddings(model, matrix, freeze):
    model.tok_emb.load_state_dict({"weight": matrix})
    for p in model.tok_emb.parameters():
        p.requires_grad_(not freeze)
    return model
'''),
    # ------------------------------------------------------------ tie_weights
    Variant("tie_register_parameter", "tie_weights", style="register_parameter on the head", code='''
def tie_weights(model):
    model.lm_head.register_parameter("weight", model.tok_emb.weight)
    return model
'''),
    Variant("tie_setattr", "tie_weights", style="setattr after deleting the head's own weight", code='''
def tie_weights(model):
    del model.lm_head.weight
    setattr(model.lm_head, "weight", model.tok_emb.weight)
    return model
'''),
    # ------------------------------------------------------------ freeze
    Variant("freeze_split_on_dots", "freeze", style="compares the leading dotted components", code='''
def freeze(model, prefixes, frozen=True):
    count = 0
    for name, p in model.named_parameters():
        parts = name.split(".")
        if any(parts[: len(q.split("."))] == q.split(".") for q in prefixes):
            p.requires_grad = not frozen
            count += 1
    return count
'''),
    Variant("freeze_regex", "freeze", style="one regular expression for all prefixes", code='''
import re

def freeze(model, prefixes, frozen=True):
    pattern = re.compile("(" + "|".join(re.escape(p) for p in prefixes) + r")(\\.|$)")
    selected = [p for name, p in model.named_parameters() if pattern.match(name)]
    for p in selected:
        p.requires_grad_(not frozen)
    return len(selected)
'''),
    # ------------------------------------------------------------ layerwise_lr_groups
    Variant("lr_groups_from_names", "layerwise_lr_groups",
            style="a depth per parameter name, then groups sorted by depth", code='''
def layerwise_lr_groups(model, base_lr, decay):
    L = len(model.encoder.blocks)

    def depth(name):
        if name.startswith("head."):
            return 0
        if name.startswith("encoder.ln_f."):
            return 1
        if name.startswith("encoder.blocks."):
            return L - int(name.split(".")[2])
        if name.startswith(("encoder.tok_emb.", "encoder.pos_emb.")):
            return L + 1
        return None

    groups = [[] for _ in range(L + 2)]
    for name, p in model.named_parameters():
        k = depth(name)
        if k is not None:
            groups[k].append(p)
    return [{"params": ps, "lr": base_lr * decay**k} for k, ps in enumerate(groups)]
'''),
    Variant("lr_groups_bottom_up", "layerwise_lr_groups",
            style="built from the embeddings up with a running rate, then reversed", code='''
def layerwise_lr_groups(model, base_lr, decay):
    enc = model.encoder
    groups = [{"params": [*enc.tok_emb.parameters(), *enc.pos_emb.parameters()]}]
    for i, block in enumerate(enc.blocks):
        params = list(block.parameters())
        if i == len(enc.blocks) - 1:
            params += list(enc.ln_f.parameters())
        groups.append({"params": params})
    groups.append({"params": list(model.head.parameters())})
    groups.reverse()
    lr = base_lr
    for g in groups:
        g["lr"] = lr
        lr *= decay
    return groups
'''),
    # ------------------------------------------------------------ masked_mean_pool
    Variant("mean_pool_masked_fill", "masked_mean_pool", style="masked_fill with 0, then sum / count", code='''
def masked_mean_pool(hidden, mask):
    m = mask.unsqueeze(-1)
    total = hidden.masked_fill(~m, 0.0).sum(1)
    return total / m.sum(1).to(hidden.dtype)
'''),
    Variant("mean_pool_einsum", "masked_mean_pool", style="einsum with float weights", code='''
def masked_mean_pool(hidden, mask):
    w = mask.to(hidden.dtype)
    return torch.einsum("btc,bt->bc", hidden, w) / w.sum(dim=1, keepdim=True)
'''),
    Variant("mean_pool_loop", "masked_mean_pool", style="one row at a time, boolean indexing", code='''
def masked_mean_pool(hidden, mask):
    return torch.stack([hidden[b][mask[b]].mean(dim=0) for b in range(hidden.shape[0])])
'''),
    # ------------------------------------------------------------ cls_pool
    Variant("cls_pool_select", "cls_pool", style="select along dim 1", code='''
def cls_pool(hidden):
    return hidden.select(1, 0)
'''),
    Variant("cls_pool_narrow", "cls_pool", style="slice with a kept dimension, then squeeze", code='''
def cls_pool(hidden):
    return hidden[:, :1, :].squeeze(1)
'''),
    # ------------------------------------------------------------ ClassificationHead
    Variant("head_functional_dropout", "ClassificationHead",
            style="F.dropout with training=self.training", code='''
class ClassificationHead(ClassificationHead):
    def forward(self, hidden, mask):
        if self.pooling == "cls":
            pooled = cls_pool(hidden)
        else:
            pooled = masked_mean_pool(hidden, mask)
        return self.proj(F.dropout(pooled, p=self.drop.p, training=self.training))
'''),
    Variant("head_inline_pooling", "ClassificationHead", style="pooling written inline, a dict of poolers", code='''
class ClassificationHead(ClassificationHead):
    def forward(self, hidden, mask):
        m = mask.unsqueeze(-1).to(hidden.dtype)
        poolers = {"mean": lambda: (hidden * m).sum(1) / m.sum(1), "cls": lambda: hidden[:, 0, :]}
        x = self.drop(poolers[self.pooling]())
        return self.proj(x)
'''),
    # ------------------------------------------------------------ linear_probe
    Variant("probe_augmented_lstsq", "linear_probe",
            style="least squares on the centred data stacked over sqrt(l2) I", code='''
def linear_probe(train_x, train_y, eval_x, eval_y, n_classes, l2):
    Y = torch.nn.functional.one_hot(train_y, num_classes=n_classes).double()
    mx, my = train_x.mean(0), Y.mean(0)
    D = train_x.shape[1]
    X_aug = torch.cat([train_x - mx, (l2 ** 0.5) * torch.eye(D, dtype=train_x.dtype)])
    Y_aug = torch.cat([(Y - my).to(train_x.dtype), torch.zeros(D, n_classes, dtype=train_x.dtype)])
    W = torch.linalg.lstsq(X_aug, Y_aug).solution
    b = my.to(train_x.dtype) - mx @ W
    pred = (eval_x @ W + b).argmax(1)
    return W, b, float((pred == eval_y).float().mean())
'''),
    Variant("probe_sklearn_ridge", "linear_probe", style="scikit-learn's Ridge on one-hot targets", code='''
def linear_probe(train_x, train_y, eval_x, eval_y, n_classes, l2):
    import numpy as np
    from sklearn.linear_model import Ridge

    Y = np.eye(n_classes)[train_y.numpy()]
    ridge = Ridge(alpha=l2, fit_intercept=True).fit(train_x.numpy(), Y)
    W = torch.from_numpy(ridge.coef_.T.copy()).to(train_x.dtype)
    b = torch.from_numpy(ridge.intercept_.copy()).to(train_x.dtype)
    return W, b, float(np.mean(ridge.predict(eval_x.numpy()).argmax(1) == eval_y.numpy()))
'''),
    Variant("probe_penalty_matrix", "linear_probe",
            style="a ones column and a penalty matrix with a zero for the bias", code='''
def linear_probe(train_x, train_y, eval_x, eval_y, n_classes, l2):
    X1 = torch.cat([train_x, torch.ones(train_x.shape[0], 1, dtype=train_x.dtype)], 1)
    Y = F.one_hot(train_y, n_classes).to(train_x.dtype)
    P = l2 * torch.eye(X1.shape[1], dtype=train_x.dtype)
    P[-1, -1] = 0.0
    Wb = torch.linalg.solve(X1.T @ X1 + P, X1.T @ Y)
    W, b = Wb[:-1], Wb[-1]
    acc = ((eval_x @ W + b).argmax(-1) == eval_y).sum().item() / len(eval_y)
    return W, b, acc
'''),
    # ------------------------------------------------------------ procrustes
    Variant("procrustes_scipy", "procrustes", style="scipy.linalg.orthogonal_procrustes", code='''
def procrustes(A, B):
    from scipy.linalg import orthogonal_procrustes

    R, _ = orthogonal_procrustes(A.numpy(), B.numpy())
    W = torch.from_numpy(R).to(A.dtype)
    return W, float(torch.norm(A - B)), float(torch.norm(A @ W - B))
'''),
    Variant("procrustes_polar", "procrustes", style="the polar factor M (M^T M)^(-1/2) of M = A^T B", code='''
def procrustes(A, B):
    M = A.T @ B
    evals, evecs = torch.linalg.eigh(M.T @ M)
    W = M @ evecs @ torch.diag(evals.rsqrt()) @ evecs.T
    return W, (A - B).norm().item(), (A @ W - B).norm().item()
'''),
]
