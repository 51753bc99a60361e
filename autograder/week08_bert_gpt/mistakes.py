"""Known wrong implementations for week 8. Each `code` runs in the reference notebook's namespace
(torch, F, nn, math and the reference functions are defined there) and replaces one function."""

from coursekit.checks import Mistake

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
]
