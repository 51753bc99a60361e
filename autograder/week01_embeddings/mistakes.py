"""Known wrong implementations for week 1. Each `code` runs in the reference notebook's namespace
(np, sp, scipy, torch, nn, F, Counter and the reference functions are defined there) and replaces one
function; SkipGramNS keeps its given __init__ (`class SkipGramNS(SkipGramNS)`) and gets a wrong forward."""

from coursekit.checks import Mistake

VOCAB_MISTAKES = [
    Mistake("vocab_ties_by_first_occurrence", "build_vocab",
            "break ties between equal counts alphabetically (sort by (-count, word)); Counter.most_common keeps "
            "the order in which words first appeared, so the ids depend on the order of the corpus", code='''
def build_vocab(tokens, min_count):
    ranked = [(w, n) for w, n in Counter(tokens).most_common() if n >= min_count]
    return [w for w, _ in ranked], np.array([n for _, n in ranked], dtype=np.int64)
'''),
    Mistake("vocab_min_count_strict", "build_vocab",
            "keep the words seen *at least* min_count times (n >= min_count), not more than min_count", code='''
def build_vocab(tokens, min_count):
    counts = Counter(tokens)
    words = sorted((w for w, n in counts.items() if n > min_count), key=lambda w: (-counts[w], w))
    return words, np.array([counts[w] for w in words], dtype=np.int64)
'''),
    Mistake("vocab_ties_reverse_alphabetical", "build_vocab",
            "ties must be in alphabetical order: sorting (count, word) with reverse=True also reverses the words",
            code='''
def build_vocab(tokens, min_count):
    counts = Counter(tokens)
    ranked = sorted(((n, w) for w, n in counts.items() if n >= min_count), reverse=True)
    return [w for _, w in ranked], np.array([n for n, _ in ranked], dtype=np.int64)
'''),
    Mistake("vocab_counts_float", "build_vocab",
            "return the counts as an int64 array (np.array(..., dtype=np.int64)), not floats", code='''
def build_vocab(tokens, min_count):
    counts = Counter(tokens)
    words = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    return words, np.array([counts[w] for w in words], dtype=np.float64)
'''),
]

COOCCURRENCE_MISTAKES = [
    Mistake("cooccurrence_right_context_only", "cooccurrence_matrix",
            "the window is symmetric: count each pair from both ends (X[w, c] and X[c, w]), so X equals X.T",
            code='''
def cooccurrence_matrix(ids, vocab_size, window, weighted=False):
    ids = np.asarray(ids)
    rows, cols, values = [], [], []
    for d in range(1, window + 1):
        left, right = ids[:-d], ids[d:]
        keep = (left >= 0) & (right >= 0)
        rows.append(left[keep])
        cols.append(right[keep])
        values.append(np.full(int(keep.sum()), 1.0 / d if weighted else 1.0))
    data = (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols)))
    return sp.coo_matrix(data, shape=(vocab_size, vocab_size)).tocsr()
'''),
    Mistake("cooccurrence_window_off_by_one", "cooccurrence_matrix",
            "a window of L includes the words at distance L: loop over d = 1, ..., L (range(1, window + 1))",
            code='''
def cooccurrence_matrix(ids, vocab_size, window, weighted=False):
    ids = np.asarray(ids)
    rows, cols, values = [], [], []
    for d in range(1, window):
        left, right = ids[:-d], ids[d:]
        keep = (left >= 0) & (right >= 0)
        rows += [left[keep], right[keep]]
        cols += [right[keep], left[keep]]
        values.append(np.full(2 * int(keep.sum()), 1.0 / d if weighted else 1.0))
    if not values:
        return sp.csr_matrix((vocab_size, vocab_size))
    data = (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols)))
    return sp.coo_matrix(data, shape=(vocab_size, vocab_size)).tocsr()
'''),
    Mistake("cooccurrence_weight_by_distance", "cooccurrence_matrix",
            "weighted=True adds 1 / distance per pair (near words count more), not the distance itself", code='''
def cooccurrence_matrix(ids, vocab_size, window, weighted=False):
    ids = np.asarray(ids)
    rows, cols, values = [], [], []
    for d in range(1, window + 1):
        left, right = ids[:-d], ids[d:]
        keep = (left >= 0) & (right >= 0)
        rows += [left[keep], right[keep]]
        cols += [right[keep], left[keep]]
        values.append(np.full(2 * int(keep.sum()), float(d) if weighted else 1.0))
    data = (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols)))
    return sp.coo_matrix(data, shape=(vocab_size, vocab_size)).tocsr()
'''),
    Mistake("cooccurrence_counts_centre_itself", "cooccurrence_matrix",
            "a word is not its own context: start the offsets at d = 1, not 0 (the diagonal is too large)",
            code='''
def cooccurrence_matrix(ids, vocab_size, window, weighted=False):
    ids = np.asarray(ids)
    rows, cols, values = [], [], []
    for d in range(0, window + 1):
        left, right = ids[:len(ids) - d], ids[d:]
        keep = (left >= 0) & (right >= 0)
        rows += [left[keep], right[keep]]
        cols += [right[keep], left[keep]]
        values.append(np.full(2 * int(keep.sum()), 1.0 / max(d, 1) if weighted else 1.0))
    data = (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols)))
    return sp.coo_matrix(data, shape=(vocab_size, vocab_size)).tocsr()
'''),
]

PPMI_MISTAKES = [
    Mistake("ppmi_unsmoothed", "ppmi",
            "raise the context counts (column sums) to alpha before normalising them: P_alpha(c) = "
            "#(c)^alpha / sum #(c')^alpha; your PMI ignores alpha", code='''
def ppmi(counts, alpha=0.75):
    coo = sp.coo_matrix(counts, dtype=np.float64)
    coo.eliminate_zeros()
    word = np.asarray(coo.sum(axis=1)).ravel()
    context = np.asarray(coo.sum(axis=0)).ravel()
    pmi = np.log(coo.data * context.sum() / (word[coo.row] * context[coo.col]))
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=coo.shape)
'''),
    Mistake("ppmi_transposed", "ppmi",
            "rows are words and columns are contexts: smooth the column sums, not the row sums (your result "
            "is the PPMI of counts.T, transposed back)", code='''
def ppmi(counts, alpha=0.75):
    coo = sp.coo_matrix(counts, dtype=np.float64).T.tocoo()
    coo.eliminate_zeros()
    word = np.asarray(coo.sum(axis=1)).ravel()
    context = np.asarray(coo.sum(axis=0)).ravel() ** alpha
    pmi = np.log(coo.data * context.sum() / (word[coo.row] * context[coo.col]))
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=coo.shape).T.tocsr()
'''),
    Mistake("ppmi_dense_log_nan", "ppmi",
            "where a word or context has no counts at all, 0/0 gives NaN: compute the PMI on the non-zero "
            "counts only and leave every other entry 0", code='''
def ppmi(counts, alpha=0.75):
    C = sp.csr_matrix(counts, dtype=np.float64).toarray()
    word = C.sum(axis=1, keepdims=True)
    context = C.sum(axis=0, keepdims=True) ** alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(C * context.sum() / (word * context))
    return sp.csr_matrix(np.maximum(pmi, 0))
'''),
    Mistake("ppmi_negative_kept", "ppmi",
            "positive PMI: clip negative values to 0 (max(PMI, 0)); yours keeps the negative PMI of seen pairs",
            code='''
def ppmi(counts, alpha=0.75):
    coo = sp.coo_matrix(counts, dtype=np.float64)
    coo.eliminate_zeros()
    word = np.asarray(coo.sum(axis=1)).ravel()
    context = np.asarray(coo.sum(axis=0)).ravel() ** alpha
    pmi = np.log(coo.data * context.sum() / (word[coo.row] * context[coo.col]))
    return sp.csr_matrix((pmi, (coo.row, coo.col)), shape=coo.shape)
'''),
    Mistake("ppmi_log2", "ppmi", "use the natural logarithm (np.log), not log2", code='''
def ppmi(counts, alpha=0.75):
    coo = sp.coo_matrix(counts, dtype=np.float64)
    coo.eliminate_zeros()
    word = np.asarray(coo.sum(axis=1)).ravel()
    context = np.asarray(coo.sum(axis=0)).ravel() ** alpha
    pmi = np.log2(coo.data * context.sum() / (word[coo.row] * context[coo.col]))
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=coo.shape)
'''),
]

SVD_MISTAKES = [
    Mistake("svd_no_eigenvalue_weighting", "svd_embeddings",
            "scale the columns of U by sigma ** eig_power; yours returns U alone whatever eig_power is", code='''
def svd_embeddings(matrix, dim, eig_power=0.5):
    u, s, _ = scipy.sparse.linalg.svds(sp.csr_matrix(matrix, dtype=np.float64), k=dim)
    return u[:, np.argsort(-s)]
'''),
    Mistake("svd_full_sigma", "svd_embeddings",
            "raise the singular values to eig_power (U diag(sigma)^p); yours always multiplies by sigma (p = 1)",
            code='''
def svd_embeddings(matrix, dim, eig_power=0.5):
    u, s, _ = scipy.sparse.linalg.svds(sp.csr_matrix(matrix, dtype=np.float64), k=dim)
    order = np.argsort(-s)
    return u[:, order] * s[order]
'''),
    Mistake("svd_right_vectors", "svd_embeddings",
            "word vectors are the rows of U (one per row of the matrix), not of V (one per column)", code='''
def svd_embeddings(matrix, dim, eig_power=0.5):
    _, s, vt = scipy.sparse.linalg.svds(sp.csr_matrix(matrix, dtype=np.float64), k=dim)
    order = np.argsort(-s)
    return vt[order].T * s[order] ** eig_power
'''),
    Mistake("svd_smallest_singular_values", "svd_embeddings",
            "keep the dim *largest* singular values: np.linalg.svd sorts them in descending order, take the "
            "first dim columns", code='''
def svd_embeddings(matrix, dim, eig_power=0.5):
    dense = matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix, dtype=np.float64)
    u, s, _ = np.linalg.svd(dense, full_matrices=False)
    return u[:, -dim:] * s[-dim:] ** eig_power
'''),
]

NEIGHBOUR_MISTAKES = [
    Mistake("neighbours_dot_product", "nearest_neighbours",
            "cosine similarity divides by both norms: normalise the rows of E before the dot products", code='''
def nearest_neighbours(E, word_id, k):
    sims = E @ E[word_id]
    sims[word_id] = -np.inf
    ids = np.argsort(-sims)[:k]
    return ids.astype(np.int64), sims[ids]
'''),
    Mistake("neighbours_include_query", "nearest_neighbours",
            "exclude the word itself (its cosine with itself is 1): set its score to -inf before sorting", code='''
def nearest_neighbours(E, word_id, k):
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    sims = unit @ unit[word_id]
    ids = np.argsort(-sims)[:k]
    return ids.astype(np.int64), sims[ids]
'''),
    Mistake("neighbours_query_normalised_only", "nearest_neighbours",
            "normalise every row of E, not only the query: otherwise long vectors (frequent words) win", code='''
def nearest_neighbours(E, word_id, k):
    sims = E @ (E[word_id] / np.linalg.norm(E[word_id]))
    sims[word_id] = -np.inf
    ids = np.argsort(-sims)[:k]
    return ids.astype(np.int64), sims[ids]
'''),
    Mistake("neighbours_ascending", "nearest_neighbours",
            "return the most similar words first: sort by descending cosine (np.argsort(-sims))", code='''
def nearest_neighbours(E, word_id, k):
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    sims = unit @ unit[word_id]
    sims[word_id] = np.inf
    ids = np.argsort(sims)[:k]
    return ids.astype(np.int64), sims[ids]
'''),
]

ANALOGY_MISTAKES = [
    Mistake("analogy_returns_query_words", "analogy",
            "exclude a, b and c from the answers: without that the best answer is usually b or c itself", code='''
def analogy(E, a, b, c, k=1, method="add"):
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    cos_a, cos_b, cos_c = (unit[np.asarray(q)] @ unit.T for q in (a, b, c))
    if method == "add":
        scores = cos_b - cos_a + cos_c
    else:
        scores = ((cos_b + 1) / 2) * ((cos_c + 1) / 2) / ((cos_a + 1) / 2 + 1e-3)
    return np.argsort(-scores, axis=1)[:, :k].astype(np.int64)
'''),
    Mistake("analogy_unnormalised", "analogy",
            "normalise the rows of E first: 3CosAdd and 3CosMul are written in cosines, not dot products", code='''
def analogy(E, a, b, c, k=1, method="add"):
    dot_a, dot_b, dot_c = (E[np.asarray(q)] @ E.T for q in (a, b, c))
    if method == "add":
        scores = dot_b - dot_a + dot_c
    else:
        scores = ((dot_b + 1) / 2) * ((dot_c + 1) / 2) / ((dot_a + 1) / 2 + 1e-3)
    rows = np.arange(len(scores))
    for q in (a, b, c):
        scores[rows, np.asarray(q)] = -np.inf
    return np.argsort(-scores, axis=1)[:, :k].astype(np.int64)
'''),
    Mistake("analogy_offset_reversed", "analogy",
            "a is to b as c is to x: x is near b - a + c (cos(x, b) - cos(x, a) + cos(x, c)); you swapped a and b",
            code='''
def analogy(E, a, b, c, k=1, method="add"):
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    cos_a, cos_b, cos_c = (unit[np.asarray(q)] @ unit.T for q in (a, b, c))
    if method == "add":
        scores = cos_a - cos_b + cos_c
    else:
        scores = ((cos_a + 1) / 2) * ((cos_c + 1) / 2) / ((cos_b + 1) / 2 + 1e-3)
    rows = np.arange(len(scores))
    for q in (a, b, c):
        scores[rows, np.asarray(q)] = -np.inf
    return np.argsort(-scores, axis=1)[:, :k].astype(np.int64)
'''),
    Mistake("analogy_cosmul_unshifted", "analogy",
            "3CosMul shifts the cosines to [0, 1] first, cos' = (cos + 1) / 2: a product of negative cosines "
            "is positive and wins", code='''
def analogy(E, a, b, c, k=1, method="add"):
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    cos_a, cos_b, cos_c = (unit[np.asarray(q)] @ unit.T for q in (a, b, c))
    if method == "add":
        scores = cos_b - cos_a + cos_c
    else:
        scores = cos_b * cos_c / (cos_a + 1e-3)
    rows = np.arange(len(scores))
    for q in (a, b, c):
        scores[rows, np.asarray(q)] = -np.inf
    return np.argsort(-scores, axis=1)[:, :k].astype(np.int64)
'''),
]

SAMPLING_MISTAKES = [
    Mistake("keep_prob_inverted", "subsample_keep_prob",
            "1 - sqrt(t / f) is the paper's probability of *discarding* a word; word2vec.c keeps it with "
            "probability min(1, (sqrt(f / t) + 1) * t / f)", code='''
def subsample_keep_prob(counts, t=1e-3):
    f = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    return 1 - np.sqrt(t / f)
'''),
    Mistake("keep_prob_paper_formula", "subsample_keep_prob",
            "use word2vec.c's keep probability min(1, (sqrt(f / t) + 1) * t / f), not the paper's sqrt(t / f)",
            code='''
def subsample_keep_prob(counts, t=1e-3):
    f = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    return np.minimum(1.0, np.sqrt(t / f))
'''),
    Mistake("keep_prob_not_clipped", "subsample_keep_prob",
            "a probability is at most 1: clip with np.minimum(1, ...) (rare words are always kept)", code='''
def subsample_keep_prob(counts, t=1e-3):
    f = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    return (np.sqrt(f / t) + 1) * t / f
'''),
    Mistake("keep_prob_raw_counts", "subsample_keep_prob",
            "f is the relative frequency counts / counts.sum(), not the raw count", code='''
def subsample_keep_prob(counts, t=1e-3):
    f = np.asarray(counts, dtype=np.float64)
    return np.minimum(1.0, (np.sqrt(f / t) + 1) * t / f)
'''),
    Mistake("noise_raw_unigram", "negative_sampling_distribution",
            "raise the counts to the power 3/4 before normalising: the raw unigram draws too many frequent words",
            code='''
def negative_sampling_distribution(counts, power=0.75):
    counts = np.asarray(counts, dtype=np.float64)
    return counts / counts.sum()
'''),
    Mistake("noise_not_normalised", "negative_sampling_distribution",
            "divide by the sum so the probabilities add up to 1", code='''
def negative_sampling_distribution(counts, power=0.75):
    return np.asarray(counts, dtype=np.float64) ** power
'''),
    Mistake("noise_power_after_normalising", "negative_sampling_distribution",
            "normalise after raising to the power: (counts / N) ** 0.75 no longer sums to 1", code='''
def negative_sampling_distribution(counts, power=0.75):
    counts = np.asarray(counts, dtype=np.float64)
    return (counts / counts.sum()) ** power
'''),
]

PAIRS_MISTAKES = [
    Mistake("pairs_fixed_window", "skipgram_pairs",
            "word2vec.c draws a reduced window b_i in 1..window for every position (one torch.randint call) "
            "and uses only contexts within b_i; yours always uses the full window", code='''
def skipgram_pairs(ids, window, generator):
    n = len(ids)
    centres, contexts = [], []
    for i in range(n):
        for j in range(max(0, i - window), min(n, i + window + 1)):
            if j != i and ids[i] >= 0 and ids[j] >= 0:
                centres.append(int(ids[i]))
                contexts.append(int(ids[j]))
    return torch.tensor(centres, dtype=torch.long), torch.tensor(contexts, dtype=torch.long)
'''),
    Mistake("pairs_window_from_zero", "skipgram_pairs",
            "draw the reduced windows from 1..window: torch.randint(1, window + 1, ...); from 0 some centres "
            "get no contexts at all", code='''
def skipgram_pairs(ids, window, generator):
    n = len(ids)
    spans = torch.randint(0, window, (n,), generator=generator)
    centres, contexts = [], []
    for i in range(n):
        b = int(spans[i])
        for j in range(max(0, i - b), min(n, i + b + 1)):
            if j != i and ids[i] >= 0 and ids[j] >= 0:
                centres.append(int(ids[i]))
                contexts.append(int(ids[j]))
    return torch.tensor(centres, dtype=torch.long), torch.tensor(contexts, dtype=torch.long)
'''),
    Mistake("pairs_include_centre", "skipgram_pairs",
            "a word is not its own context: skip j == i", code='''
def skipgram_pairs(ids, window, generator):
    n = len(ids)
    spans = torch.randint(1, window + 1, (n,), generator=generator)
    centres, contexts = [], []
    for i in range(n):
        b = int(spans[i])
        for j in range(max(0, i - b), min(n, i + b + 1)):
            if ids[i] >= 0 and ids[j] >= 0:
                centres.append(int(ids[i]))
                contexts.append(int(ids[j]))
    return torch.tensor(centres, dtype=torch.long), torch.tensor(contexts, dtype=torch.long)
'''),
    Mistake("pairs_ordered_by_offset", "skipgram_pairs",
            "order the pairs by centre position i, then context position j: after a loop over offsets, sort "
            "the pairs by (i, j)", code='''
def skipgram_pairs(ids, window, generator):
    n = len(ids)
    spans = torch.randint(1, window + 1, (n,), generator=generator)
    positions = torch.arange(n)
    centres, contexts = [], []
    for d in [*range(-window, 0), *range(1, window + 1)]:
        i = positions[(spans >= abs(d)) & (positions + d >= 0) & (positions + d < n)]
        i = i[(ids[i] >= 0) & (ids[i + d] >= 0)]
        centres.append(ids[i])
        contexts.append(ids[i + d])
    return torch.cat(centres).long(), torch.cat(contexts).long()
'''),
    Mistake("pairs_keep_negative_ids", "skipgram_pairs",
            "negative ids mark removed words and sentence breaks: pair only positions whose ids are both >= 0",
            code='''
def skipgram_pairs(ids, window, generator):
    n = len(ids)
    spans = torch.randint(1, window + 1, (n,), generator=generator)
    centres, contexts = [], []
    for i in range(n):
        b = int(spans[i])
        for j in range(max(0, i - b), min(n, i + b + 1)):
            if j != i:
                centres.append(int(ids[i]))
                contexts.append(int(ids[j]))
    return torch.tensor(centres, dtype=torch.long), torch.tensor(contexts, dtype=torch.long)
'''),
]

SGNS_MISTAKES = [
    Mistake("sgns_negative_gradient_sign", "sgns_loss_and_grads",
            "d/ds_k of -log sigmoid(-s_k) is +sigmoid(s_k): the noise words' gradient pushes their scores down, "
            "your sign pulls them up", code='''
def sgns_loss_and_grads(v, u_pos, u_neg):
    B = v.shape[0]
    s_pos = np.sum(v * u_pos, axis=-1)
    s_neg = np.einsum("bkd,bd->bk", u_neg, v)
    loss = (np.logaddexp(0, -s_pos).sum() + np.logaddexp(0, s_neg).sum()) / B
    g_pos = (scipy.special.expit(s_pos) - 1) / B
    g_neg = -scipy.special.expit(s_neg) / B
    grad_v = g_pos[:, None] * u_pos + np.einsum("bk,bkd->bd", g_neg, u_neg)
    return float(loss), grad_v, g_pos[:, None] * v, g_neg[:, :, None] * v[:, None, :]
'''),
    Mistake("sgns_mean_over_negatives", "sgns_loss_and_grads",
            "sum the K negative terms of each pair and average over the batch only: you also averaged over K",
            code='''
def sgns_loss_and_grads(v, u_pos, u_neg):
    B, K = u_neg.shape[:2]
    s_pos = np.sum(v * u_pos, axis=-1)
    s_neg = np.einsum("bkd,bd->bk", u_neg, v)
    loss = (np.logaddexp(0, -s_pos).sum() + np.logaddexp(0, s_neg).sum() / K) / B
    g_pos = (scipy.special.expit(s_pos) - 1) / B
    g_neg = scipy.special.expit(s_neg) / (B * K)
    grad_v = g_pos[:, None] * u_pos + np.einsum("bk,bkd->bd", g_neg, u_neg)
    return float(loss), grad_v, g_pos[:, None] * v, g_neg[:, :, None] * v[:, None, :]
'''),
    Mistake("sgns_gradient_of_sum", "sgns_loss_and_grads",
            "the loss is a mean over the batch, so every gradient is divided by B too", code='''
def sgns_loss_and_grads(v, u_pos, u_neg):
    B = v.shape[0]
    s_pos = np.sum(v * u_pos, axis=-1)
    s_neg = np.einsum("bkd,bd->bk", u_neg, v)
    loss = (np.logaddexp(0, -s_pos).sum() + np.logaddexp(0, s_neg).sum()) / B
    g_pos = scipy.special.expit(s_pos) - 1
    g_neg = scipy.special.expit(s_neg)
    grad_v = g_pos[:, None] * u_pos + np.einsum("bk,bkd->bd", g_neg, u_neg)
    return float(loss), grad_v, g_pos[:, None] * v, g_neg[:, :, None] * v[:, None, :]
'''),
    Mistake("sgns_naive_log_sigmoid", "sgns_loss_and_grads",
            "compute -log sigmoid(x) as np.logaddexp(0, -x): log(1 / (1 + exp(-x))) is inf for large scores",
            code='''
def sgns_loss_and_grads(v, u_pos, u_neg):
    B = v.shape[0]
    s_pos = np.sum(v * u_pos, axis=-1)
    s_neg = np.einsum("bkd,bd->bk", u_neg, v)
    with np.errstate(over="ignore", divide="ignore"):
        sig_pos, sig_neg = 1 / (1 + np.exp(-s_pos)), 1 / (1 + np.exp(-s_neg))
        loss = (-np.log(sig_pos).sum() - np.log(1 - sig_neg).sum()) / B
    g_pos = (sig_pos - 1) / B
    g_neg = sig_neg / B
    grad_v = g_pos[:, None] * u_pos + np.einsum("bk,bkd->bd", g_neg, u_neg)
    return float(loss), grad_v, g_pos[:, None] * v, g_neg[:, :, None] * v[:, None, :]
'''),
]

GRADCHECK_MISTAKES = [
    Mistake("gradcheck_forward_difference", "gradient_check",
            "use the central difference (f(x + eps) - f(x - eps)) / (2 eps): the forward difference is only "
            "first-order accurate", code='''
def gradient_check(f, x, eps=1e-5):
    value, analytic = f(x)
    numeric = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        numeric[index] = (f(x)[0] - value) / eps
        x[index] = old
    error = np.abs(analytic - numeric) / np.maximum(1.0, np.maximum(np.abs(analytic), np.abs(numeric)))
    return numeric, float(error.max())
'''),
    Mistake("gradcheck_divides_by_eps", "gradient_check",
            "the two evaluations are 2 eps apart: divide their difference by 2 * eps", code='''
def gradient_check(f, x, eps=1e-5):
    _, analytic = f(x)
    numeric = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        plus = f(x)[0]
        x[index] = old - eps
        minus = f(x)[0]
        x[index] = old
        numeric[index] = (plus - minus) / eps
    error = np.abs(analytic - numeric) / np.maximum(1.0, np.maximum(np.abs(analytic), np.abs(numeric)))
    return numeric, float(error.max())
'''),
    Mistake("gradcheck_not_restored", "gradient_check",
            "restore x[i] after perturbing it: every later entry is measured at a shifted point and x comes back "
            "changed", code='''
def gradient_check(f, x, eps=1e-5):
    _, analytic = f(x)
    numeric = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        x[index] += eps
        plus = f(x)[0]
        x[index] -= 2 * eps
        minus = f(x)[0]
        numeric[index] = (plus - minus) / (2 * eps)
    error = np.abs(analytic - numeric) / np.maximum(1.0, np.maximum(np.abs(analytic), np.abs(numeric)))
    return numeric, float(error.max())
'''),
    Mistake("gradcheck_error_without_floor", "gradient_check",
            "the relative error divides by max(1, |a|, |n|): without the 1, tiny gradients give huge errors",
            code='''
def gradient_check(f, x, eps=1e-5):
    _, analytic = f(x)
    numeric = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        plus = f(x)[0]
        x[index] = old - eps
        minus = f(x)[0]
        x[index] = old
        numeric[index] = (plus - minus) / (2 * eps)
    error = np.abs(analytic - numeric) / np.maximum(np.abs(analytic), np.abs(numeric))
    return numeric, float(error.max())
'''),
]

MODULE_MISTAKES = [
    Mistake("skipgram_module_sum_over_batch", "SkipGramNS",
            "return the mean over the batch (.mean()), not the sum: the learning rate would depend on B", code='''
class SkipGramNS(SkipGramNS):
    def forward(self, centers, contexts, negatives):
        v = self.in_embed(centers)
        s_pos = (v * self.out_embed(contexts)).sum(-1)
        s_neg = torch.einsum("bkd,bd->bk", self.out_embed(negatives), v)
        return -(F.logsigmoid(s_pos) + F.logsigmoid(-s_neg).sum(-1)).sum()
'''),
    Mistake("skipgram_module_negative_sign", "SkipGramNS",
            "noise words enter as logsigmoid(-u_k . v): the model must learn to score them low", code='''
class SkipGramNS(SkipGramNS):
    def forward(self, centers, contexts, negatives):
        v = self.in_embed(centers)
        s_pos = (v * self.out_embed(contexts)).sum(-1)
        s_neg = torch.einsum("bkd,bd->bk", self.out_embed(negatives), v)
        return -(F.logsigmoid(s_pos) + F.logsigmoid(s_neg).sum(-1)).mean()
'''),
    Mistake("skipgram_module_log_of_sigmoid", "SkipGramNS",
            "use F.logsigmoid: torch.log(torch.sigmoid(x)) underflows to -inf for large negative scores", code='''
class SkipGramNS(SkipGramNS):
    def forward(self, centers, contexts, negatives):
        v = self.in_embed(centers)
        s_pos = (v * self.out_embed(contexts)).sum(-1)
        s_neg = torch.einsum("bkd,bd->bk", self.out_embed(negatives), v)
        return -(torch.log(torch.sigmoid(s_pos)) + torch.log(torch.sigmoid(-s_neg)).sum(-1)).mean()
'''),
    Mistake("skipgram_module_one_table", "SkipGramNS",
            "contexts and noise words use the output embeddings (out_embed); centres use in_embed", code='''
class SkipGramNS(SkipGramNS):
    def forward(self, centers, contexts, negatives):
        v = self.in_embed(centers)
        s_pos = (v * self.in_embed(contexts)).sum(-1)
        s_neg = torch.einsum("bkd,bd->bk", self.in_embed(negatives), v)
        return -(F.logsigmoid(s_pos) + F.logsigmoid(-s_neg).sum(-1)).mean()
'''),
    Mistake("skipgram_module_mean_over_negatives", "SkipGramNS",
            "sum the K negative terms of a pair (.sum(-1)); averaging them weakens the noise by a factor K",
            code='''
class SkipGramNS(SkipGramNS):
    def forward(self, centers, contexts, negatives):
        v = self.in_embed(centers)
        s_pos = (v * self.out_embed(contexts)).sum(-1)
        s_neg = torch.einsum("bkd,bd->bk", self.out_embed(negatives), v)
        return -(F.logsigmoid(s_pos) + F.logsigmoid(-s_neg).mean(-1)).mean()
'''),
]

SIMILARITY_MISTAKES = [
    Mistake("similarity_pearson_on_scores", "evaluate_similarity",
            "Spearman's rho is the correlation of the *ranks* (scipy.stats.spearmanr), not of the raw scores",
            code='''
def evaluate_similarity(E, vocab, pairs):
    found = [(vocab[w1], vocab[w2], s) for w1, w2, s in pairs if w1 in vocab and w2 in vocab]
    i, j, human = (np.array(column) for column in zip(*found))
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    cosines = (unit[i] * unit[j]).sum(axis=1)
    return float(np.corrcoef(cosines, human)[0, 1]), len(found) / len(pairs)
'''),
    Mistake("similarity_ties_not_averaged", "evaluate_similarity",
            "tied human scores share the average of their ranks (scipy.stats.rankdata); argsort().argsort() "
            "gives ties different ranks", code='''
def evaluate_similarity(E, vocab, pairs):
    found = [(vocab[w1], vocab[w2], s) for w1, w2, s in pairs if w1 in vocab and w2 in vocab]
    i, j, human = (np.array(column) for column in zip(*found))
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    cosines = (unit[i] * unit[j]).sum(axis=1)
    ranks = lambda x: np.argsort(np.argsort(x, kind="stable"), kind="stable")
    return float(np.corrcoef(ranks(cosines), ranks(human))[0, 1]), len(found) / len(pairs)
'''),
    Mistake("similarity_oov_scored_zero", "evaluate_similarity",
            "leave out the pairs with a word outside the vocabulary and report the coverage; scoring them 0 "
            "makes up a similarity", code='''
def evaluate_similarity(E, vocab, pairs):
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    cosines = [float(unit[vocab[w1]] @ unit[vocab[w2]]) if w1 in vocab and w2 in vocab else 0.0
               for w1, w2, _ in pairs]
    return float(scipy.stats.spearmanr(cosines, [s for _, _, s in pairs]).statistic), 1.0
'''),
    Mistake("similarity_dot_product", "evaluate_similarity",
            "score a pair by the cosine of its vectors, not their dot product", code='''
def evaluate_similarity(E, vocab, pairs):
    found = [(vocab[w1], vocab[w2], s) for w1, w2, s in pairs if w1 in vocab and w2 in vocab]
    i, j, human = (np.array(column) for column in zip(*found))
    dots = (E[i] * E[j]).sum(axis=1)
    return float(scipy.stats.spearmanr(dots, human).statistic), len(found) / len(pairs)
'''),
    Mistake("similarity_coverage_as_count", "evaluate_similarity",
            "coverage is the fraction of pairs scored (found / total), not their number", code='''
def evaluate_similarity(E, vocab, pairs):
    found = [(vocab[w1], vocab[w2], s) for w1, w2, s in pairs if w1 in vocab and w2 in vocab]
    i, j, human = (np.array(column) for column in zip(*found))
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    cosines = (unit[i] * unit[j]).sum(axis=1)
    return float(scipy.stats.spearmanr(cosines, human).statistic), float(len(found))
'''),
]

MISTAKES = (VOCAB_MISTAKES + COOCCURRENCE_MISTAKES + PPMI_MISTAKES + SVD_MISTAKES + NEIGHBOUR_MISTAKES
            + ANALOGY_MISTAKES + SAMPLING_MISTAKES + PAIRS_MISTAKES + SGNS_MISTAKES + GRADCHECK_MISTAKES
            + MODULE_MISTAKES + SIMILARITY_MISTAKES)
