"""Accepted variants for week 4: correct implementations written the way learners write them.

Each `code` runs in the reference notebook's namespace and replaces one function; a module keeps its
given __init__ (`class X(X)`) and gets another forward. `coursekit validate` requires every one to earn
full marks: a check that penalises one of them is wrong, not the variant. Never released.
"""

from coursekit.checks import Variant

COUNT_VARIANTS = [
    Variant("ngram_counts_zip", "ngram_counts", style="zip of n shifted copies, a defaultdict", code='''
def ngram_counts(sentences, n):
    from collections import defaultdict
    counts = defaultdict(int)
    for sentence in sentences:
        tokens = ["<s>"] * (n - 1) + sentence + ["</s>"]
        for gram in zip(*(tokens[i:] for i in range(n))):
            counts[gram] += 1
    return Counter(counts)
'''),
    Variant("ngram_counts_nltk_style", "ngram_counts", style="explicit index loop, dict.get", code='''
def ngram_counts(sentences, n):
    counts = {}
    for sentence in sentences:
        padded = (BOS,) * (n - 1) + tuple(sentence) + (EOS,)
        for end in range(n, len(padded) + 1):
            gram = padded[end - n : end]
            counts[gram] = counts.get(gram, 0) + 1
    return Counter(counts)
'''),
    Variant("mle_prob_get", "mle_prob", style="dict.get and a conditional expression", code='''
def mle_prob(ngrams, totals, context, word):
    c_h = totals.get(tuple(context), 0)
    return ngrams.get(tuple(context) + (word,), 0) / c_h if c_h else 0.0
'''),
    Variant("mle_prob_try", "mle_prob", style="try/except ZeroDivisionError", code='''
def mle_prob(ngrams, totals, context, word):
    key = (*context, word)
    try:
        return ngrams[key] / totals[tuple(context)]
    except ZeroDivisionError:
        return 0.0
'''),
    Variant("add_k_prob_split", "add_k_prob", style="numerator and denominator named, float()", code='''
def add_k_prob(ngrams, totals, context, word, k, vocab_size):
    numerator = ngrams.get((*context, word), 0) + k
    denominator = totals.get(tuple(context), 0) + k * vocab_size
    return float(numerator / denominator)
'''),
    Variant("add_k_prob_interpolation_form", "add_k_prob",
            style="as a mixture of the MLE and the uniform distribution", code='''
def add_k_prob(ngrams, totals, context, word, k, vocab_size):
    h = tuple(context)
    c_h = totals[h]
    lam = c_h / (c_h + k * vocab_size)
    mle = ngrams[h + (word,)] / c_h if c_h else 0.0
    return lam * mle + (1 - lam) / vocab_size
'''),
    Variant("interpolated_prob_two_passes", "interpolated_prob",
            style="first the orders whose context was seen, then a normalised sum", code='''
def interpolated_prob(ngrams, totals, context, word, lambdas):
    n = len(ngrams)
    terms = []
    for order in range(1, n + 1):
        h = tuple(context[n - order:]) if order > 1 else ()
        if totals[order - 1].get(h, 0) > 0:
            terms.append((lambdas[order - 1], ngrams[order - 1].get(h + (word,), 0) / totals[order - 1][h]))
    weight = sum(lam for lam, _ in terms)
    return sum(lam * p for lam, p in terms) / weight if weight else 0.0
'''),
    Variant("interpolated_prob_mle_calls", "interpolated_prob", style="calls a helper MLE and renormalises", code='''
def interpolated_prob(ngrams, totals, context, word, lambdas):
    def mle(order, h):
        return ngrams[order][h + (word,)] / totals[order][h]
    context = tuple(context)
    kept = [j for j in range(len(ngrams)) if totals[j][context[len(context) - j:] if j else ()] > 0]
    norm = sum(lambdas[j] for j in kept)
    if norm == 0:
        return 0.0
    return sum(lambdas[j] / norm * mle(j, context[len(context) - j:] if j else ()) for j in kept)
'''),
]

KN_VARIANTS = [
    Variant("kneser_ney_recursive", "KneserNey", style="recursive prob, sets of left extensions", code='''
class KneserNey(KneserNey):
    def fit(self, ngrams, vocab):
        self.vocab = frozenset(vocab)
        grams = {g for g, c in ngrams.items() if c > 0}
        self.c = {self.n: {g: ngrams[g] for g in grams}}
        left = {}
        for j in range(self.n - 1, 0, -1):
            for g in self.c[j + 1]:
                left.setdefault((j, g[1:]), set()).add(g[0])
            self.c[j] = {g: len(us) for (order, g), us in left.items() if order == j}
        self.follow = {}
        for j, table in self.c.items():
            for g, c in table.items():
                tot, typ = self.follow.get((j, g[:-1]), (0, 0))
                self.follow[(j, g[:-1])] = (tot + c, typ + 1)
        return self

    def _p(self, word, h, j):
        if j == 0:
            return 1 / len(self.vocab)
        lower = self._p(word, h[1:], j - 1)
        total, types = self.follow.get((j, h), (0, 0))
        if total == 0:
            return lower
        return max(self.c[j].get(h + (word,), 0) - self.discount, 0) / total + self.discount * types / total * lower

    def prob(self, word, context):
        context = tuple(context)
        h = context[len(context) - (self.n - 1):] if self.n > 1 else ()
        return self._p(word, h, self.n)
'''),
    Variant("kneser_ney_alpha_gamma", "KneserNey", style="NLTK's alpha/gamma split, per-context Counters", code='''
class KneserNey(KneserNey):
    def fit(self, ngrams, vocab):
        from collections import defaultdict
        self.vocab = frozenset(vocab)
        self.tables = {}
        level = {g: c for g, c in ngrams.items() if c > 0}
        for j in range(self.n, 0, -1):
            table = defaultdict(Counter)
            for g, c in level.items():
                table[g[:-1]][g[-1]] += c
            self.tables[j] = table
            level = Counter(g[1:] for g in level)  # continuation counts for the order below
        return self

    def prob(self, word, context):
        context = tuple(context)
        p = 1.0 / len(self.vocab)
        for j in range(1, self.n + 1):
            h = context[len(context) - j + 1:] if j > 1 else ()
            following = self.tables[j].get(h)
            if not following:
                continue
            total = sum(following.values())
            alpha = max(following[word] - self.discount, 0.0) / total
            gamma = self.discount * sum(1 for c in following.values() if c > 0) / total
            p = alpha + gamma * p
        return p
'''),
]

EVAL_VARIANTS = [
    Variant("perplexity_log2", "perplexity", style="log2 and 2 ** (the same base on both sides)", code='''
def perplexity(model, sentences):
    bits, n_tokens = 0.0, 0
    for sentence in sentences:
        words = [w if w in model.vocab else "<unk>" for w in sentence] + ["</s>"]
        history = ["<s>"] * (model.n - 1) + words
        for i, w in enumerate(words):
            bits += -math.log2(model.prob(w, tuple(history[: model.n - 1 + i])))
        n_tokens += len(words)
    return 2 ** (bits / n_tokens)
'''),
    Variant("perplexity_geometric_mean", "perplexity", style="torch tensor of log-probabilities, exp(-mean)", code='''
def perplexity(model, sentences):
    logps = []
    for sentence in sentences:
        tokens = ["<s>"] * (model.n - 1) + [w if w in model.vocab else "<unk>" for w in sentence] + ["</s>"]
        for i in range(model.n - 1, len(tokens)):
            logps.append(math.log(model.prob(tokens[i], tuple(tokens[i - model.n + 1 : i]) if model.n > 1 else ())))
    return float(torch.tensor(logps, dtype=torch.float64).mean().neg().exp())
'''),
    Variant("bits_per_char_via_nats", "bits_per_char", style="nats, divided by ln 2 at the end", code='''
def bits_per_char(model, lines, tokenize):
    nats, chars = 0.0, 0
    for line in lines:
        toks = ["<s>"] * (model.n - 1) + [t if t in model.vocab else "<unk>" for t in tokenize(line)] + ["</s>"]
        for i in range(model.n - 1, len(toks)):
            nats -= math.log(model.prob(toks[i], tuple(toks[:i])))
        chars += len(line) + 1
    return nats / math.log(2) / chars
'''),
    Variant("bits_per_char_total_chars", "bits_per_char", style="characters counted from the joined text", code='''
def bits_per_char(model, lines, tokenize):
    total = 0.0
    for line in lines:
        context = ("<s>",) * (model.n - 1)
        for tok in [t if t in model.vocab else "<unk>" for t in tokenize(line)] + ["</s>"]:
            total += -math.log(model.prob(tok, context), 2)
            context = context + (tok,)
    return total / len("\\n".join(lines) + "\\n")
'''),
    Variant("sample_sentence_for_loop", "sample_sentence", style="for loop over max_len, list of probs", code='''
def sample_sentence(model, generator, max_len=30):
    vocab = sorted(model.vocab)
    history = ("<s>",) * (model.n - 1)
    sentence = []
    for _ in range(max_len):
        p = torch.tensor([model.prob(v, history) for v in vocab], dtype=torch.float64)
        token = vocab[int(torch.multinomial(p, num_samples=1, generator=generator))]
        if token == "</s>":
            break
        sentence.append(token)
        history = history + (token,)
    return sentence
'''),
    Variant("sample_sentence_short_context", "sample_sentence",
            style="keeps only the last n - 1 tokens, normalised probabilities", code='''
def sample_sentence(model, generator, max_len=30):
    words = sorted(model.vocab)
    k = model.n - 1
    context = [BOS] * k
    out = []
    while len(out) < max_len:
        probs = torch.tensor([model.prob(w, tuple(context)) for w in words], dtype=torch.float64)
        word = words[torch.multinomial(probs, 1, generator=generator).item()]
        if word == EOS:
            return out
        out.append(word)
        context = (context + [word])[len(context) + 1 - k:] if k else []
    return out
'''),
]

NEURAL_VARIANTS = [
    Variant("neural_ngram_view_cat", "NeuralNGramLM", style="torch.cat of the per-position embeddings", code='''
class NeuralNGramLM(NeuralNGramLM):
    def forward(self, context):
        x = torch.cat([self.emb(context[:, i]) for i in range(context.shape[1])], dim=-1)
        y = self.out(torch.tanh(self.hidden(x)))
        return y if self.direct is None else y + self.direct(x)
'''),
    Variant("neural_ngram_functional", "NeuralNGramLM", style="F.linear with the weights, view(B, -1)", code='''
class NeuralNGramLM(NeuralNGramLM):
    def forward(self, context):
        B = context.shape[0]
        x = self.emb.weight[context].view(B, -1)
        a = torch.tanh(F.linear(x, self.hidden.weight, self.hidden.bias))
        logits = F.linear(a, self.out.weight, self.out.bias)
        if self.direct is not None:
            logits += x @ self.direct.weight.T
        return logits
'''),
    Variant("gru_cell_slices", "GRUCell", style="explicit weight slices per gate", code='''
class GRUCell(GRUCell):
    def forward(self, x, h):
        H = self.hidden_size
        W, U, b, c = self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        r = torch.sigmoid(x @ W[:H].T + b[:H] + h @ U[:H].T + c[:H])
        z = torch.sigmoid(x @ W[H:2 * H].T + b[H:2 * H] + h @ U[H:2 * H].T + c[H:2 * H])
        n = torch.tanh(x @ W[2 * H:].T + b[2 * H:] + r * (h @ U[2 * H:].T + c[2 * H:]))
        return n + z * (h - n)
'''),
    Variant("gru_cell_torch_ops", "GRUCell", style="torch.addmm and split", code='''
class GRUCell(GRUCell):
    def forward(self, x, h):
        gi = torch.addmm(self.bias_ih, x, self.weight_ih.t())
        gh = torch.addmm(self.bias_hh, h, self.weight_hh.t())
        ir, iz, i_n = gi.split(self.hidden_size, dim=-1)
        hr, hz, hn = gh.split(self.hidden_size, dim=-1)
        reset = (ir + hr).sigmoid()
        update = (iz + hz).sigmoid()
        new = (i_n + reset * hn).tanh()
        return update * h + (1.0 - update) * new
'''),
    Variant("rnnlm_preallocated", "RNNLM", style="preallocated output tensor, unbind over time", code='''
class RNNLM(RNNLM):
    def forward(self, idx, h=None):
        B, T = idx.shape
        emb = self.emb(idx)
        state = torch.zeros(B, self.d_hidden, dtype=emb.dtype) if h is None else h
        out = torch.empty(B, T, self.d_hidden, dtype=emb.dtype)
        for t, x_t in enumerate(emb.unbind(1)):
            state = self.cell(x_t, state)
            out[:, t] = state
        return self.head(out), state
'''),
    Variant("rnnlm_head_per_step", "RNNLM", style="the head applied at every step, logits stacked", code='''
class RNNLM(RNNLM):
    def forward(self, idx, h=None):
        if h is None:
            h = torch.zeros(idx.size(0), self.d_hidden, dtype=self.head.weight.dtype)
        logits = []
        for t in range(idx.size(1)):
            h = self.cell(self.emb(idx[:, t]), h)
            logits.append(self.head(h))
        return torch.stack(logits, dim=1), h
'''),
    Variant("batchify_narrow_view", "batchify", style="narrow then view", code='''
def batchify(ids, batch_size):
    nbatch = ids.size(0) // batch_size
    return ids.narrow(0, 0, nbatch * batch_size).view(batch_size, -1).clone()
'''),
    Variant("batchify_stack", "batchify", style="stack of slices", code='''
def batchify(ids, batch_size):
    L = len(ids) // batch_size
    return torch.stack([ids[b * L : (b + 1) * L] for b in range(batch_size)])
'''),
    Variant("detach_hidden_data", "detach_hidden", style="isinstance on tuple, .clone().detach()", code='''
def detach_hidden(h):
    if isinstance(h, tuple):
        return tuple(t.clone().detach() for t in h)
    return h.clone().detach()
'''),
    Variant("detach_hidden_requires_grad", "detach_hidden", style="recursive with map", code='''
def detach_hidden(h):
    if torch.is_tensor(h):
        return h.detach()
    return tuple(map(detach_hidden, h))
'''),
]

VARIANTS = COUNT_VARIANTS + KN_VARIANTS + EVAL_VARIANTS + NEURAL_VARIANTS
