"""Accepted variants for week 1: correct implementations written the way learners write them.

Each `code` runs in the reference notebook's namespace (np, sp, scipy, torch, nn, F, Counter and the
reference functions are defined there) and replaces one function; SkipGramNS keeps its given
__init__ (`class SkipGramNS(SkipGramNS)`) and gets another forward. `coursekit validate` requires
every one to earn full marks: a check that penalises one of them is wrong, not the variant. Never
released.
"""

from coursekit.checks import Variant

VOCAB_VARIANTS = [
    Variant("vocab_sorted_items", "build_vocab", style="sorted(counter.items()) with a (-count, word) key", code='''
def build_vocab(tokens, min_count):
    ranked = sorted(Counter(tokens).items(), key=lambda kv: (-kv[1], kv[0]))
    ranked = [(w, n) for w, n in ranked if n >= min_count]
    return [w for w, _ in ranked], np.array([n for _, n in ranked], dtype=np.int64)
'''),
    Variant("vocab_numpy_unique", "build_vocab",
            style="np.unique (alphabetical) then a stable argsort of the negated counts", code='''
def build_vocab(tokens, min_count):
    words, counts = np.unique(np.array(tokens), return_counts=True)
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] >= min_count]
    return [str(w) for w in words[order]], counts[order].astype(np.int64)
'''),
    Variant("vocab_dict_loop", "build_vocab", style="counts in a plain dict, two sorts (alphabetical, then count)",
            code='''
def build_vocab(tokens, min_count):
    counts = {}
    for w in tokens:
        counts[w] = counts.get(w, 0) + 1
    words = sorted(w for w in counts if counts[w] >= min_count)
    words.sort(key=counts.get, reverse=True)  # stable: ties stay alphabetical
    return words, np.array([counts[w] for w in words], dtype=np.int64)
'''),
]

COOCCURRENCE_VARIANTS = [
    Variant("cooccurrence_position_loop", "cooccurrence_matrix", style="loops over positions into a Counter",
            code='''
def cooccurrence_matrix(ids, vocab_size, window, weighted=False):
    ids = list(np.asarray(ids))
    pairs = Counter()
    for i, w in enumerate(ids):
        if w < 0:
            continue
        for j in range(max(0, i - window), min(len(ids), i + window + 1)):
            if j != i and ids[j] >= 0:
                pairs[(int(w), int(ids[j]))] += 1.0 / abs(i - j) if weighted else 1.0
    X = sp.dok_matrix((vocab_size, vocab_size), dtype=np.float64)
    for (w, c), value in pairs.items():
        X[w, c] = value
    return X.tocsr()
'''),
    Variant("cooccurrence_one_side_plus_transpose", "cooccurrence_matrix",
            style="counts right contexts only, then X + X.T", code='''
def cooccurrence_matrix(ids, vocab_size, window, weighted=False):
    ids = np.asarray(ids)
    X = sp.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
    for d in range(1, window + 1):
        w, c = ids[:-d], ids[d:]
        ok = (w >= 0) & (c >= 0)
        weight = 1 / d if weighted else 1
        X = X + sp.csr_matrix((np.full(ok.sum(), weight, dtype=np.float64), (w[ok], c[ok])),
                              shape=(vocab_size, vocab_size))
    return (X + X.T).tocsr()
'''),
]

PPMI_VARIANTS = [
    Variant("ppmi_dense_where", "ppmi", style="dense arrays, np.where guards, back to sparse", code='''
def ppmi(counts, alpha=0.75):
    C = counts.toarray().astype(np.float64)
    p_wc = C / C.sum()
    p_w = C.sum(axis=1, keepdims=True) / C.sum()
    ctx = C.sum(axis=0, keepdims=True) ** alpha
    p_c = ctx / ctx.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.where(C > 0, np.log(p_wc / (p_w * p_c)), 0.0)
    return sp.csr_matrix(np.maximum(pmi, 0.0))
'''),
    Variant("ppmi_sparse_diagonals", "ppmi", style="sparse diagonal scalings, log of .data in place", code='''
def ppmi(counts, alpha=0.75):
    C = sp.csr_matrix(counts, dtype=np.float64)
    row = np.asarray(C.sum(axis=1)).ravel()
    col = np.asarray(C.sum(axis=0)).ravel() ** alpha
    inv_row = np.divide(1.0, row, out=np.zeros_like(row), where=row > 0)
    inv_col = np.divide(1.0, col, out=np.zeros_like(col), where=col > 0)
    M = (sp.diags(inv_row) @ C @ sp.diags(inv_col)).tocsr() * col.sum()
    M.eliminate_zeros()
    M.data = np.maximum(np.log(M.data), 0)
    M.eliminate_zeros()
    return M
'''),
]

SVD_VARIANTS = [
    Variant("svd_numpy_full", "svd_embeddings", style="np.linalg.svd of the dense matrix, first dim columns",
            code='''
def svd_embeddings(matrix, dim, eig_power=0.5):
    dense = matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix, dtype=np.float64)
    U, S, Vt = np.linalg.svd(dense, full_matrices=False)
    return U[:, :dim] @ np.diag(S[:dim] ** eig_power)
'''),
    Variant("svd_gram_eigh", "svd_embeddings", style="eigenvectors of M M^T: sigma^2 are its eigenvalues", code='''
def svd_embeddings(matrix, dim, eig_power=0.5):
    M = sp.csr_matrix(matrix, dtype=np.float64)
    values, vectors = np.linalg.eigh((M @ M.T).toarray())
    top = np.argsort(values)[::-1][:dim]
    return vectors[:, top] * np.sqrt(np.maximum(values[top], 0)) ** eig_power
'''),
    Variant("svd_torch", "svd_embeddings", style="torch.linalg.svd, returns a tensor", code='''
def svd_embeddings(matrix, dim, eig_power=0.5):
    dense = torch.tensor(matrix.toarray() if sp.issparse(matrix) else matrix, dtype=torch.float64)
    U, S, _ = torch.linalg.svd(dense, full_matrices=False)
    return U[:, :dim] * S[:dim].pow(eig_power)
'''),
]

NEIGHBOUR_VARIANTS = [
    Variant("neighbours_sklearn", "nearest_neighbours", style="sklearn cosine_similarity, then argsort", code='''
def nearest_neighbours(E, word_id, k):
    from sklearn.metrics.pairwise import cosine_similarity
    sims = cosine_similarity(E[word_id:word_id + 1], E)[0]
    order = [i for i in np.argsort(sims)[::-1] if i != word_id][:k]
    return np.array(order, dtype=np.int64), sims[order]
'''),
    Variant("neighbours_torch_topk", "nearest_neighbours", style="F.cosine_similarity and torch.topk", code='''
def nearest_neighbours(E, word_id, k):
    E = torch.as_tensor(E)
    sims = F.cosine_similarity(E, E[word_id].unsqueeze(0), dim=1)
    sims[word_id] = float("-inf")
    top = torch.topk(sims, k)
    return top.indices, top.values
'''),
]

ANALOGY_VARIANTS = [
    Variant("analogy_loop_per_question", "analogy", style="one question at a time, np.argpartition-free loop",
            code='''
def analogy(E, a, b, c, k=1, method="add"):
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    answers = []
    for qa, qb, qc in zip(a, b, c):
        if method == "add":
            scores = unit @ (unit[qb] - unit[qa] + unit[qc])
        else:
            cos = lambda q: (unit @ unit[q] + 1) / 2
            scores = cos(qb) * cos(qc) / (cos(qa) + 0.001)
        scores[[qa, qb, qc]] = -np.inf
        answers.append(np.argsort(-scores)[:k])
    return np.array(answers, dtype=np.int64).reshape(len(a), k)
'''),
    Variant("analogy_torch_topk", "analogy", style="torch, index_put of -inf, topk", code='''
def analogy(E, a, b, c, k=1, method="add"):
    unit = F.normalize(torch.as_tensor(E), dim=1)
    a, b, c = (torch.as_tensor(q) for q in (a, b, c))
    cos = lambda q: unit[q] @ unit.T
    if method == "mul":
        s = lambda q: (cos(q) + 1) / 2
        scores = s(b) * s(c) / (s(a) + 1e-3)
    else:
        scores = cos(b) - cos(a) + cos(c)
    rows = torch.arange(len(a))
    for q in (a, b, c):
        scores[rows, q] = float("-inf")
    return scores.topk(k, dim=1).indices
'''),
]

SAMPLING_VARIANTS = [
    Variant("keep_prob_torch", "subsample_keep_prob", style="torch, clamp(max=1), returns a tensor", code='''
def subsample_keep_prob(counts, t=1e-3):
    n = torch.as_tensor(counts, dtype=torch.float64)
    f = n / n.sum()
    return ((f / t).sqrt() + 1).mul(t / f).clamp(max=1.0)
'''),
    Variant("keep_prob_expanded", "subsample_keep_prob", style="expanded as sqrt(t / f) + t / f", code='''
def subsample_keep_prob(counts, t=1e-3):
    total = float(np.sum(counts))
    ratio = t / (np.asarray(counts, dtype=np.float64) / total)
    return np.clip(np.sqrt(ratio) + ratio, None, 1.0)
'''),
    Variant("noise_torch", "negative_sampling_distribution", style="torch pow and sum, returns a tensor", code='''
def negative_sampling_distribution(counts, power=0.75):
    w = torch.as_tensor(counts, dtype=torch.float64).pow(power)
    return w / w.sum()
'''),
    Variant("noise_exp_log", "negative_sampling_distribution", style="exp(power * log n), np.power-free",
            code='''
def negative_sampling_distribution(counts, power=0.75):
    w = np.exp(power * np.log(np.asarray(counts, dtype=np.float64)))
    return w / np.sum(w)
'''),
]

PAIRS_VARIANTS = [
    Variant("pairs_python_loop", "skipgram_pairs", style="one draw for all positions, then a loop over i and j",
            code='''
def skipgram_pairs(ids, window, generator):
    n = len(ids)
    spans = torch.randint(1, window + 1, (n,), generator=generator).tolist()
    ids_list = ids.tolist()
    centres, contexts = [], []
    for i in range(n):
        if ids_list[i] < 0:
            continue
        for j in range(max(0, i - spans[i]), min(n, i + spans[i] + 1)):
            if j != i and ids_list[j] >= 0:
                centres.append(ids_list[i])
                contexts.append(ids_list[j])
    return torch.tensor(centres, dtype=torch.int64), torch.tensor(contexts, dtype=torch.int64)
'''),
    Variant("pairs_numpy_lexsort", "skipgram_pairs", style="numpy offsets, np.lexsort by (i, j)", code='''
def skipgram_pairs(ids, window, generator):
    n = len(ids)
    spans = torch.randint(1, window + 1, (n,), generator=generator).numpy()
    x = ids.numpy()
    pos = np.arange(n)
    I, J = [], []
    for d in range(-window, window + 1):
        if d == 0:
            continue
        ok = (spans >= abs(d)) & (pos + d >= 0) & (pos + d < n)
        i = pos[ok]
        i = i[(x[i] >= 0) & (x[i + d] >= 0)]
        I.append(i)
        J.append(i + d)
    I, J = np.concatenate(I), np.concatenate(J)
    order = np.lexsort((J, I))
    return torch.from_numpy(x[I[order]]).long(), torch.from_numpy(x[J[order]]).long()
'''),
]

SGNS_VARIANTS = [
    Variant("sgns_log_expit", "sgns_loss_and_grads", style="scipy.special.log_expit and matmul", code='''
def sgns_loss_and_grads(v, u_pos, u_neg):
    from scipy.special import expit, log_expit
    B = len(v)
    s = np.einsum("bd,bd->b", v, u_pos)
    s_neg = (u_neg @ v[:, :, None])[:, :, 0]
    loss = -(log_expit(s).sum() + log_expit(-s_neg).sum()) / B
    d_s = -expit(-s) / B
    d_neg = expit(s_neg) / B
    grad_v = d_s[:, None] * u_pos + (d_neg[:, :, None] * u_neg).sum(axis=1)
    return float(loss), grad_v, d_s[:, None] * v, d_neg[:, :, None] * v[:, None, :]
'''),
    Variant("sgns_row_loop", "sgns_loss_and_grads", style="a loop over pairs, softplus written with np.where",
            code='''
def sgns_loss_and_grads(v, u_pos, u_neg):
    def softplus(x):
        return np.where(x > 0, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(-np.abs(x))))
    def sigmoid(x):
        return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
    B = v.shape[0]
    loss = 0.0
    gv, gp, gn = np.zeros_like(v), np.zeros_like(u_pos), np.zeros_like(u_neg)
    for b in range(B):
        s = np.dot(u_pos[b], v[b])
        sk = u_neg[b] @ v[b]
        loss += softplus(-s) + softplus(sk).sum()
        gv[b] = (sigmoid(s) - 1) * u_pos[b] + sigmoid(sk) @ u_neg[b]
        gp[b] = (sigmoid(s) - 1) * v[b]
        gn[b] = np.outer(sigmoid(sk), v[b])
    return float(loss / B), gv / B, gp / B, gn / B
'''),
    Variant("sgns_torch_autograd", "sgns_loss_and_grads", style="torch autograd in float64, grads back to numpy",
            code='''
def sgns_loss_and_grads(v, u_pos, u_neg):
    tv, tp, tn = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (v, u_pos, u_neg))
    s_pos = (tv * tp).sum(-1)
    s_neg = torch.bmm(tn, tv.unsqueeze(-1)).squeeze(-1)
    loss = -(F.logsigmoid(s_pos) + F.logsigmoid(-s_neg).sum(-1)).mean()
    loss.backward()
    return loss.item(), tv.grad.numpy(), tp.grad.numpy(), tn.grad.numpy()
'''),
]

GRADCHECK_VARIANTS = [
    Variant("gradcheck_nditer", "gradient_check", style="np.nditer with multi_index (CS224N's gradcheck_naive)",
            code='''
def gradient_check(f, x, eps=1e-5):
    fx, grad = f(x)
    numgrad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        tmp = x[ix]
        x[ix] = tmp + eps
        fplus, _ = f(x)
        x[ix] = tmp - eps
        fminus, _ = f(x)
        x[ix] = tmp
        numgrad[ix] = (fplus - fminus) / (2 * eps)
        it.iternext()
    reldiff = np.abs(grad - numgrad) / np.maximum(1, np.maximum(np.abs(grad), np.abs(numgrad)))
    return numgrad, float(np.max(reldiff))
'''),
    Variant("gradcheck_copies", "gradient_check", style="perturbs flat copies of x, never x itself", code='''
def gradient_check(f, x, eps=1e-5):
    analytic = np.asarray(f(x)[1], dtype=np.float64)
    numeric = np.empty(x.size)
    for i in range(x.size):
        plus, minus = x.copy().reshape(-1), x.copy().reshape(-1)
        plus[i] += eps
        minus[i] -= eps
        numeric[i] = (f(plus.reshape(x.shape))[0] - f(minus.reshape(x.shape))[0]) / (2 * eps)
    numeric = numeric.reshape(x.shape)
    denominator = np.max(np.stack([np.ones_like(numeric), np.abs(analytic), np.abs(numeric)]), axis=0)
    return numeric, float(np.max(np.abs(analytic - numeric) / denominator))
'''),
]

MODULE_VARIANTS = [
    Variant("skipgram_module_bmm", "SkipGramNS", style="bmm scores and -logsigmoid summed, divided by B", code='''
class SkipGramNS(SkipGramNS):
    def forward(self, centers, contexts, negatives):
        v = self.in_embed(centers).unsqueeze(2)
        pos = torch.bmm(self.out_embed(contexts).unsqueeze(1), v).squeeze()
        neg = torch.bmm(self.out_embed(negatives), v).squeeze(2)
        loss = -F.logsigmoid(pos.view(-1)).sum() - F.logsigmoid(-neg).sum()
        return loss / centers.shape[0]
'''),
    Variant("skipgram_module_bce_logits", "SkipGramNS",
            style="binary cross-entropy with logits, labels 1 for the context and 0 for the noise", code='''
class SkipGramNS(SkipGramNS):
    def forward(self, centers, contexts, negatives):
        ctx = torch.cat([contexts[:, None], negatives], dim=1)
        logits = (self.out_embed(ctx) * self.in_embed(centers)[:, None, :]).sum(-1)
        labels = torch.zeros_like(logits)
        labels[:, 0] = 1
        return F.binary_cross_entropy_with_logits(logits, labels, reduction="sum") / len(centers)
'''),
    Variant("skipgram_module_softplus", "SkipGramNS", style="softplus(-s) = -logsigmoid(s)", code='''
class SkipGramNS(SkipGramNS):
    def forward(self, centers, contexts, negatives):
        v = self.in_embed(centers)
        s_pos = torch.sum(v * self.out_embed(contexts), dim=1)
        s_neg = torch.sum(self.out_embed(negatives) * v.unsqueeze(1), dim=2)
        return torch.mean(F.softplus(-s_pos) + torch.sum(F.softplus(s_neg), dim=1))
'''),
]

SIMILARITY_VARIANTS = [
    Variant("similarity_rankdata_corrcoef", "evaluate_similarity", style="scipy.stats.rankdata, then np.corrcoef",
            code='''
def evaluate_similarity(E, vocab, pairs):
    sims, gold = [], []
    for w1, w2, score in pairs:
        if w1 in vocab and w2 in vocab:
            x, y = E[vocab[w1]], E[vocab[w2]]
            sims.append(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))
            gold.append(score)
    rho = np.corrcoef(scipy.stats.rankdata(sims), scipy.stats.rankdata(gold))[0, 1]
    return float(rho), len(sims) / len(pairs)
'''),
    Variant("similarity_sklearn_oov_count", "evaluate_similarity",
            style="sklearn's paired cosine, coverage as 1 - oov / total, spearmanr(...)[0]", code='''
def evaluate_similarity(E, vocab, pairs):
    from sklearn.metrics.pairwise import paired_cosine_distances
    known = [p for p in pairs if p[0] in vocab and p[1] in vocab]
    oov = len(pairs) - len(known)
    a = E[[vocab[p[0]] for p in known]]
    b = E[[vocab[p[1]] for p in known]]
    sims = 1 - paired_cosine_distances(a, b)
    return scipy.stats.spearmanr(sims, [p[2] for p in known])[0], 1 - oov / len(pairs)
'''),
]

VARIANTS = (VOCAB_VARIANTS + COOCCURRENCE_VARIANTS + PPMI_VARIANTS + SVD_VARIANTS + NEIGHBOUR_VARIANTS
            + ANALOGY_VARIANTS + SAMPLING_VARIANTS + PAIRS_VARIANTS + SGNS_VARIANTS + GRADCHECK_VARIANTS
            + MODULE_VARIANTS + SIMILARITY_VARIANTS)
