"""Accepted variants for week 8: correct implementations written the way learners write them.

Each `code` runs in the reference notebook's namespace (math, torch, nn, F and the reference
functions are defined there) and replaces one function; a module keeps its given __init__
(`class X(X)`) and gets another forward. `coursekit validate` requires every one to earn full marks:
a check that penalises one of them is wrong, not the variant. Never released.
"""

from coursekit.checks import Variant

DATA_VARIANTS = [
    Variant("get_batch_arange_index", "get_batch",
            style="one (B, T) index tensor from ix[:, None] + arange, fancy indexing for x and y", code='''
def get_batch(data, block_size, batch_size, generator=None):
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    offsets = ix[:, None] + torch.arange(block_size)
    return data[offsets], data[offsets + 1]
'''),
    Variant("get_batch_unfold", "get_batch", style="every window of block_size + 1 via unfold, then sliced", code='''
def get_batch(data, block_size, batch_size, generator=None):
    windows = data.unfold(0, block_size + 1, 1)  # (len(data) - block_size, block_size + 1)
    ix = torch.randint(windows.size(0), (batch_size,), generator=generator)
    chunk = windows[ix]
    return chunk[:, :-1], chunk[:, 1:]
'''),
    Variant("get_batch_preallocated_long", "get_batch",
            style="preallocated torch.long buffers filled row by row", code='''
def get_batch(data, block_size, batch_size, generator=None):
    starts = torch.randint(0, len(data) - block_size, size=(batch_size,), generator=generator)
    x = torch.empty((batch_size, block_size), dtype=torch.long)
    y = torch.empty((batch_size, block_size), dtype=torch.long)
    for row, start in enumerate(starts):
        x[row] = data[start : start + block_size]
        y[row] = data[start + 1 : start + block_size + 1]
    return x, y
'''),
    Variant("causal_lm_loss_transpose", "causal_lm_loss",
            style="F.cross_entropy on (B, V, T-1) logits, no flattening", code='''
def causal_lm_loss(logits, ids):
    return F.cross_entropy(logits[:, :-1].transpose(1, 2), ids[:, 1:])
'''),
    Variant("causal_lm_loss_hf_shift", "causal_lm_loss",
            style="Hugging Face's shift_logits / shift_labels with contiguous().view", code='''
def causal_lm_loss(logits, ids):
    shift_logits = logits[..., :-1, :].contiguous()
    shift_labels = ids[..., 1:].contiguous()
    return F.cross_entropy(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1))
'''),
    Variant("causal_lm_loss_log_softmax_gather", "causal_lm_loss",
            style="log_softmax written out with gather and a mean", code='''
def causal_lm_loss(logits, ids):
    log_probs = F.log_softmax(logits[:, :-1], dim=-1)
    target_log_probs = log_probs.gather(2, ids[:, 1:].unsqueeze(2)).squeeze(2)
    return -target_log_probs.mean()
'''),
]

BERT_DATA_VARIANTS = [
    Variant("mask_tokens_clone_and_assign", "mask_tokens",
            style="a loop over the special ids, clones of ids written through boolean indexing", code='''
def mask_tokens(ids, special_ids, vocab_size, mask_id, mask_prob=0.15, generator=None):
    special = torch.zeros_like(ids, dtype=torch.bool)
    for s in special_ids:
        special |= ids == s
    chosen = (torch.rand(ids.shape, generator=generator) < mask_prob) & ~special
    u = torch.rand(ids.shape, generator=generator)
    random_tokens = torch.randint(vocab_size, ids.shape, generator=generator)
    labels = ids.clone()
    labels[~chosen] = -100
    inputs = ids.clone()
    inputs[chosen & (u < 0.8)] = mask_id
    swap = chosen & (u >= 0.8) & (u < 0.9)
    inputs[swap] = random_tokens[swap]
    return inputs, labels
'''),
    Variant("mask_tokens_nested_where", "mask_tokens",
            style="torch.tensor(special_ids) with isin, nested torch.where with Python scalars", code='''
def mask_tokens(ids, special_ids, vocab_size, mask_id, mask_prob=0.15, generator=None):
    probs = torch.rand(ids.size(), generator=generator)
    selected = (probs < mask_prob) & ~torch.isin(ids, torch.tensor(list(special_ids)))
    action = torch.rand(ids.size(), generator=generator)
    replacement = torch.randint(0, vocab_size, ids.size(), generator=generator)
    inputs = torch.where(selected & (action < 0.8), mask_id,
                         torch.where(selected & (action < 0.9) & (action >= 0.8), replacement, ids))
    labels = torch.where(selected, ids, -100)
    return inputs, labels
'''),
    Variant("masked_lm_loss_default_ignore_index", "masked_lm_loss",
            style="relies on F.cross_entropy's default ignore_index (-100), view instead of reshape", code='''
def masked_lm_loss(logits, labels):
    B, T, V = logits.shape
    return F.cross_entropy(logits.view(B * T, V), labels.view(B * T))
'''),
    Variant("masked_lm_loss_explicit_mask", "masked_lm_loss",
            style="selects the predicted positions with a boolean mask first", code='''
def masked_lm_loss(logits, labels):
    predicted = labels != -100
    return F.cross_entropy(logits[predicted], labels[predicted])
'''),
    Variant("masked_lm_loss_manual_mean", "masked_lm_loss",
            style="log_softmax and gather at clamped labels, a masked sum divided by the count", code='''
def masked_lm_loss(logits, labels):
    mask = (labels != -100).to(logits.dtype)
    log_probs = torch.log_softmax(logits, dim=-1)
    nll = -log_probs.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (nll * mask).sum() / mask.sum()
'''),
    Variant("masked_lm_loss_transpose", "masked_lm_loss",
            style="F.cross_entropy on (B, V, T) logits with ignore_index given", code='''
def masked_lm_loss(logits, labels):
    return F.cross_entropy(logits.permute(0, 2, 1), labels, ignore_index=-100)
'''),
]

MODEL_VARIANTS = [
    Variant("gpt_weight_slice_float_mask", "GPT",
            style="pos_emb.weight[:T] sliced, a float additive causal mask (0 / -inf) built with masked_fill",
            code='''
class GPT(GPT):
    def forward(self, idx):
        T = idx.size(1)
        x = self.drop(self.tok_emb(idx) + self.pos_emb.weight[:T])
        future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        mask = torch.zeros(T, T).masked_fill(future, float("-inf"))
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))
'''),
    Variant("gpt_functional_dropout_tied_linear", "GPT",
            style="positions as a (1, T) arange, F.dropout with training=self.training, the negated upper "
                  "triangle, F.linear with the token embedding (the tied head)", code='''
class GPT(GPT):
    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device).unsqueeze(0)
        x = F.dropout(self.tok_emb(idx) + self.pos_emb(pos), p=self.drop.p, training=self.training)
        causal = ~torch.triu(torch.ones(t, t, dtype=torch.bool, device=idx.device), diagonal=1)
        for block in self.blocks:
            x = block(x, mask=causal)
        x = self.ln_f(x)
        return F.linear(x, self.tok_emb.weight)
'''),
    Variant("gpt_float_tril_bool", "GPT",
            style="a float tril cast to bool, embeddings on separate lines, matmul with the embedding's transpose",
            code='''
class GPT(GPT):
    def forward(self, idx):
        T = idx.shape[-1]
        tok = self.tok_emb(idx)
        pos = self.pos_emb(torch.arange(T))
        h = self.drop(tok + pos)
        mask = torch.tril(torch.ones(T, T)).bool()
        for layer in self.blocks:
            h = layer(h, mask)
        h = self.ln_f(h)
        return h @ self.tok_emb.weight.t()
'''),
    Variant("bert_f_linear_head", "BERT", style="pos_emb.weight[:T], F.linear(h, tok_emb.weight, head_bias)", code='''
class BERT(BERT):
    def forward(self, idx):
        T = idx.size(1)
        x = self.drop(self.tok_emb(idx) + self.pos_emb.weight[:T])
        for block in self.blocks:
            x = block(x)
        return F.linear(self.head_transform(self.ln_f(x)), self.tok_emb.weight, self.head_bias)
'''),
    Variant("bert_all_true_mask_explicit_head", "BERT",
            style="an all-True (T, T) mask, the head's dense / GELU / LayerNorm applied one by one, matmul "
                  "with .t()", code='''
class BERT(BERT):
    def forward(self, idx):
        B, T = idx.shape
        positions = torch.arange(T).unsqueeze(0).expand(B, T)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(positions))
        everything = torch.ones(T, T, dtype=torch.bool)
        for block in self.blocks:
            x = block(x, everything)
        x = self.ln_f(x)
        dense, act, norm = self.head_transform
        h = norm(F.gelu(dense(x)))
        return torch.matmul(h, self.tok_emb.weight.t()) + self.head_bias
'''),
]

SAMPLING_VARIANTS = [
    Variant("sample_inverse_cdf_sort", "sample_next_token",
            style="top-k threshold from a sort, top-p on sorted indices, the draw by inverse CDF (searchsorted)",
            code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return torch.argmax(logits, dim=-1, keepdim=True)
    logits = logits / temperature
    V = logits.shape[-1]
    if top_k:
        k = min(top_k, V)
        threshold = logits.sort(dim=-1, descending=True).values[:, k - 1 : k]
        logits = torch.where(logits < threshold, torch.full_like(logits, float("-inf")), logits)
    if top_p is not None:
        sorted_logits, sorted_idx = torch.sort(logits, dim=-1, descending=True)
        sorted_probs = sorted_logits.softmax(dim=-1)
        drop = torch.cumsum(sorted_probs, dim=-1) - sorted_probs >= top_p
        drop_idx = torch.zeros_like(drop).scatter(1, sorted_idx, drop)
        logits = logits.masked_fill(drop_idx, float("-inf"))
    probs = logits.softmax(dim=-1)
    cdf = probs.cumsum(dim=-1)
    u = torch.rand(probs.shape[0], 1, generator=generator, dtype=probs.dtype) * cdf[:, -1:]
    return torch.searchsorted(cdf, u, right=True).clamp(max=V - 1)
'''),
    Variant("sample_hf_warpers", "sample_next_token",
            style="Hugging Face's warpers: topk(...)[0][..., -1, None], top-p with an ascending sort and "
                  "cumulative mass <= 1 - top_p removed, -float('Inf')", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(-1).unsqueeze(-1)
    scores = logits / temperature
    if top_k is not None and top_k > 0:
        top_k = min(top_k, scores.size(-1))
        indices_to_remove = scores < torch.topk(scores, top_k)[0][..., -1, None]
        scores = scores.masked_fill(indices_to_remove, -float("Inf"))
    if top_p is not None:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        sorted_indices_to_remove = cumulative_probs <= (1 - top_p)
        sorted_indices_to_remove[..., -1:] = 0
        indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
        scores = scores.masked_fill(indices_to_remove, -float("Inf"))
    probs = F.softmax(scores, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator)
'''),
    Variant("sample_gumbel_max_minus_1e10", "sample_next_token",
            style="filters with -1e10 instead of -inf, draws by the Gumbel-max trick", code='''
def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.max(dim=-1, keepdim=True).indices
    z = logits / temperature
    if top_k:
        kth = z.topk(min(top_k, z.size(-1)), dim=-1).values.min(dim=-1, keepdim=True).values
        z = z.masked_fill(z < kth, -1e10)
    if top_p is not None:
        p, order = z.softmax(-1).sort(-1, descending=True)
        keep_sorted = p.cumsum(-1) - p < top_p
        keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
        z = torch.where(keep, z, torch.full_like(z, -1e10))
    z = z - z.logsumexp(-1, keepdim=True)
    u = torch.rand(z.shape, generator=generator, dtype=z.dtype)
    gumbel = -torch.log(-torch.log(u))
    return (z + gumbel).argmax(dim=-1, keepdim=True)
'''),
    Variant("generate_nanogpt_style", "generate",
            style="nanoGPT's loop: crops only when too long, keyword arguments, torch.cat of a tuple", code='''
@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    for _ in range(max_new_tokens):
        idx_cond = idx if idx.size(1) <= model.block_size else idx[:, -model.block_size :]
        logits = model(idx_cond)
        logits = logits[:, -1, :]
        idx_next = sample_next_token(logits, temperature=temperature, top_k=top_k, top_p=top_p,
                                     generator=generator)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx
'''),
    Variant("generate_preallocated", "generate",
            style="a preallocated output filled column by column, torch.no_grad() as a context manager", code='''
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    B, T = idx.shape
    out = torch.empty(B, T + max_new_tokens, dtype=idx.dtype)
    out[:, :T] = idx
    with torch.no_grad():
        for t in range(T, T + max_new_tokens):
            context = out[:, max(0, t - model.block_size) : t]
            next_logits = model(context)[:, -1]
            out[:, t] = sample_next_token(next_logits, temperature, top_k, top_p, generator)[:, 0]
    return out
'''),
]

TRAINING_VARIANTS = [
    Variant("cosine_lr_clamped_progress", "cosine_lr",
            style="one clamped progress instead of a branch after max_steps, (1 + cos) / 2", code='''
def cosine_lr(step, warmup, max_steps, max_lr, min_lr):
    if step < warmup:
        return max_lr * (step + 1) / (warmup + 1)
    progress = min((step - warmup) / max(1, max_steps - warmup), 1.0)
    return min_lr + (max_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
'''),
    Variant("cosine_lr_numpy", "cosine_lr", style="numpy's cos and clip, >= max_steps, returns a numpy float",
            code='''
import numpy as np


def cosine_lr(step, warmup, max_steps, max_lr, min_lr):
    if step < warmup:
        return max_lr * (step + 1) / (warmup + 1)
    if step >= max_steps:
        return min_lr
    t = np.clip((step - warmup) / (max_steps - warmup), 0.0, 1.0)
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + np.cos(np.pi * t))
'''),
    Variant("train_step_default_ignore_index", "train_step",
            style="F.cross_entropy's default ignore_index with view(B * T, V), max_norm= keyword, float(loss)",
            code='''
def train_step(model, optimizer, batch, clip):
    model.train()
    x, y = batch
    logits = model(x)
    B, T, V = logits.shape
    loss = F.cross_entropy(logits.view(B * T, V), y.view(B * T))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
    optimizer.step()
    return float(loss)
'''),
    Variant("train_step_explicit_mask", "train_step",
            style="model.zero_grad() first, the -100 positions dropped with a boolean mask, .item() before the step",
            code='''
def train_step(model, optimizer, batch, clip):
    inputs, targets = batch
    model.zero_grad()
    model.train()
    logits = model(inputs)
    keep = targets != -100
    loss = F.cross_entropy(logits[keep], targets[keep])
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    value = loss.item()
    optimizer.step()
    return value
'''),
]

CACHE_BPE_VARIANTS = [
    # ------------------------------------------------------------ count_parameters
    Variant("count_parameters_meta_model", "count_parameters",
            style="builds the GPT on the meta device (no memory) and sums numel; adds the head when untied", code='''
def count_parameters(config, tied=True):
    with torch.device("meta"):
        model = GPT(**config)
    n = sum(p.numel() for p in model.parameters())
    return n if tied else n + config["vocab_size"] * config["d_model"]
'''),
    Variant("count_parameters_closed_form", "count_parameters", style="one closed form, 12 d^2 + 13 d per layer",
            code='''
def count_parameters(config, tied=True):
    V, T, L, d = (config[k] for k in ("vocab_size", "block_size", "n_layer", "d_model"))
    return int(V * d * (1 if tied else 2) + T * d + L * (12 * d**2 + 13 * d) + 2 * d)
'''),
    # ------------------------------------------------------------ flops_per_token
    Variant("flops_three_forwards", "flops_per_token", style="3 x Kaplan's forward 2N + 2 n_layer n_ctx d_attn",
            code='''
def flops_per_token(config):
    d, L, n_ctx = config["d_model"], config["n_layer"], config["block_size"]
    d_attn, d_ff = d, 4 * d
    N = 2 * d * L * (2 * d_attn + d_ff)
    forward = 2 * N + 2 * L * n_ctx * d_attn
    return 3 * forward
'''),
    Variant("flops_table_rows", "flops_per_token", style="Kaplan's Table 1 row by row: qkv, mask, project, MLP",
            code='''
def flops_per_token(config):
    d, L, T = config["d_model"], config["n_layer"], config["block_size"]
    per_layer = 2 * d * 3 * d + 2 * T * d + 2 * d * d + 2 * 2 * d * 4 * d
    return int(3 * L * per_layer)
'''),
    # ------------------------------------------------------------ forward_with_cache
    Variant("forward_with_cache_manual_softmax", "forward_with_cache",
            style="attention written out (scores, -inf mask from position indices, softmax), pos_emb.weight sliced",
            code='''
def forward_with_cache(model, idx, cache=None):
    B, T = idx.shape
    past = cache[0][0].shape[2] if cache else 0
    x = model.drop(model.tok_emb(idx) + model.pos_emb.weight[past:past + T])
    C = x.shape[-1]
    allowed = torch.arange(past + T)[None, :] <= torch.arange(past, past + T)[:, None]  # (T, past + T)
    out = []
    for layer, block in enumerate(model.blocks):
        a = block.attn
        hs = C // a.n_head
        q, k, v = (t.reshape(B, T, a.n_head, hs).permute(0, 2, 1, 3) for t in a.qkv(block.ln1(x)).chunk(3, dim=-1))
        if cache:
            k, v = torch.cat((cache[layer][0], k), 2), torch.cat((cache[layer][1], v), 2)
        out.append((k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hs)
        weights = scores.masked_fill(~allowed, float("-inf")).softmax(-1)
        y = (weights @ v).permute(0, 2, 1, 3).reshape(B, T, C)
        x = x + a.resid_drop(a.proj(y))
        x = x + block.mlp(block.ln2(x))
    return model.lm_head(model.ln_f(x)), out
'''),
    Variant("forward_with_cache_empty_tensors", "forward_with_cache",
            style="an empty cache as zero-length tensors, a float additive mask", code='''
def forward_with_cache(model, idx, cache=None):
    B, T = idx.shape
    C = model.tok_emb.embedding_dim
    if cache is None:
        shape = lambda b: (B, b.attn.n_head, 0, C // b.attn.n_head)
        cache = [(idx.new_zeros(shape(b), dtype=model.tok_emb.weight.dtype),) * 2 for b in model.blocks]
    past = cache[0][0].shape[2]
    positions = torch.arange(past, past + T)
    x = model.drop(model.tok_emb(idx) + model.pos_emb(positions))
    bias = torch.zeros(T, past + T, dtype=x.dtype).masked_fill(
        torch.arange(past + T)[None, :] > positions[:, None], float("-inf"))
    new = []
    for (k_past, v_past), block in zip(cache, model.blocks):
        q, k, v = block.attn.qkv(block.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, block.attn.n_head, -1).transpose(1, 2) for t in (q, k, v))
        k, v = torch.cat([k_past, k], dim=2), torch.cat([v_past, v], dim=2)
        new.append((k, v))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias).transpose(1, 2).reshape(B, T, C)
        x = x + block.attn.resid_drop(block.attn.proj(y))
        x = x + block.mlp(block.ln2(x))
    return model.lm_head(model.ln_f(x)), new
'''),
    # ------------------------------------------------------------ generate_with_cache
    Variant("generate_with_cache_prefill_then_loop", "generate_with_cache",
            style="prefill before the loop, position counter, recompute when the next position has no embedding",
            code='''
@torch.no_grad()
def generate_with_cache(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    context = idx[:, -model.block_size:]
    logits, cache = forward_with_cache(model, context)
    length = context.shape[1]
    for step in range(max_new_tokens):
        token = sample_next_token(logits[:, -1, :], temperature, top_k, top_p, generator)
        idx = torch.cat([idx, token], dim=1)
        if step == max_new_tokens - 1:
            break
        if length < model.block_size:
            logits, cache = forward_with_cache(model, token, cache)
            length += 1
        else:
            logits, cache = forward_with_cache(model, idx[:, -model.block_size:])
    return idx
'''),
    Variant("generate_with_cache_preallocated", "generate_with_cache",
            style="a preallocated output tensor, cache length from the list", code='''
@torch.no_grad()
def generate_with_cache(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None):
    B, T = idx.shape
    out = torch.empty(B, T + max_new_tokens, dtype=idx.dtype)
    out[:, :T] = idx
    cache = None
    for t in range(T, T + max_new_tokens):
        full = cache is not None and cache[0][0].shape[-2] >= model.block_size
        if cache is None or full:
            logits, cache = forward_with_cache(model, out[:, max(0, t - model.block_size):t], None)
        else:
            logits, cache = forward_with_cache(model, out[:, t - 1:t], cache)
        out[:, t:t + 1] = sample_next_token(logits[:, -1], temperature, top_k, top_p, generator)
    return out
'''),
    # ------------------------------------------------------------ merge_pair
    Variant("merge_pair_skip_flag", "merge_pair", style="a for loop with a flag that skips the merged id", code='''
def merge_pair(ids, pair, new_id):
    out, skip = [], False
    for i, x in enumerate(ids):
        if skip:
            skip = False
            continue
        if i < len(ids) - 1 and x == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            skip = True
        else:
            out.append(x)
    return out
'''),
    Variant("merge_pair_pop_stack", "merge_pair", style="looks back at the last output id", code='''
def merge_pair(ids, pair, new_id):
    out, merged_last = [], False
    for x in ids:
        if out and not merged_last and out[-1] == pair[0] and x == pair[1]:
            out[-1] = new_id
            merged_last = True
        else:
            out.append(x)
            merged_last = False
    return out
'''),
    # ------------------------------------------------------------ train_bpe
    Variant("train_bpe_recount", "train_bpe",
            style="counts every pair again after each merge (slow, correct), words with their frequencies", code='''
def train_bpe(text, vocab_size):
    words = Counter(pretokenize(text))
    pieces = {tuple(w.encode("utf-8")): n for w, n in words.items()}
    merges = []
    while len(merges) < vocab_size - 256:
        counts = Counter()
        for ids, n in pieces.items():
            for pair in zip(ids, ids[1:]):
                counts[pair] += n
        if not counts:
            break
        best = max(counts.values())
        pair = max(p for p, c in counts.items() if c == best)
        merges.append(pair)
        merged = Counter()
        for ids, n in pieces.items():
            merged[tuple(merge_pair(list(ids), pair, 255 + len(merges)))] += n
        pieces = merged
    return merges
'''),
    Variant("train_bpe_inline_merge", "train_bpe",
            style="its own merge loop, the counts updated per word, most_common-free selection by sorting", code='''
def train_bpe(text, vocab_size):
    freq = Counter(pretokenize(text))
    words = [[list(w.encode("utf-8")), n] for w, n in freq.items()]
    merges = []
    for new_id in range(256, vocab_size):
        counts = defaultdict(int)
        for ids, n in words:
            for i in range(len(ids) - 1):
                counts[ids[i], ids[i + 1]] += n
        if not counts:
            break
        pair = sorted(counts.items(), key=lambda kv: (-kv[1], -kv[0][0], -kv[0][1]))[0][0]
        merges.append(pair)
        for word in words:
            ids, out, i = word[0], [], 0
            while i < len(ids):
                if ids[i:i + 2] == list(pair):
                    out.append(new_id)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            word[0] = out
    return merges
'''),
    # ------------------------------------------------------------ bpe_encode
    Variant("bpe_encode_every_merge_in_order", "bpe_encode", style="every merge in order over each pre-token",
            code='''
def bpe_encode(text, merges):
    ids = []
    for word in pretokenize(text):
        w = list(word.encode("utf-8"))
        for i, pair in enumerate(merges):
            if len(w) < 2:
                break
            w = merge_pair(w, pair, 256 + i)
        ids += w
    return ids
'''),
    Variant("bpe_encode_minbpe", "bpe_encode", style="minbpe's loop: stats of the pre-token, lowest-ranked pair",
            code='''
def bpe_encode(text, merges):
    ranks = {p: 256 + i for i, p in enumerate(merges)}
    out = []
    for chunk in pretokenize(text):
        ids = list(chunk.encode("utf-8"))
        while len(ids) >= 2:
            stats = set(zip(ids, ids[1:]))
            pair = min(stats, key=lambda p: ranks.get(p, float("inf")))
            if pair not in ranks:
                break
            ids = merge_pair(ids, pair, ranks[pair])
        out.extend(ids)
    return out
'''),
    # ------------------------------------------------------------ bpe_decode
    Variant("bpe_decode_bytearray", "bpe_decode", style="a bytearray extended token by token, bytes.decode defaults",
            code='''
def bpe_decode(ids, merges):
    vocab = token_bytes(merges)
    buffer = bytearray()
    for i in ids:
        buffer.extend(vocab[i])
    return bytes(buffer).decode(errors="replace")
'''),
    Variant("bpe_decode_recursive", "bpe_decode", style="expands each id recursively into bytes, no table",
            code='''
def bpe_decode(ids, merges):
    def expand(i):
        if i < 256:
            return bytes([i])
        a, b = merges[i - 256]
        return expand(a) + expand(b)
    return b"".join(expand(i) for i in ids).decode("utf-8", "replace")
'''),
]

VARIANTS = (DATA_VARIANTS + BERT_DATA_VARIANTS + MODEL_VARIANTS + SAMPLING_VARIANTS + TRAINING_VARIANTS
            + CACHE_BPE_VARIANTS)
