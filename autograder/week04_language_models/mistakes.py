"""Known wrong implementations for week 4. Each `code` runs in the reference notebook's namespace
(math, torch, nn, F, Counter, BOS, EOS, UNK and the reference functions are defined there) and
replaces one function; a module keeps its given __init__ (`class X(X)`) and gets another forward."""

from coursekit.checks import Mistake

COUNT_MISTAKES = [
    # ------------------------------------------------------------ ngram_counts
    Mistake("ngram_counts_no_end", "ngram_counts",
            "your n-grams never predict </s>: append one </s> to every sentence, or the model cannot end a "
            "sentence and the probabilities of sentences do not sum to 1", code='''
def ngram_counts(sentences, n):
    counts = Counter()
    for s in sentences:
        padded = [BOS] * (n - 1) + list(s)
        counts.update(tuple(padded[i : i + n]) for i in range(len(padded) - n + 1))
    return counts
'''),
    Mistake("ngram_counts_start_predicted", "ngram_counts",
            "your counts predict <s>: pad with n - 1 <s> (none for unigrams), so <s> is only ever context", code='''
def ngram_counts(sentences, n):
    counts = Counter()
    for s in sentences:
        padded = [BOS] * n + list(s) + [EOS]
        counts.update(tuple(padded[i : i + n]) for i in range(len(padded) - n + 1))
    return counts
'''),
    Mistake("ngram_counts_one_start", "ngram_counts",
            "you pad with a single <s> whatever n is: a trigram model needs n - 1 = 2 <s> to predict the first "
            "word from a full context", code='''
def ngram_counts(sentences, n):
    counts = Counter()
    for s in sentences:
        padded = ([BOS] if n > 1 else []) + list(s) + [EOS]
        counts.update(tuple(padded[i : i + n]) for i in range(len(padded) - n + 1))
    return counts
'''),
    Mistake("ngram_counts_across_sentences", "ngram_counts",
            "your n-grams run across sentence boundaries: pad and count each sentence on its own", code='''
def ngram_counts(sentences, n):
    stream = [BOS] * (n - 1)
    for s in sentences:
        stream += list(s) + [EOS]
    return Counter(tuple(stream[i : i + n]) for i in range(len(stream) - n + 1))
'''),
    # ------------------------------------------------------------ mle_prob
    Mistake("mle_prob_joint", "mle_prob",
            "you divide by the total number of n-grams: that is the joint p(context, word), not p(word | context) "
            "= c(context, word) / c(context)", code='''
def mle_prob(ngrams, totals, context, word):
    if totals[tuple(context)] == 0:
        return 0.0
    return ngrams[tuple(context) + (word,)] / sum(ngrams.values())
'''),
    Mistake("mle_prob_reversed", "mle_prob",
            "you look up (word,) + context: an n-gram is the context followed by the word", code='''
def mle_prob(ngrams, totals, context, word):
    if totals[tuple(context)] == 0:
        return 0.0
    return ngrams[(word,) + tuple(context)] / totals[tuple(context)]
'''),
    Mistake("mle_prob_types", "mle_prob",
            "you divide by the number of distinct words seen after the context (types); divide by how often the "
            "context was followed by anything, c(context) (tokens)", code='''
def mle_prob(ngrams, totals, context, word):
    h = tuple(context)
    types = sum(1 for g in ngrams if g[:-1] == h)
    return ngrams[h + (word,)] / types if types else 0.0
'''),
    # ------------------------------------------------------------ add_k_prob
    Mistake("add_k_prob_numerator_only", "add_k_prob",
            "you add k to the count but not k * |V| to the total: the probabilities no longer sum to 1", code='''
def add_k_prob(ngrams, totals, context, word, k, vocab_size):
    h = tuple(context)
    return (ngrams[h + (word,)] + k) / (totals[h] + k)
'''),
    Mistake("add_k_prob_seen_vocabulary", "add_k_prob",
            "you normalise by the number of words seen after the context instead of the whole vocabulary "
            "|V| = vocab_size: the wrong vocabulary size", code='''
def add_k_prob(ngrams, totals, context, word, k, vocab_size):
    h = tuple(context)
    seen = sum(1 for g in ngrams if g[:-1] == h)
    return (ngrams[h + (word,)] + k) / (totals[h] + k * max(seen, 1))
'''),
    Mistake("add_k_prob_vocab_without_k", "add_k_prob",
            "your denominator adds |V| instead of k * |V|: only right for k = 1", code='''
def add_k_prob(ngrams, totals, context, word, k, vocab_size):
    h = tuple(context)
    return (ngrams[h + (word,)] + k) / (totals[h] + vocab_size)
'''),
    # ------------------------------------------------------------ interpolated_prob
    Mistake("interpolated_prob_weights_not_renormalised", "interpolated_prob",
            "when an order's context was never seen you keep its weight: the interpolation weights then sum to "
            "less than 1 and probability mass disappears; renormalise over the orders whose context was seen",
            code='''
def interpolated_prob(ngrams, totals, context, word, lambdas):
    context = tuple(context)
    prob = 0.0
    for j, (grams, tots, lam) in enumerate(zip(ngrams, totals, lambdas), start=1):
        h = context[len(context) - (j - 1):]
        if tots[h] > 0:
            prob += lam * grams[h + (word,)] / tots[h]
    return prob
'''),
    Mistake("interpolated_prob_lambdas_reversed", "interpolated_prob",
            "your weights are applied in reverse: lambdas[0] belongs to the unigram, lambdas[-1] to order n",
            code='''
def interpolated_prob(ngrams, totals, context, word, lambdas):
    context = tuple(context)
    prob, weight = 0.0, 0.0
    for j, (grams, tots, lam) in enumerate(zip(ngrams, totals, list(lambdas)[::-1]), start=1):
        h = context[len(context) - (j - 1):]
        if tots[h] > 0:
            prob += lam * grams[h + (word,)] / tots[h]
            weight += lam
    return prob / weight if weight > 0 else 0.0
'''),
    Mistake("interpolated_prob_first_words", "interpolated_prob",
            "the lower orders use the first words of the context; they must use the last j - 1 words, the ones "
            "next to the predicted word", code='''
def interpolated_prob(ngrams, totals, context, word, lambdas):
    context = tuple(context)
    prob, weight = 0.0, 0.0
    for j, (grams, tots, lam) in enumerate(zip(ngrams, totals, lambdas), start=1):
        h = context[: j - 1]
        if tots[h] > 0:
            prob += lam * grams[h + (word,)] / tots[h]
            weight += lam
    return prob / weight if weight > 0 else 0.0
'''),
]

KN_FIT = '''
    def fit(self, ngrams, vocab):
        self.vocab = frozenset(vocab)
        self.counts = {self.n: Counter({g: c for g, c in ngrams.items() if c > 0})}
        for j in range(self.n - 1, 0, -1):
            self.counts[j] = Counter(g[1:] for g in self.counts[j + 1])
        self.totals, self.types = {}, {}
        for j, table in self.counts.items():
            self.totals[j], self.types[j] = Counter(), Counter()
            for g, c in table.items():
                self.totals[j][g[:-1]] += c
                self.types[j][g[:-1]] += 1
        return self
'''

KN_MISTAKES = [
    Mistake("kneser_ney_raw_lower_counts", "KneserNey",
            "your lower orders use raw counts: Kneser-Ney's lower orders count continuations, the number of "
            "distinct words seen before each (n-1)-gram", code='''
class KneserNey(KneserNey):
    def fit(self, ngrams, vocab):
        self.vocab = frozenset(vocab)
        self.counts = {self.n: Counter({g: c for g, c in ngrams.items() if c > 0})}
        for j in range(self.n - 1, 0, -1):
            lower = Counter()
            for g, c in self.counts[j + 1].items():
                lower[g[1:]] += c
            self.counts[j] = lower
        self.totals, self.types = {}, {}
        for j, table in self.counts.items():
            self.totals[j], self.types[j] = Counter(), Counter()
            for g, c in table.items():
                self.totals[j][g[:-1]] += c
                self.types[j][g[:-1]] += 1
        return self
'''),
    Mistake("kneser_ney_discount_on_zero", "KneserNey",
            "you subtract the discount from counts of 0 too: use max(c - D, 0), only seen n-grams are discounted",
            code='''
class KneserNey(KneserNey):
''' + KN_FIT + '''
    def prob(self, word, context):
        p = 1.0 / len(self.vocab)
        context = tuple(context)
        for j in range(1, self.n + 1):
            h = context[len(context) - (j - 1):]
            total = self.totals[j][h]
            if total == 0:
                continue
            c = self.counts[j][h + (word,)]
            p = (c - self.discount) / total + self.discount * self.types[j][h] / total * p
        return p
'''),
    Mistake("kneser_ney_unseen_context_zero", "KneserNey",
            "a context never seen gets probability 0 everywhere: fall back to the lower order (weight 1), so "
            "probabilities sum to 1 for any context", code='''
class KneserNey(KneserNey):
''' + KN_FIT + '''
    def prob(self, word, context):
        p = 1.0 / len(self.vocab)
        context = tuple(context)
        for j in range(1, self.n + 1):
            h = context[len(context) - (j - 1):]
            total = self.totals[j][h]
            if total == 0:
                return 0.0
            c = self.counts[j][h + (word,)]
            p = max(c - self.discount, 0.0) / total + self.discount * self.types[j][h] / total * p
        return p
'''),
    Mistake("kneser_ney_gamma_all_types", "KneserNey",
            "your back-off weight uses the number of all word types instead of N1+(h .), the number of distinct "
            "words seen after the context h: the mass given to the lower order must equal the mass discounted",
            code='''
class KneserNey(KneserNey):
''' + KN_FIT + '''
    def prob(self, word, context):
        p = 1.0 / len(self.vocab)
        context = tuple(context)
        for j in range(1, self.n + 1):
            h = context[len(context) - (j - 1):]
            total = self.totals[j][h]
            if total == 0:
                continue
            c = self.counts[j][h + (word,)]
            p = max(c - self.discount, 0.0) / total + self.discount * len(self.vocab) / total * p
        return p
'''),
    Mistake("kneser_ney_first_words", "KneserNey",
            "you use the first n - 1 tokens of a longer context: the model conditions on the last n - 1",
            code='''
class KneserNey(KneserNey):
    def prob(self, word, context):
        return super().prob(word, tuple(context)[: self.n - 1])
'''),
]

EVAL_MISTAKES = [
    # ------------------------------------------------------------ perplexity
    Mistake("perplexity_no_end", "perplexity",
            "you do not predict </s>: every sentence's end is a predicted token and counts in N", code='''
def perplexity(model, sentences):
    nll, count = 0.0, 0
    for s in sentences:
        tokens = [w if w in model.vocab else UNK for w in s]
        context = [BOS] * (model.n - 1)
        for w in tokens:
            nll -= math.log(model.prob(w, tuple(context)))
            context.append(w)
        count += len(tokens)
    return math.exp(nll / max(count, 1))
'''),
    Mistake("perplexity_per_sentence", "perplexity",
            "you average per-sentence perplexities: perplexity is exp of the mean log-loss per token over the "
            "whole text (sum every sentence, divide by the total number of tokens)", code='''
def perplexity(model, sentences):
    ppls = []
    for s in sentences:
        tokens = [w if w in model.vocab else UNK for w in s] + [EOS]
        context = [BOS] * (model.n - 1)
        nll = 0.0
        for w in tokens:
            nll -= math.log(model.prob(w, tuple(context)))
            context.append(w)
        ppls.append(math.exp(nll / len(tokens)))
    return sum(ppls) / len(ppls)
'''),
    Mistake("perplexity_log2_exp", "perplexity",
            "your log base does not match the exponent: log2 with exp (or ln with 2 **); use the same base in both",
            code='''
def perplexity(model, sentences):
    nll, count = 0.0, 0
    for s in sentences:
        tokens = [w if w in model.vocab else UNK for w in s] + [EOS]
        context = [BOS] * (model.n - 1)
        for w in tokens:
            nll -= math.log2(model.prob(w, tuple(context)))
            context.append(w)
        count += len(tokens)
    return math.exp(nll / count)
'''),
    Mistake("perplexity_skips_unknown", "perplexity",
            "you skip unknown words: map them to <unk> and score them, or a model looks better the more words "
            "it does not know", code='''
def perplexity(model, sentences):
    nll, count = 0.0, 0
    for s in sentences:
        tokens = [w for w in s if w in model.vocab] + [EOS]
        context = [BOS] * (model.n - 1)
        for w in tokens:
            nll -= math.log(model.prob(w, tuple(context)))
            context.append(w)
        count += len(tokens)
    return math.exp(nll / count)
'''),
    Mistake("perplexity_no_padding", "perplexity",
            "your first contexts are not padded with n - 1 <s>: the first word is predicted from a shorter context",
            code='''
def perplexity(model, sentences):
    nll, count = 0.0, 0
    for s in sentences:
        tokens = [w if w in model.vocab else UNK for w in s] + [EOS]
        context = []
        for w in tokens:
            nll -= math.log(model.prob(w, tuple(context)))
            context.append(w)
        count += len(tokens)
    return math.exp(nll / count)
'''),
    # ------------------------------------------------------------ bits_per_char
    Mistake("bits_per_char_nats", "bits_per_char",
            "you sum natural logarithms: bits are log2 (divide nats by ln 2)", code='''
def bits_per_char(model, lines, tokenize):
    nats, chars = 0.0, 0
    for line in lines:
        tokens = [w if w in model.vocab else UNK for w in tokenize(line)] + [EOS]
        context = [BOS] * (model.n - 1)
        for w in tokens:
            nats -= math.log(model.prob(w, tuple(context)))
            context.append(w)
        chars += len(line) + 1
    return nats / chars
'''),
    Mistake("bits_per_char_per_token", "bits_per_char",
            "you divide by the number of tokens (that is bits per token, log2 of the perplexity): divide by the "
            "number of characters, len(line) + 1 per line", code='''
def bits_per_char(model, lines, tokenize):
    bits, count = 0.0, 0
    for line in lines:
        tokens = [w if w in model.vocab else UNK for w in tokenize(line)] + [EOS]
        context = [BOS] * (model.n - 1)
        for w in tokens:
            bits -= math.log2(model.prob(w, tuple(context)))
            context.append(w)
        count += len(tokens)
    return bits / count
'''),
    Mistake("bits_per_char_no_newline", "bits_per_char",
            "you do not count the newline: </s> is predicted, so its character counts too (len(line) + 1)",
            code='''
def bits_per_char(model, lines, tokenize):
    bits, chars = 0.0, 0
    for line in lines:
        tokens = [w if w in model.vocab else UNK for w in tokenize(line)] + [EOS]
        context = [BOS] * (model.n - 1)
        for w in tokens:
            bits -= math.log2(model.prob(w, tuple(context)))
            context.append(w)
        chars += len(line)
    return bits / chars
'''),
    Mistake("bits_per_char_per_line", "bits_per_char",
            "you average the lines' bits per character: divide the total bits by the total characters", code='''
def bits_per_char(model, lines, tokenize):
    rates = []
    for line in lines:
        tokens = [w if w in model.vocab else UNK for w in tokenize(line)] + [EOS]
        context = [BOS] * (model.n - 1)
        bits = 0.0
        for w in tokens:
            bits -= math.log2(model.prob(w, tuple(context)))
            context.append(w)
        rates.append(bits / (len(line) + 1))
    return sum(rates) / len(rates)
'''),
    # ------------------------------------------------------------ sample_sentence
    Mistake("sample_sentence_keeps_end", "sample_sentence",
            "your sentences end with </s>: stop when it is drawn, without returning it", code='''
def sample_sentence(model, generator, max_len=30):
    words = sorted(model.vocab)
    context, out = [BOS] * (model.n - 1), []
    while len(out) < max_len:
        probs = torch.tensor([model.prob(w, tuple(context)) for w in words], dtype=torch.float64)
        word = words[torch.multinomial(probs, 1, generator=generator).item()]
        out.append(word)
        if word == EOS:
            break
        context.append(word)
    return out
'''),
    Mistake("sample_sentence_context_fixed", "sample_sentence",
            "your context never moves: append each drawn word to the context", code='''
def sample_sentence(model, generator, max_len=30):
    words = sorted(model.vocab)
    context, out = [BOS] * (model.n - 1), []
    while len(out) < max_len:
        probs = torch.tensor([model.prob(w, tuple(context)) for w in words], dtype=torch.float64)
        word = words[torch.multinomial(probs, 1, generator=generator).item()]
        if word == EOS:
            break
        out.append(word)
    return out
'''),
    Mistake("sample_sentence_greedy", "sample_sentence",
            "you take the most likely word: sampling draws it with torch.multinomial", code='''
def sample_sentence(model, generator, max_len=30):
    words = sorted(model.vocab)
    context, out = [BOS] * (model.n - 1), []
    while len(out) < max_len:
        probs = torch.tensor([model.prob(w, tuple(context)) for w in words], dtype=torch.float64)
        word = words[int(probs.argmax())]
        if word == EOS:
            break
        out.append(word)
        context.append(word)
    return out
'''),
    Mistake("sample_sentence_global_rng", "sample_sentence",
            "you draw from the global random generator: pass generator=generator to torch.multinomial", code='''
def sample_sentence(model, generator, max_len=30):
    words = sorted(model.vocab)
    context, out = [BOS] * (model.n - 1), []
    while len(out) < max_len:
        probs = torch.tensor([model.prob(w, tuple(context)) for w in words], dtype=torch.float64)
        word = words[torch.multinomial(probs, 1).item()]
        if word == EOS:
            break
        out.append(word)
        context.append(word)
    return out
'''),
]

NEURAL_MISTAKES = [
    # ------------------------------------------------------------ NeuralNGramLM
    Mistake("neural_ngram_no_tanh", "NeuralNGramLM",
            "your hidden layer is linear: Bengio et al. apply tanh to d + Hx", code='''
class NeuralNGramLM(NeuralNGramLM):
    def forward(self, context):
        x = self.emb(context).flatten(1)
        logits = self.out(self.hidden(x))
        if self.direct is not None:
            logits = logits + self.direct(x)
        return logits
'''),
    Mistake("neural_ngram_interleaved_concat", "NeuralNGramLM",
            "your concatenation interleaves the embeddings' dimensions: flatten (B, n-1, m) as is, one word's "
            "vector after the other", code='''
class NeuralNGramLM(NeuralNGramLM):
    def forward(self, context):
        x = self.emb(context).transpose(1, 2).flatten(1)
        logits = self.out(torch.tanh(self.hidden(x)))
        if self.direct is not None:
            logits = logits + self.direct(x)
        return logits
'''),
    Mistake("neural_ngram_newest_first", "NeuralNGramLM",
            "you concatenate the context newest word first: the oldest word comes first", code='''
class NeuralNGramLM(NeuralNGramLM):
    def forward(self, context):
        x = self.emb(context.flip(1)).flatten(1)
        logits = self.out(torch.tanh(self.hidden(x)))
        if self.direct is not None:
            logits = logits + self.direct(x)
        return logits
'''),
    Mistake("neural_ngram_no_direct", "NeuralNGramLM",
            "you ignore the direct connections: add self.direct(x) to the logits when it exists", code='''
class NeuralNGramLM(NeuralNGramLM):
    def forward(self, context):
        x = self.emb(context).flatten(1)
        return self.out(torch.tanh(self.hidden(x)))
'''),
    Mistake("neural_ngram_softmax", "NeuralNGramLM",
            "you return probabilities: forward returns logits (the loss applies log-softmax itself)", code='''
class NeuralNGramLM(NeuralNGramLM):
    def forward(self, context):
        x = self.emb(context).flatten(1)
        logits = self.out(torch.tanh(self.hidden(x)))
        if self.direct is not None:
            logits = logits + self.direct(x)
        return torch.softmax(logits, -1)
'''),
    # ------------------------------------------------------------ GRUCell
    Mistake("gru_cell_update_swapped", "GRUCell",
            "your update gate is swapped: h' = (1 - z) * n + z * h (z near 1 keeps the old state)", code='''
class GRUCell(GRUCell):
    def forward(self, x, h):
        i_r, i_z, i_n = F.linear(x, self.weight_ih, self.bias_ih).chunk(3, 1)
        h_r, h_z, h_n = F.linear(h, self.weight_hh, self.bias_hh).chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return z * n + (1 - z) * h
'''),
    Mistake("gru_cell_gates_swapped", "GRUCell",
            "you read the gates in the wrong order: PyTorch stacks reset, update, new (r, z, n)", code='''
class GRUCell(GRUCell):
    def forward(self, x, h):
        i_z, i_r, i_n = F.linear(x, self.weight_ih, self.bias_ih).chunk(3, 1)
        h_z, h_r, h_n = F.linear(h, self.weight_hh, self.bias_hh).chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return (1 - z) * n + z * h
'''),
    Mistake("gru_cell_reset_before_bias", "GRUCell",
            "your reset gate multiplies W_hn h without its bias: PyTorch computes r * (W_hn h + b_hn)", code='''
class GRUCell(GRUCell):
    def forward(self, x, h):
        H = self.hidden_size
        i_r, i_z, i_n = F.linear(x, self.weight_ih, self.bias_ih).chunk(3, 1)
        h_r, h_z, _ = F.linear(h, self.weight_hh, self.bias_hh).chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * (h @ self.weight_hh[2 * H:].T) + self.bias_hh[2 * H:])
        return (1 - z) * n + z * h
'''),
    # ------------------------------------------------------------ RNNLM
    Mistake("rnnlm_ignores_state", "RNNLM",
            "you start from zeros even when a state h is given: carry it in (truncated BPTT relies on it)", code='''
class RNNLM(RNNLM):
    def forward(self, idx, h=None):
        B, T = idx.shape
        x = self.emb(idx)
        h = x.new_zeros(B, self.d_hidden)
        states = []
        for t in range(T):
            h = self.cell(x[:, t], h)
            states.append(h)
        return self.head(torch.stack(states, 1)), h
'''),
    Mistake("rnnlm_state_before_step", "RNNLM",
            "your logits at t come from the state before reading token t: predict from h_t = cell(x_t, h_{t-1})",
            code='''
class RNNLM(RNNLM):
    def forward(self, idx, h=None):
        B, T = idx.shape
        x = self.emb(idx)
        if h is None:
            h = x.new_zeros(B, self.d_hidden)
        states = []
        for t in range(T):
            states.append(h)
            h = self.cell(x[:, t], h)
        return self.head(torch.stack(states, 1)), h
'''),
    Mistake("rnnlm_state_reset_each_step", "RNNLM",
            "you reset the state at every step: pass the previous state to the cell, or the model only sees one "
            "token", code='''
class RNNLM(RNNLM):
    def forward(self, idx, h=None):
        B, T = idx.shape
        x = self.emb(idx)
        if h is None:
            h = x.new_zeros(B, self.d_hidden)
        h0, states = h, []
        for t in range(T):
            h = self.cell(x[:, t], h0)
            states.append(h)
        return self.head(torch.stack(states, 1)), h
'''),
    # ------------------------------------------------------------ batchify
    Mistake("batchify_interleaved", "batchify",
            "your rows interleave the stream (row b holds ids b, b + B, ...): each row must be one contiguous "
            "piece, so that the state carried from one window to the next follows the text", code='''
def batchify(ids, batch_size):
    L = ids.numel() // batch_size
    return ids[: batch_size * L].reshape(L, batch_size).T.contiguous()
'''),
    Mistake("batchify_time_major", "batchify",
            "you return (L, batch_size): the models here are batch-first, (batch_size, L)", code='''
def batchify(ids, batch_size):
    L = ids.numel() // batch_size
    return ids[: batch_size * L].reshape(batch_size, L).T.contiguous()
'''),
    Mistake("batchify_drops_start", "batchify",
            "you drop the first ids: drop the last len(ids) % batch_size", code='''
def batchify(ids, batch_size):
    L = ids.numel() // batch_size
    return ids[ids.numel() - batch_size * L:].reshape(batch_size, L)
'''),
    # ------------------------------------------------------------ detach_hidden
    Mistake("detach_hidden_not_detached", "detach_hidden",
            "your state is still attached to the graph: the next backward goes through all the history (and "
            "fails once the earlier graph is freed); return h.detach()", code='''
def detach_hidden(h):
    if isinstance(h, torch.Tensor):
        return h
    return tuple(h)
'''),
    Mistake("detach_hidden_zeros", "detach_hidden",
            "you reset the state to zeros: truncated BPTT keeps the values and cuts only the graph", code='''
def detach_hidden(h):
    if isinstance(h, torch.Tensor):
        return torch.zeros_like(h)
    return tuple(torch.zeros_like(x) for x in h)
'''),
    Mistake("detach_hidden_first_only", "detach_hidden",
            "for a tuple (h, c) you detach only h: detach every tensor of the state", code='''
def detach_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return (h[0].detach(),) + tuple(h[1:])
'''),
]

MISTAKES = COUNT_MISTAKES + KN_MISTAKES + EVAL_MISTAKES + NEURAL_MISTAKES
