"""Known wrong implementations for week 8. Each `code` runs in the reference notebook's namespace
(torch, F, nn, math and the reference functions are defined there) and replaces one function."""

from coursekit.checks import Mistake


def edited(code: str, *edits: tuple[str, str]) -> str:
    """`code` with each (old, new) replaced: a mistake written as the few lines it changes."""
    for old, new in edits:
        if old not in code:
            raise ValueError(f"{old!r} is not in the template")
        code = code.replace(old, new)
    return code


# Correct bodies that several mistakes change in one place each (see `edited`)
FORWARD_WITH_CACHE = '''
def forward_with_cache(model, idx, cache=None):
    B, T = idx.shape
    past = 0 if cache is None else cache[0][0].size(2)
    x = model.drop(model.tok_emb(idx) + model.pos_emb(torch.arange(past, past + T)))
    C = x.size(-1)
    mask = torch.ones(T, past + T, dtype=torch.bool).tril(diagonal=past)
    new_cache = []
    for layer, block in enumerate(model.blocks):
        attn = block.attn
        q, k, v = attn.qkv(block.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, attn.n_head, C // attn.n_head).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            k = torch.cat([cache[layer][0], k], dim=2)
            v = torch.cat([cache[layer][1], v], dim=2)
        new_cache.append((k, v))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(B, T, C)
        x = x + attn.resid_drop(attn.proj(y))
        x = x + block.mlp(block.ln2(x))
    return model.lm_head(model.ln_f(x)), new_cache
'''

# Correct, if slow: every pair counted again after each merge (train_bpe's tie mistakes change one line)
TRAIN_BPE_RECOUNT = '''
def train_bpe(text, vocab_size):
    words = Counter(pretokenize(text))
    pieces = [(list(w.encode("utf-8")), n) for w, n in words.items()]
    merges = []
    for new_id in range(256, vocab_size):
        counts = Counter()
        for ids, n in pieces:
            for pair in zip(ids, ids[1:]):
                counts[pair] += n
        if not counts:
            break
        pair = max(counts, key=lambda p: (counts[p], p))
        merges.append(pair)
        pieces = [(merge_pair(ids, pair, new_id), n) for ids, n in pieces]
    return merges
'''

GENERATE_WITH_CACHE = '''
@torch.no_grad()
def generate_with_cache(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    cache, new = None, idx[:, -model.block_size:]
    for _ in range(max_new_tokens):
        if cache is not None and cache[0][0].size(2) == model.block_size:
            cache, new = None, idx[:, -model.block_size:]
        logits, cache = forward_with_cache(model, new, cache)
        new = sample_next_token(logits[:, -1, :], temperature, top_k, top_p, generator)
        idx = torch.cat([idx, new], dim=1)
    return idx
'''

MODULE_MISTAKES = [
    # ------------------------------------------------------------ GPT
    Mistake("gpt_no_causal_mask", "GPT",
            "your GPT attends to future tokens: pass a lower-triangular (causal) mask to every block", code='''
class GPT(GPT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T)))
        for block in self.blocks:
            x = block(x, None)
        return self.lm_head(self.ln_f(x))
'''),
    Mistake("gpt_mask_transposed", "GPT",
            "your causal mask lets a position see the future and hides the past: "
            "True must be where key j <= query i (tril)",
            code='''
class GPT(GPT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T)))
        mask = torch.ones(T, T, dtype=torch.bool).triu()
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))
'''),
    Mistake("gpt_no_position_embedding", "GPT",
            "your GPT ignores positions: add pos_emb(arange(T)) to the token embeddings", code='''
class GPT(GPT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.drop(self.tok_emb(idx))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))
'''),
    Mistake("gpt_no_final_norm", "GPT",
            "your GPT skips the final LayerNorm ln_f before the LM head", code='''
class GPT(GPT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T)))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(x)
'''),
    Mistake("gpt_dropout_in_eval", "GPT",
            "F.dropout(x, p) drops in eval mode too (its training argument defaults to True): use self.drop(x), "
            "or F.dropout(x, p, training=self.training)", code='''
class GPT(GPT):
    def forward(self, idx):
        B, T = idx.shape
        x = F.dropout(self.tok_emb(idx) + self.pos_emb(torch.arange(T)), p=self.drop.p)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))
'''),
    Mistake("gpt_no_embedding_dropout", "GPT",
            "your GPT never applies self.drop: dropout goes on the sum of the token and position embeddings",
            code='''
class GPT(GPT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))
'''),
    Mistake("gpt_returns_logits_and_loss", "GPT",
            "forward returns the logits alone, not (logits, loss) as nanoGPT's does: the losses are computed "
            "outside the model here", code='''
class GPT(GPT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T)))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x)), None
'''),
    # ------------------------------------------------------------ BERT
    Mistake("bert_causal_mask", "BERT",
            "your BERT uses a causal mask: BERT attends in both directions (mask=None)", code='''
class BERT(BERT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T)))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        for block in self.blocks:
            x = block(x, mask)
        return self.head_transform(self.ln_f(x)) @ self.tok_emb.weight.T + self.head_bias
'''),
    Mistake("bert_no_head_transform", "BERT",
            "your MLM head skips head_transform (dense, GELU, LayerNorm) before the tied output layer", code='''
class BERT(BERT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T)))
        for block in self.blocks:
            x = block(x, None)
        return self.ln_f(x) @ self.tok_emb.weight.T + self.head_bias
'''),
    Mistake("bert_no_output_bias", "BERT",
            "your MLM head leaves out head_bias, the output layer's own bias", code='''
class BERT(BERT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T)))
        for block in self.blocks:
            x = block(x, None)
        return self.head_transform(self.ln_f(x)) @ self.tok_emb.weight.T
'''),
    Mistake("bert_no_position_embedding", "BERT",
            "your BERT ignores positions: without pos_emb a bidirectional model sees a bag of tokens", code='''
class BERT(BERT):
    def forward(self, idx):
        x = self.drop(self.tok_emb(idx))
        for block in self.blocks:
            x = block(x, None)
        return self.head_transform(self.ln_f(x)) @ self.tok_emb.weight.T + self.head_bias
'''),
    Mistake("bert_dropout_in_eval", "BERT",
            "F.dropout(x, p) drops in eval mode too (its training argument defaults to True): use self.drop(x)",
            code='''
class BERT(BERT):
    def forward(self, idx):
        B, T = idx.shape
        x = F.dropout(self.tok_emb(idx) + self.pos_emb(torch.arange(T)), self.drop.p)
        for block in self.blocks:
            x = block(x, None)
        return self.head_transform(self.ln_f(x)) @ self.tok_emb.weight.T + self.head_bias
'''),
    Mistake("bert_no_embedding_dropout", "BERT",
            "your BERT never applies self.drop: dropout goes on the sum of the token and position embeddings",
            code='''
class BERT(BERT):
    def forward(self, idx):
        B, T = idx.shape
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
        for block in self.blocks:
            x = block(x, None)
        return self.head_transform(self.ln_f(x)) @ self.tok_emb.weight.T + self.head_bias
'''),
]

MISTAKES = [
    # ------------------------------------------------------------ get_batch
    Mistake("get_batch_targets_not_shifted", "get_batch",
            "your targets are the inputs themselves: y must be the window shifted by one, data[i+1 : i+1+block_size]",
            code='''
def get_batch(data, block_size, batch_size, generator=None):
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i : i + block_size] for i in ix.tolist()])
    return x, x.clone()
'''),
    Mistake("get_batch_inputs_targets_swapped", "get_batch",
            "your x and y are swapped: x is data[i : i+block_size], y the same window one token later", code='''
def get_batch(data, block_size, batch_size, generator=None):
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i : i + block_size] for i in ix.tolist()])
    y = torch.stack([data[i + 1 : i + 1 + block_size] for i in ix.tolist()])
    return y, x
'''),
    Mistake("get_batch_last_window_never_drawn", "get_batch",
            "your starts never reach the last window: draw them with torch.randint(len(data) - block_size, ...)",
            code='''
def get_batch(data, block_size, batch_size, generator=None):
    ix = torch.randint(len(data) - block_size - 1, (batch_size,), generator=generator)
    x = torch.stack([data[i : i + block_size] for i in ix.tolist()])
    y = torch.stack([data[i + 1 : i + 1 + block_size] for i in ix.tolist()])
    return x, y
'''),
    Mistake("get_batch_int32", "get_batch",
            "your batches are int32: return int64 (torch.long) ids like data; allocate with dtype=torch.long, "
            "not torch.int", code='''
def get_batch(data, block_size, batch_size, generator=None):
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.zeros(batch_size, block_size, dtype=torch.int)
    y = torch.zeros(batch_size, block_size, dtype=torch.int)
    for b, i in enumerate(ix.tolist()):
        x[b] = data[i : i + block_size]
        y[b] = data[i + 1 : i + 1 + block_size]
    return x, y
'''),
    Mistake("get_batch_ignores_generator", "get_batch",
            "your batches do not come from `generator`: pass generator=generator to torch.randint", code='''
def get_batch(data, block_size, batch_size, generator=None):
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i : i + block_size] for i in ix.tolist()])
    y = torch.stack([data[i + 1 : i + 1 + block_size] for i in ix.tolist()])
    return x, y
'''),
    # ------------------------------------------------------------ causal_lm_loss
    Mistake("causal_lm_loss_not_shifted", "causal_lm_loss",
            "your targets are not shifted: logits at position t must be scored against ids[:, t+1]", code='''
def causal_lm_loss(logits, ids):
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), ids.reshape(-1))
'''),
    Mistake("causal_lm_loss_shifted_backwards", "causal_lm_loss",
            "you shifted the wrong way: logits[:, :-1] predict ids[:, 1:], not logits[:, 1:] -> ids[:, :-1]", code='''
def causal_lm_loss(logits, ids):
    V = logits.size(-1)
    return F.cross_entropy(logits[:, 1:].reshape(-1, V), ids[:, :-1].reshape(-1))
'''),
    Mistake("causal_lm_loss_rolled_targets", "causal_lm_loss",
            "torch.roll wraps around: the last position gets the first token as its target; drop it instead", code='''
def causal_lm_loss(logits, ids):
    V = logits.size(-1)
    return F.cross_entropy(logits.reshape(-1, V), torch.roll(ids, -1, dims=1).reshape(-1))
'''),
    Mistake("causal_lm_loss_summed", "causal_lm_loss",
            "your loss is a sum: take the mean over the B*(T-1) predictions", code='''
def causal_lm_loss(logits, ids):
    V = logits.size(-1)
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1), reduction="sum")
'''),
    Mistake("causal_lm_loss_log_of_softmax", "causal_lm_loss",
            "log(softmax(x)) underflows: a probability below float32's smallest number becomes 0 and its log "
            "-inf; use F.log_softmax or F.cross_entropy, which subtract the log-sum-exp", code='''
def causal_lm_loss(logits, ids):
    probs = F.softmax(logits[:, :-1], dim=-1)
    picked = probs.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    return -torch.log(picked).mean()
'''),
    # ------------------------------------------------------------ mask_tokens
    Mistake("mask_tokens_masks_specials", "mask_tokens",
            "special tokens ([CLS], [SEP]) get chosen: exclude special_ids before masking", code='''
def mask_tokens(ids, special_ids, vocab_size, mask_id, mask_prob=0.15, generator=None):
    chosen = torch.rand(ids.shape, generator=generator) < mask_prob
    u = torch.rand(ids.shape, generator=generator)
    random_tokens = torch.randint(vocab_size, ids.shape, generator=generator, dtype=ids.dtype)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    inputs = torch.where(chosen & (u < 0.8), torch.full_like(ids, mask_id), ids)
    inputs = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_tokens, inputs)
    return inputs, labels
'''),
    Mistake("mask_tokens_always_mask", "mask_tokens",
            "every chosen token becomes [MASK]: 10% must become a random token and 10% stay unchanged", code='''
def mask_tokens(ids, special_ids, vocab_size, mask_id, mask_prob=0.15, generator=None):
    special = torch.isin(ids, torch.as_tensor(special_ids, dtype=ids.dtype))
    chosen = (torch.rand(ids.shape, generator=generator) < mask_prob) & ~special
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    return torch.where(chosen, torch.full_like(ids, mask_id), ids), labels
'''),
    Mistake("mask_tokens_no_unchanged", "mask_tokens",
            "your split is 80% [MASK] / 20% random: 10% of the chosen tokens must stay unchanged", code='''
def mask_tokens(ids, special_ids, vocab_size, mask_id, mask_prob=0.15, generator=None):
    special = torch.isin(ids, torch.as_tensor(special_ids, dtype=ids.dtype))
    chosen = (torch.rand(ids.shape, generator=generator) < mask_prob) & ~special
    u = torch.rand(ids.shape, generator=generator)
    random_tokens = torch.randint(vocab_size, ids.shape, generator=generator, dtype=ids.dtype)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    inputs = torch.where(chosen & (u < 0.8), torch.full_like(ids, mask_id), ids)
    inputs = torch.where(chosen & (u >= 0.8), random_tokens, inputs)
    return inputs, labels
'''),
    Mistake("mask_tokens_random_outside_chosen", "mask_tokens",
            "random tokens also replace unchosen positions: only the chosen 15% may change", code='''
def mask_tokens(ids, special_ids, vocab_size, mask_id, mask_prob=0.15, generator=None):
    special = torch.isin(ids, torch.as_tensor(special_ids, dtype=ids.dtype))
    chosen = (torch.rand(ids.shape, generator=generator) < mask_prob) & ~special
    u = torch.rand(ids.shape, generator=generator)
    random_tokens = torch.randint(vocab_size, ids.shape, generator=generator, dtype=ids.dtype)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    inputs = torch.where(chosen & (u < 0.8), torch.full_like(ids, mask_id), ids)
    inputs = torch.where((u >= 0.8) & (u < 0.9), random_tokens, inputs)
    return inputs, labels
'''),
    Mistake("mask_tokens_labels_everywhere", "mask_tokens",
            "your labels hold every token: set them to -100 where the token was not chosen", code='''
def mask_tokens(ids, special_ids, vocab_size, mask_id, mask_prob=0.15, generator=None):
    special = torch.isin(ids, torch.as_tensor(special_ids, dtype=ids.dtype))
    chosen = (torch.rand(ids.shape, generator=generator) < mask_prob) & ~special
    u = torch.rand(ids.shape, generator=generator)
    random_tokens = torch.randint(vocab_size, ids.shape, generator=generator, dtype=ids.dtype)
    inputs = torch.where(chosen & (u < 0.8), torch.full_like(ids, mask_id), ids)
    inputs = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_tokens, inputs)
    return inputs, ids.clone()
'''),
    Mistake("mask_tokens_labels_only_masked", "mask_tokens",
            "only [MASK] positions get labels: the random and unchanged chosen tokens must be predicted too", code='''
def mask_tokens(ids, special_ids, vocab_size, mask_id, mask_prob=0.15, generator=None):
    special = torch.isin(ids, torch.as_tensor(special_ids, dtype=ids.dtype))
    chosen = (torch.rand(ids.shape, generator=generator) < mask_prob) & ~special
    u = torch.rand(ids.shape, generator=generator)
    random_tokens = torch.randint(vocab_size, ids.shape, generator=generator, dtype=ids.dtype)
    labels = torch.where(chosen & (u < 0.8), ids, torch.full_like(ids, -100))
    inputs = torch.where(chosen & (u < 0.8), torch.full_like(ids, mask_id), ids)
    inputs = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_tokens, inputs)
    return inputs, labels
'''),
    Mistake("mask_tokens_modifies_ids", "mask_tokens",
            "you wrote the masking into ids itself (inputs = ids is the same tensor, not a copy): start from "
            "ids.clone() or build inputs with torch.where", code='''
def mask_tokens(ids, special_ids, vocab_size, mask_id, mask_prob=0.15, generator=None):
    special = torch.isin(ids, torch.as_tensor(special_ids, dtype=ids.dtype))
    chosen = (torch.rand(ids.shape, generator=generator) < mask_prob) & ~special
    u = torch.rand(ids.shape, generator=generator)
    random_tokens = torch.randint(vocab_size, ids.shape, generator=generator, dtype=ids.dtype)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    inputs = ids
    inputs[chosen & (u < 0.8)] = mask_id
    replace = chosen & (u >= 0.8) & (u < 0.9)
    inputs[replace] = random_tokens[replace]
    return inputs, labels
'''),
    # ------------------------------------------------------------ masked_lm_loss
    Mistake("masked_lm_loss_mean_over_all_positions", "masked_lm_loss",
            "your loss is averaged over all positions: divide by the number of predicted (label != -100) positions",
            code='''
def masked_lm_loss(logits, labels):
    total = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100, reduction="sum")
    return total / labels.numel()
'''),
    Mistake("masked_lm_loss_summed", "masked_lm_loss",
            "your loss is a sum: take the mean over the predicted positions", code='''
def masked_lm_loss(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100, reduction="sum")
'''),
    Mistake("masked_lm_loss_unlabelled_as_token_0", "masked_lm_loss",
            "positions labelled -100 are scored (as token 0): ignore them with ignore_index=-100", code='''
def masked_lm_loss(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.clamp(min=0).reshape(-1))
'''),
    Mistake("masked_lm_loss_no_log_softmax", "masked_lm_loss",
            "you averaged -logit of the label: normalise with log_softmax first (or use F.cross_entropy)", code='''
def masked_lm_loss(logits, labels):
    keep = labels != -100
    return -logits[keep].gather(-1, labels[keep].unsqueeze(-1)).mean()
'''),
    Mistake("masked_lm_loss_log_of_softmax", "masked_lm_loss",
            "log(softmax(x)) underflows: a probability below float32's smallest number becomes 0 and its log "
            "-inf; use F.log_softmax or F.cross_entropy, which subtract the log-sum-exp", code='''
def masked_lm_loss(logits, labels):
    keep = labels != -100
    probs = F.softmax(logits[keep], dim=-1)
    return -torch.log(probs.gather(-1, labels[keep].unsqueeze(-1))).mean()
'''),
    *MODULE_MISTAKES,
    # ------------------------------------------------------------ sample_next_token
    Mistake("sample_temperature_after_softmax", "sample_next_token",
            "dividing probabilities by the temperature changes nothing once they are renormalised: divide the logits",
            code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_probs, order = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    probs = F.softmax(logits, dim=-1) / temperature
    return torch.multinomial(probs, num_samples=1, generator=generator)
'''),
    Mistake("sample_temperature_multiplies", "sample_next_token",
            "you multiplied the logits by the temperature: divide them (temperature < 1 must sharpen)", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits * temperature
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_probs, order = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
'''),
    Mistake("sample_top_k_keeps_k_plus_1", "sample_next_token",
            "your top-k keeps k+1 tokens: the threshold is the k-th largest logit", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature
    if top_k:
        kth = torch.topk(logits, min(top_k + 1, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_probs, order = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
'''),
    Mistake("sample_top_p_drops_crossing_token", "sample_next_token",
            "your top-p drops the token that crosses p: keep a token while the mass *before* it is < top_p", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_probs, order = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) > top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
'''),
    Mistake("sample_top_p_before_temperature", "sample_next_token",
            "you applied top-p before the temperature: divide the logits first, then top-k, then top-p", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    if top_p is not None:
        sorted_probs, order = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    logits = logits / temperature
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
'''),
    Mistake("sample_top_k_drops_ties", "sample_next_token",
            "your top-k keeps exactly k tokens: tokens whose logit ties with the k-th largest must be kept too "
            "(mask the logits below the k-th largest value instead of scattering topk's indices)", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature
    if top_k:
        values, indices = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1)
        logits = torch.full_like(logits, float("-inf")).scatter(-1, indices, values)
    if top_p is not None:
        sorted_probs, order = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
'''),
    Mistake("sample_top_p_mask_in_sorted_order", "sample_next_token",
            "your top-p mask is in sorted order but applied to the logits in vocabulary order: map it back with "
            "scatter (or index the sorted logits and map the drawn position back)", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_probs, _ = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove, float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
'''),
    Mistake("sample_top_p_ignores_top_k", "sample_next_token",
            "your top-p uses the probabilities from before top-k: after top-k, take the softmax of the kept "
            "logits again, so that top-p's mass is counted among the surviving tokens", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature
    probs = F.softmax(logits, dim=-1)
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
'''),
    Mistake("sample_greedy_without_keepdim", "sample_next_token",
            "greedy decoding returns shape (B,): keep a column, logits.argmax(dim=-1, keepdim=True), like the "
            "(B, 1) draw of torch.multinomial", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / temperature
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_probs, order = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
'''),
    Mistake("sample_ignores_generator", "sample_next_token",
            "your draw ignores `generator`: pass generator=generator to torch.multinomial, or equal seeds will "
            "not give equal samples", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_probs, order = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
'''),
    Mistake("sample_divides_logits_in_place", "sample_next_token",
            "logits /= temperature changes the caller's tensor: write logits = logits / temperature", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits /= temperature
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, [-1]]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_probs, order = torch.sort(F.softmax(logits, dim=-1), dim=-1, descending=True)
        remove_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        logits = logits.masked_fill(remove_sorted.scatter(-1, order, remove_sorted), float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
'''),
    # ------------------------------------------------------------ generate
    Mistake("generate_context_not_cropped", "generate",
            "your context is not cropped: feed only the last model.block_size tokens, idx[:, -model.block_size:]",
            code='''
@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    for _ in range(max_new_tokens):
        logits = model(idx)[:, -1, :]
        idx = torch.cat([idx, sample_next_token(logits, temperature, top_k, top_p, generator)], dim=1)
    return idx
'''),
    Mistake("generate_crops_oldest", "generate",
            "you kept the first block_size tokens: the context is the *last* block_size tokens", code='''
@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    for _ in range(max_new_tokens):
        logits = model(idx[:, : model.block_size])[:, -1, :]
        idx = torch.cat([idx, sample_next_token(logits, temperature, top_k, top_p, generator)], dim=1)
    return idx
'''),
    Mistake("generate_first_position_logits", "generate",
            "you sampled from the logits of the first position: the next token comes from the last, logits[:, -1, :]",
            code='''
@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    for _ in range(max_new_tokens):
        logits = model(idx[:, -model.block_size :])[:, 0, :]
        idx = torch.cat([idx, sample_next_token(logits, temperature, top_k, top_p, generator)], dim=1)
    return idx
'''),
    Mistake("generate_drops_sampling_arguments", "generate",
            "temperature, top_k and top_p are not passed on to sample_next_token", code='''
@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    for _ in range(max_new_tokens):
        logits = model(idx[:, -model.block_size :])[:, -1, :]
        idx = torch.cat([idx, sample_next_token(logits, generator=generator)], dim=1)
    return idx
'''),
    Mistake("generate_returns_new_tokens_only", "generate",
            "return the whole sequence, the prompt followed by the new tokens: (B, T + max_new_tokens)", code='''
@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    T = idx.shape[1]
    for _ in range(max_new_tokens):
        logits = model(idx[:, -model.block_size :])[:, -1, :]
        idx = torch.cat([idx, sample_next_token(logits, temperature, top_k, top_p, generator)], dim=1)
    return idx[:, T:]
'''),
    Mistake("generate_passes_probabilities", "generate",
            "you passed probabilities (softmax of the logits) to sample_next_token, which takes logits and "
            "applies the softmax itself", code='''
@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    for _ in range(max_new_tokens):
        probs = F.softmax(model(idx[:, -model.block_size :])[:, -1, :], dim=-1)
        idx = torch.cat([idx, sample_next_token(probs, temperature, top_k, top_p, generator)], dim=1)
    return idx
'''),
    # ------------------------------------------------------------ cosine_lr
    Mistake("cosine_lr_warmup_off_by_one", "cosine_lr",
            "your warmup starts at 0: use max_lr * (step + 1) / (warmup + 1) so step 0 already learns", code='''
def cosine_lr(step, warmup, max_steps, max_lr, min_lr):
    if step < warmup:
        return max_lr * step / warmup
    if step > max_steps:
        return min_lr
    ratio = (step - warmup) / (max_steps - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (max_lr - min_lr)
'''),
    Mistake("cosine_lr_decays_to_zero", "cosine_lr",
            "your cosine ignores min_lr: it must end at min_lr, min_lr + coeff * (max_lr - min_lr)", code='''
def cosine_lr(step, warmup, max_steps, max_lr, min_lr):
    if step < warmup:
        return max_lr * (step + 1) / (warmup + 1)
    if step > max_steps:
        return min_lr
    ratio = (step - warmup) / (max_steps - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * ratio)) * max_lr
'''),
    Mistake("cosine_lr_decay_from_step_0", "cosine_lr",
            "your cosine starts at step 0: its progress is (step - warmup) / (max_steps - warmup)", code='''
def cosine_lr(step, warmup, max_steps, max_lr, min_lr):
    if step < warmup:
        return max_lr * (step + 1) / (warmup + 1)
    if step > max_steps:
        return min_lr
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * step / max_steps)) * (max_lr - min_lr)
'''),
    Mistake("cosine_lr_rises_after_max_steps", "cosine_lr",
            "after max_steps your cosine climbs back up: return min_lr there", code='''
def cosine_lr(step, warmup, max_steps, max_lr, min_lr):
    if step < warmup:
        return max_lr * (step + 1) / (warmup + 1)
    ratio = (step - warmup) / (max_steps - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (max_lr - min_lr)
'''),
    # ------------------------------------------------------------ train_step
    Mistake("train_step_no_zero_grad", "train_step",
            "gradients accumulate across steps: call optimizer.zero_grad() before backward", code='''
def train_step(model, optimizer, batch, clip):
    inputs, targets = batch
    model.train()
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    Mistake("train_step_zero_grad_before_step", "train_step",
            "you cleared the gradients between backward and step, so nothing is learned: zero them before backward",
            code='''
def train_step(model, optimizer, batch, clip):
    inputs, targets = batch
    model.train()
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()
'''),
    Mistake("train_step_clip_after_step", "train_step",
            "you clipped after optimizer.step(), too late to matter: clip between backward and step", code='''
def train_step(model, optimizer, batch, clip):
    inputs, targets = batch
    model.train()
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    return loss.item()
'''),
    Mistake("train_step_clip_by_value", "train_step",
            "you clipped each gradient entry (clip_grad_value_): clip the global norm with clip_grad_norm_", code='''
def train_step(model, optimizer, batch, clip):
    inputs, targets = batch
    model.train()
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    Mistake("train_step_summed_loss", "train_step",
            "your loss is summed over positions: average over the positions whose target is not -100", code='''
def train_step(model, optimizer, batch, clip):
    inputs, targets = batch
    model.train()
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100, reduction="sum")
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    Mistake("train_step_no_model_train", "train_step",
            "call model.train() first: after an evaluation the model is still in eval mode and dropout stays off",
            code='''
def train_step(model, optimizer, batch, clip):
    inputs, targets = batch
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    Mistake("train_step_returns_tensor", "train_step",
            "return loss.item(), a Python float: the loss tensor keeps its whole graph alive in a list of losses",
            code='''
def train_step(model, optimizer, batch, clip):
    inputs, targets = batch
    model.train()
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss
'''),
    # ------------------------------------------------------------ count_parameters
    Mistake("count_parameters_no_biases", "count_parameters",
            "count the biases too: qkv, proj and the MLP's fc and proj each have one (the LM head has none)",
            code='''
def count_parameters(config, tied=True):
    V, T, L, d = config["vocab_size"], config["block_size"], config["n_layer"], config["d_model"]
    block = 3 * d * d + d * d + 4 * d * d + 4 * d * d + 4 * d
    return (V + T) * d + L * block + 2 * d + (0 if tied else V * d)
'''),
    Mistake("count_parameters_no_layernorm", "count_parameters",
            "count the LayerNorms: ln1, ln2 in every block and ln_f each have a gain and a bias of d_model",
            code='''
def count_parameters(config, tied=True):
    V, T, L, d = config["vocab_size"], config["block_size"], config["n_layer"], config["d_model"]
    block = 3 * d * d + 3 * d + d * d + d + 4 * d * d + 4 * d + 4 * d * d + d
    return (V + T) * d + L * block + (0 if tied else V * d)
'''),
    Mistake("count_parameters_tied_counted_twice", "count_parameters",
            "a tied LM head is the token embedding itself: count its vocab_size * d_model weights once",
            code='''
def count_parameters(config, tied=True):
    V, T, L, d = config["vocab_size"], config["block_size"], config["n_layer"], config["d_model"]
    block = 12 * d * d + 13 * d
    return (V + T) * d + L * block + 2 * d + V * d
'''),
    Mistake("count_parameters_no_position_embedding", "count_parameters",
            "count the position embedding too: block_size * d_model", code='''
def count_parameters(config, tied=True):
    V, L, d = config["vocab_size"], config["n_layer"], config["d_model"]
    return V * d + L * (12 * d * d + 13 * d) + 2 * d + (0 if tied else V * d)
'''),
    # ------------------------------------------------------------ flops_per_token
    Mistake("flops_counts_embedding", "flops_per_token",
            "the embedding is a table lookup, not a matrix product: Kaplan's N leaves out the embeddings "
            "(and the LM head)", code='''
def flops_per_token(config):
    V, T, L, d = config["vocab_size"], config["block_size"], config["n_layer"], config["d_model"]
    return 6 * (12 * L * d * d + V * d) + 6 * L * T * d
'''),
    Mistake("flops_no_attention_term", "flops_per_token",
            "add the attention's own cost, 6 n_layer block_size d_model per token: the scores q.k over the context "
            "are not weights", code='''
def flops_per_token(config):
    return 6 * 12 * config["n_layer"] * config["d_model"] ** 2
'''),
    Mistake("flops_forward_only", "flops_per_token",
            "training costs the forward pass (2 FLOPs per weight) and the backward pass (4): 6N, not 2N", code='''
def flops_per_token(config):
    L, T, d = config["n_layer"], config["block_size"], config["d_model"]
    return 2 * 12 * L * d * d + 2 * L * T * d
'''),
    Mistake("flops_all_parameters", "flops_per_token",
            "N in Kaplan's rule is the non-embedding weight matrices, 12 n_layer d_model^2: not every parameter "
            "(embeddings, biases and norms are left out)", code='''
def flops_per_token(config):
    L, T, d = config["n_layer"], config["block_size"], config["d_model"]
    return 6 * count_parameters(config) + 6 * L * T * d
'''),
    # ------------------------------------------------------------ forward_with_cache
    Mistake("cache_positions_from_zero", "forward_with_cache",
            "the new tokens sit at positions T_past, T_past + 1, ...: offset the position embedding by the "
            "cache's length", code=edited(FORWARD_WITH_CACHE, ("torch.arange(past, past + T)", "torch.arange(T)"))),
    Mistake("cache_is_causal_top_left", "forward_with_cache",
            "is_causal=True aligns the triangle to the top left (query i sees keys <= i): with a cache, query i is at "
            "position T_past + i; pass tril(diagonal=T_past) as attn_mask",
            code=edited(FORWARD_WITH_CACHE, ("attn_mask=mask", "is_causal=True"))),
    Mistake("cache_past_appended_twice", "forward_with_cache",
            "k already holds the past after torch.cat: store it as it is; your cache repeats the past keys and "
            "values", code=edited(FORWARD_WITH_CACHE, (
                "new_cache.append((k, v))",
                "new_cache.append((k, v) if cache is None else (torch.cat([cache[layer][0], k], dim=2), "
                "torch.cat([cache[layer][1], v], dim=2)))"))),
    Mistake("cache_keeps_only_new", "forward_with_cache",
            "return the whole cache, past and new positions (torch.cat along the time axis), not the new keys alone",
            code=edited(FORWARD_WITH_CACHE, ("        new_cache.append((k, v))\n", ""),
                        ("        if cache is not None:",
                         "        new_cache.append((k, v))\n        if cache is not None:"))),
    Mistake("cache_updated_in_place", "forward_with_cache",
            "return a new list: writing the new (k, v) into the caller's cache changes a cache someone may still use",
            code='''
def forward_with_cache(model, idx, cache=None):
    B, T = idx.shape
    past = 0 if cache is None else cache[0][0].size(2)
    x = model.drop(model.tok_emb(idx) + model.pos_emb(torch.arange(past, past + T)))
    C = x.size(-1)
    mask = torch.ones(T, past + T, dtype=torch.bool).tril(diagonal=past)
    cache = [] if cache is None else cache
    for layer, block in enumerate(model.blocks):
        attn = block.attn
        q, k, v = attn.qkv(block.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, attn.n_head, C // attn.n_head).transpose(1, 2) for t in (q, k, v))
        if layer < len(cache):
            cache[layer] = (torch.cat([cache[layer][0], k], dim=2), torch.cat([cache[layer][1], v], dim=2))
        else:
            cache.append((k, v))
        k, v = cache[layer]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(B, T, C)
        x = x + attn.resid_drop(attn.proj(y))
        x = x + block.mlp(block.ln2(x))
    return model.lm_head(model.ln_f(x)), cache
'''),
    # ------------------------------------------------------------ generate_with_cache
    Mistake("generate_cache_sliding_window", "generate_with_cache",
            "with learned absolute positions a full cache cannot slide: dropping its oldest position leaves every "
            "cached key computed at its old position; start again on idx[:, -block_size:] with no cache",
            code=edited(GENERATE_WITH_CACHE, ("            cache, new = None, idx[:, -model.block_size:]\n",
                                              "            cache = [(k[:, :, 1:], v[:, :, 1:]) for k, v in cache]\n"))),
    Mistake("generate_cache_not_kept", "generate_with_cache",
            "keep the cache forward_with_cache returns (logits, cache = ...): feeding the prompt's cache every step "
            "forgets every token generated since", code='''
@torch.no_grad()
def generate_with_cache(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    logits, cache = forward_with_cache(model, idx[:, -model.block_size:])
    for _ in range(max_new_tokens):
        new = sample_next_token(logits[:, -1, :], temperature, top_k, top_p, generator)
        idx = torch.cat([idx, new], dim=1)
        if idx.size(1) > model.block_size:
            logits, cache = forward_with_cache(model, idx[:, -model.block_size:])
        else:
            logits, _ = forward_with_cache(model, new, cache)
    return idx
'''),
    Mistake("generate_cache_first_position", "generate_with_cache",
            "sample from the logits of the last position (logits[:, -1]): after the prompt, position 0 predicts the "
            "prompt's second token", code=edited(GENERATE_WITH_CACHE, ("logits[:, -1, :]", "logits[:, 0, :]"))),
    Mistake("generate_cache_sampling_defaults", "generate_with_cache",
            "pass temperature, top_k, top_p and the generator on to sample_next_token",
            code=edited(GENERATE_WITH_CACHE,
                        ("temperature, top_k, top_p, generator)", "temperature, generator=generator)"))),
    # ------------------------------------------------------------ merge_pair
    Mistake("merge_pair_overlapping_twice", "merge_pair",
            "after a match, skip both ids (i += 2): merging (a, a) in [a, a, a] gives [new, a], not [new, new]",
            code='''
def merge_pair(ids, pair, new_id):
    out = []
    for i in range(len(ids)):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
        elif i == 0 or (ids[i - 1], ids[i]) != pair:
            out.append(ids[i])
    return out
'''),
    Mistake("merge_pair_first_only", "merge_pair",
            "replace every occurrence of the pair, not the first one only", code='''
def merge_pair(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == pair:
            return ids[:i] + [new_id] + ids[i + 2:]
    return list(ids)
'''),
    Mistake("merge_pair_drops_last", "merge_pair",
            "the last id has no right neighbour, but it still belongs to the result", code='''
def merge_pair(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
'''),
    Mistake("merge_pair_in_place", "merge_pair",
            "build a new list: merging in place changes the caller's ids (a pre-token's bytes, reused later)",
            code='''
def merge_pair(ids, pair, new_id):
    i = 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == pair:
            ids[i:i + 2] = [new_id]
        i += 1
    return ids
'''),
    # ------------------------------------------------------------ train_bpe
    Mistake("train_bpe_ties_first_seen", "train_bpe",
            "max(counts, key=counts.get) breaks ties by which pair was counted first; the rule is the greater pair "
            "of ids: key=lambda p: (counts[p], p)",
            code=edited(TRAIN_BPE_RECOUNT, ("key=lambda p: (counts[p], p)", "key=counts.get"))),
    Mistake("train_bpe_ties_smaller_pair", "train_bpe",
            "ties go to the greater pair of ids here (CS336's rule, on ids): you kept the smaller one (Hugging Face's "
            "rule)", code=edited(TRAIN_BPE_RECOUNT, ("key=lambda p: (counts[p], p)",
                                                     "key=lambda p: (counts[p], -p[0], -p[1])"))),
    Mistake("train_bpe_counts_not_updated", "train_bpe",
            "count the pairs again after every merge (or update the counts): a merge creates new pairs and removes "
            "old ones, so the initial ranking is not the merge order", code='''
def train_bpe(text, vocab_size):
    words = Counter(pretokenize(text))
    counts = Counter()
    for w, n in words.items():
        ids = list(w.encode("utf-8"))
        for pair in zip(ids, ids[1:]):
            counts[pair] += n
    ranked = sorted(counts, key=lambda p: (counts[p], p), reverse=True)
    return ranked[:vocab_size - 256]
'''),
    Mistake("train_bpe_no_pretokenization", "train_bpe",
            "count pairs inside the pre-tokens of pretokenize(text) only: merges must not cross word boundaries "
            "(' t' + 'he' is fine, 'e' + ' ' is not)", code='''
def train_bpe(text, vocab_size):
    ids = list(text.encode("utf-8"))
    merges = []
    for new_id in range(256, vocab_size):
        counts = Counter(zip(ids, ids[1:]))
        if not counts:
            break
        pair = max(counts, key=lambda p: (counts[p], p))
        merges.append(pair)
        ids = merge_pair(ids, pair, new_id)
    return merges
'''),
    Mistake("train_bpe_unweighted", "train_bpe",
            "weight each pre-token's pairs by how often the pre-token occurs: ' the' 500 times counts 500 times",
            code='''
def train_bpe(text, vocab_size):
    pieces = [list(w.encode("utf-8")) for w in set(pretokenize(text))]
    merges = []
    for new_id in range(256, vocab_size):
        counts = Counter(pair for ids in pieces for pair in zip(ids, ids[1:]))
        if not counts:
            break
        pair = max(counts, key=lambda p: (counts[p], p))
        merges.append(pair)
        pieces = [merge_pair(ids, pair, new_id) for ids in pieces]
    return merges
'''),
    # ------------------------------------------------------------ bpe_encode
    Mistake("bpe_encode_no_pretokenization", "bpe_encode",
            "encode each pre-token of pretokenize(text) on its own, as in training: merges never cross their "
            "boundaries", code='''
def bpe_encode(text, merges):
    ids = list(text.encode("utf-8"))
    for i, pair in enumerate(merges):
        ids = merge_pair(ids, pair, 256 + i)
    return ids
'''),
    Mistake("bpe_encode_latest_merge_first", "bpe_encode",
            "apply the merges in the order they were learned: the pair with the lowest merge index first (min, not "
            "max)", code='''
def bpe_encode(text, merges):
    rank = {pair: i for i, pair in enumerate(merges)}
    ids = []
    for word in pretokenize(text):
        w = list(word.encode("utf-8"))
        while len(w) >= 2:
            learned = [p for p in zip(w, w[1:]) if p in rank]
            if not learned:
                break
            pair = max(learned, key=rank.get)
            w = merge_pair(w, pair, 256 + rank[pair])
        ids.extend(w)
    return ids
'''),
    Mistake("bpe_encode_code_points", "bpe_encode",
            "start from the UTF-8 bytes (word.encode('utf-8')), not the characters' code points: é is two bytes, "
            "and code points from 256 on collide with merged tokens", code='''
def bpe_encode(text, merges):
    ids = []
    for word in pretokenize(text):
        w = [ord(c) for c in word]
        for i, pair in enumerate(merges):
            w = merge_pair(w, pair, 256 + i)
        ids.extend(w)
    return ids
'''),
    Mistake("bpe_encode_most_frequent_first", "bpe_encode",
            "encoding replays the learned merges in their order; it does not pick the most frequent pair of the text "
            "being encoded", code='''
def bpe_encode(text, merges):
    rank = {pair: i for i, pair in enumerate(merges)}
    pieces = [list(w.encode("utf-8")) for w in pretokenize(text)]
    while True:
        counts = Counter(p for w in pieces for p in zip(w, w[1:]) if p in rank)
        if not counts:
            break
        pair = max(counts, key=lambda p: (counts[p], p))
        pieces = [merge_pair(w, pair, 256 + rank[pair]) for w in pieces]
    return [i for w in pieces for i in w]
'''),
    # ------------------------------------------------------------ bpe_decode
    Mistake("bpe_decode_per_token", "bpe_decode",
            "join the bytes of all the tokens before decoding: a character of several bytes can be split between "
            "two tokens, and neither half decodes alone", code='''
def bpe_decode(ids, merges):
    vocab = token_bytes(merges)
    return "".join(vocab[i].decode("utf-8", errors="replace") for i in ids)
'''),
    Mistake("bpe_decode_errors_ignore", "bpe_decode",
            "errors='replace', not 'ignore': an invalid byte must show as U+FFFD, not vanish", code='''
def bpe_decode(ids, merges):
    vocab = token_bytes(merges)
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="ignore")
'''),
    Mistake("bpe_decode_latin1", "bpe_decode",
            "the bytes are UTF-8: decoding them as Latin-1 turns é into Ã©", code='''
def bpe_decode(ids, merges):
    vocab = token_bytes(merges)
    return b"".join(vocab[i] for i in ids).decode("latin-1")
'''),
    Mistake("bpe_decode_pair_reversed", "bpe_decode",
            "token 256 + i is the bytes of a followed by the bytes of b, for merges[i] = (a, b)", code='''
def bpe_decode(ids, merges):
    vocab = {i: bytes([i]) for i in range(256)}
    for i, (a, b) in enumerate(merges):
        vocab[256 + i] = vocab[b] + vocab[a]
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")
'''),
]
