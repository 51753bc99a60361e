"""Accepted variants for week 6: correct implementations written the way learners write them.

Each `code` runs in the reference notebook's namespace (math, torch, nn, F and the reference
functions are defined there) and replaces one function; a module keeps its given __init__
(`class X(X)`) and gets another forward. `coursekit validate` requires every one to earn full marks:
a check that penalises one of them is wrong, not the variant. Never released.
"""

from coursekit.checks import Variant

ATTENTION_VARIANTS = [
    Variant("attention_fill_minus_1e9", "scaled_dot_product_attention",
            style="torch.matmul, masked_fill(mask == 0, -1e9), F.softmax (the Annotated Transformer)", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    d_k = k.size(-1)
    scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, -1e9)
    p_attn = F.softmax(scores, dim=-1)
    return torch.matmul(p_attn, v), p_attn
'''),
    Variant("attention_einsum_where_manual_softmax", "scaled_dot_product_attention",
            style="scales q first, einsum scores, torch.where with -inf, softmax written out with the max "
                  "subtracted", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    q = q / q.shape[-1] ** 0.5
    scores = torch.einsum("...qd,...kd->...qk", q, k)
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(float("-inf")))
    scores = scores - scores.amax(dim=-1, keepdim=True)
    e = scores.exp()
    weights = e / e.sum(dim=-1, keepdim=True)
    return torch.einsum("...qk,...kd->...qd", weights, v), weights
'''),
    Variant("attention_float_additive_mask", "scaled_dot_product_attention",
            style="a float32 additive mask (0 or -1e9) added to the scores, k.mT, torch.softmax", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.mT * q.shape[-1] ** -0.5
    if mask is not None:
        scores = scores + (~mask).float() * -1e9
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
'''),
]

MASK_VARIANTS = [
    Variant("causal_mask_arange", "causal_mask", style="compares position indices", code='''
def causal_mask(T):
    return torch.arange(T)[:, None] >= torch.arange(T)[None, :]
'''),
    Variant("causal_mask_not_triu", "causal_mask", style="negates the strictly upper triangle", code='''
def causal_mask(T):
    return ~torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
'''),
    Variant("causal_mask_float_tril_bool", "causal_mask", style="a float tril cast to bool", code='''
def causal_mask(T):
    return torch.tril(torch.ones(T, T)).bool()
'''),
    Variant("padding_mask_loop", "padding_mask", style="fills a zero mask row by row", code='''
def padding_mask(lengths, T):
    mask = torch.zeros(len(lengths), 1, 1, T, dtype=torch.bool)
    for b, n in enumerate(lengths.tolist()):
        mask[b, :, :, :n] = True
    return mask
'''),
    Variant("padding_mask_expand_unsqueeze", "padding_mask", style="expand, compare, unsqueeze twice", code='''
def padding_mask(lengths, T):
    positions = torch.arange(T).expand(len(lengths), T)
    return (positions < lengths.unsqueeze(1)).unsqueeze(1).unsqueeze(1)
'''),
    Variant("padding_mask_view", "padding_mask", style="lengths on the left, view(-1, 1, 1, T)", code='''
def padding_mask(lengths, T):
    return (lengths[:, None] > torch.arange(T)).view(-1, 1, 1, T)
'''),
]

POSITION_VARIANTS = [
    Variant("positional_encoding_exp_log_float32", "sinusoidal_positional_encoding",
            style="float32 throughout, div_term = exp(-log(10000) 2i / d) (the PyTorch tutorial)", code='''
def sinusoidal_positional_encoding(T, d_model):
    pe = torch.zeros(T, d_model)
    position = torch.arange(0, T, dtype=torch.float).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe
'''),
    Variant("positional_encoding_loops", "sinusoidal_positional_encoding",
            style="two Python loops with math.sin and math.cos", code='''
def sinusoidal_positional_encoding(T, d_model):
    pe = torch.zeros(T, d_model)
    for pos in range(T):
        for i in range(0, d_model, 2):
            angle = pos / (10000 ** (i / d_model))
            pe[pos, i] = math.sin(angle)
            pe[pos, i + 1] = math.cos(angle)
    return pe
'''),
    Variant("positional_encoding_outer_stack", "sinusoidal_positional_encoding",
            style="torch.outer of positions and frequencies, sin and cos stacked then flattened", code='''
def sinusoidal_positional_encoding(T, d_model):
    freqs = 1.0 / torch.pow(10000.0, torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    angles = torch.outer(torch.arange(T, dtype=torch.float32), freqs)
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)
'''),
]

LAYERNORM_VARIANTS = [
    Variant("layernorm_var_rsqrt", "LayerNorm", style="x.var(unbiased=False) and torch.rsqrt", code='''
class LayerNorm(LayerNorm):
    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        var = x.var(-1, unbiased=False, keepdim=True)
        return self.weight * (x - mean) * torch.rsqrt(var + self.eps) + self.bias
'''),
    Variant("layernorm_var_mean", "LayerNorm", style="torch.var_mean(correction=0), sqrt as a method", code='''
class LayerNorm(LayerNorm):
    def forward(self, x):
        var, mean = torch.var_mean(x, dim=-1, correction=0, keepdim=True)
        x_hat = (x - mean) / (var + self.eps).sqrt()
        return x_hat * self.weight + self.bias
'''),
    Variant("layernorm_functional", "LayerNorm", style="the library call F.layer_norm with the module's parameters",
            code='''
class LayerNorm(LayerNorm):
    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)
'''),
]

MHA_VARIANTS = [
    Variant("mha_unflatten_permute", "MultiHeadAttention",
            style="unflatten/permute to split the heads, permute/flatten to merge them", code='''
class MultiHeadAttention(MultiHeadAttention):
    def forward(self, x_q, x_kv, mask=None):
        def split(t):
            return t.unflatten(-1, (self.n_heads, self.d_head)).permute(0, 2, 1, 3)

        q, k, v = split(self.q_proj(x_q)), split(self.k_proj(x_kv)), split(self.v_proj(x_kv))
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(out.permute(0, 2, 1, 3).flatten(-2)), weights
'''),
    Variant("mha_fused_kv_projection", "MultiHeadAttention",
            style="one F.linear for k and v with the weights concatenated, chunk, contiguous().view to merge",
            code='''
class MultiHeadAttention(MultiHeadAttention):
    def forward(self, x_q, x_kv, mask=None):
        B, Tq, D = x_q.size()
        Tk = x_kv.size(1)
        w_kv = torch.cat([self.k_proj.weight, self.v_proj.weight], dim=0)
        b_kv = torch.cat([self.k_proj.bias, self.v_proj.bias], dim=0)
        k, v = F.linear(x_kv, w_kv, b_kv).chunk(2, dim=-1)
        q = self.q_proj(x_q).reshape(B, Tq, self.n_heads, -1).transpose(1, 2)
        k = k.reshape(B, Tk, self.n_heads, -1).transpose(1, 2)
        v = v.reshape(B, Tk, self.n_heads, -1).transpose(1, 2)
        out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
        out = out.transpose(1, 2).contiguous().view(B, Tq, D)
        return self.out_proj(out), weights
'''),
    Variant("mha_loop_over_heads", "MultiHeadAttention",
            style="a Python loop over heads slicing the projections, torch.cat and torch.stack", code='''
class MultiHeadAttention(MultiHeadAttention):
    def forward(self, x_q, x_kv, mask=None):
        q, k, v = self.q_proj(x_q), self.k_proj(x_kv), self.v_proj(x_kv)
        outs, maps = [], []
        for h in range(self.n_heads):
            part = slice(h * self.d_head, (h + 1) * self.d_head)
            head = [t[:, :, part].unsqueeze(1) for t in (q, k, v)]  # (B, 1, T, d_head): the mask broadcasts
            out, weights = scaled_dot_product_attention(*head, mask)
            outs.append(out.squeeze(1))
            maps.append(weights)
        return self.out_proj(torch.cat(outs, dim=-1)), torch.cat(maps, dim=1)
'''),
]

BLOCK_VARIANTS = [
    Variant("encoder_explicit_sublayers", "EncoderBlock",
            style="unpacks (out, _), calls ln1 twice, applies the MLP's layers with F.gelu", code='''
class EncoderBlock(EncoderBlock):
    def forward(self, x, src_mask=None):
        attn_out, _ = self.attn(self.ln1(x), self.ln1(x), src_mask)
        x = x + attn_out
        h = self.mlp[2](F.gelu(self.mlp[0](self.ln2(x))))
        return x + h
'''),
    Variant("encoder_residual_names", "EncoderBlock", style="residual = x, reassigns x, mask as a keyword", code='''
class EncoderBlock(EncoderBlock):
    def forward(self, x, src_mask=None):
        residual = x
        x = self.ln1(x)
        x, _ = self.attn(x, x, mask=src_mask)
        x = residual + x
        residual = x
        x = self.mlp(self.ln2(x))
        return residual + x
'''),
    Variant("decoder_inline_tril", "DecoderBlock",
            style="builds its own float tril mask cast to bool, keyword arguments", code='''
class DecoderBlock(DecoderBlock):
    def forward(self, x, memory, src_mask=None):
        T = x.size(1)
        causal = torch.tril(torch.ones(T, T, device=x.device)).bool()
        h = self.ln1(x)
        x = x + self.self_attn(h, h, mask=causal)[0]
        x = x + self.cross_attn(self.ln2(x), memory, mask=src_mask)[0]
        return x + self.mlp(self.ln3(x))
'''),
    Variant("decoder_4d_future_mask", "DecoderBlock",
            style="a (1, 1, T, T) mask from the negated strict upper triangle, unpacked sublayer outputs", code='''
class DecoderBlock(DecoderBlock):
    def forward(self, x, memory, src_mask=None):
        T = x.shape[1]
        future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        h = self.ln1(x)
        a, _ = self.self_attn(h, h, (~future)[None, None])
        x = x + a
        c, _ = self.cross_attn(self.ln2(x), memory, src_mask)
        x = x + c
        return x + self.mlp(self.ln3(x))
'''),
]

MODEL_VARIANTS = [
    Variant("seq2seq_unsqueeze_pow", "Seq2SeqTransformer",
            style="d_model ** 0.5, pos[:T].unsqueeze(0), final norms on separate lines", code='''
class Seq2SeqTransformer(Seq2SeqTransformer):
    def encode(self, src, src_mask=None):
        T = src.size(1)
        x = self.src_embed(src) * self.d_model ** 0.5 + self.pos[:T].unsqueeze(0)
        for layer in self.encoder:
            x = layer(x, src_mask)
        x = self.enc_norm(x)
        return x

    def decode(self, tgt, memory, src_mask=None):
        T = tgt.size(1)
        y = self.tgt_embed(tgt) * self.d_model ** 0.5 + self.pos[:T].unsqueeze(0)
        for layer in self.decoder:
            y = layer(y, memory, src_mask=src_mask)
        y = self.dec_norm(y)
        logits = self.lm_head(y)
        return logits
'''),
    Variant("seq2seq_index_positions", "Seq2SeqTransformer",
            style="indexes pos with arange, scales by sqrt of embedding_dim as a tensor", code='''
class Seq2SeqTransformer(Seq2SeqTransformer):
    def _embed(self, embedding, tokens):
        scale = torch.sqrt(torch.tensor(float(embedding.embedding_dim)))
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        return embedding(tokens) * scale + self.pos[positions]

    def encode(self, src, src_mask=None):
        x = self._embed(self.src_embed, src)
        for block in self.encoder:
            x = block(x, src_mask)
        return self.enc_norm(x)

    def decode(self, tgt, memory, src_mask=None):
        y = self._embed(self.tgt_embed, tgt)
        for block in self.decoder:
            y = block(y, memory, src_mask)
        return self.lm_head(self.dec_norm(y))
'''),
]

DECODING_VARIANTS = [
    Variant("greedy_preallocated_where", "greedy_decode",
            style="a preallocated token buffer filled column by column, torch.where for finished rows", code='''
@torch.no_grad()
def greedy_decode(model, src, max_len, bos_id, eos_id, src_lengths=None):
    B = src.size(0)
    src_mask = padding_mask(src_lengths, src.size(1)) if src_lengths is not None else None
    memory = model.encode(src, src_mask)
    ys = torch.full((B, max_len + 1), bos_id, dtype=torch.long)
    finished = torch.zeros(B, dtype=torch.bool)
    for t in range(1, max_len + 1):
        logits = model.decode(ys[:, :t], memory, src_mask)
        tok = logits[:, -1, :].argmax(-1)
        tok = torch.where(finished, torch.full_like(tok, eos_id), tok)
        ys[:, t] = tok
        finished = finished | (tok == eos_id)
    return ys[:, 1:]
'''),
    Variant("greedy_forward_then_cut_at_eos", "greedy_decode",
            style="calls model(src, ys, src_lengths) each step, a Python list of steps, EOS written over "
                  "everything after a row's first EOS at the end", code='''
def greedy_decode(model, src, max_len, bos_id, eos_id, src_lengths=None):
    ys = torch.full((src.shape[0], 1), bos_id)
    steps = []
    for _ in range(max_len):
        next_token = model(src, ys, src_lengths)[:, -1].argmax(dim=-1)
        steps.append(next_token)
        ys = torch.cat([ys, next_token.unsqueeze(1)], dim=1)
    out = torch.stack(steps, dim=1)
    ended_before = (out == eos_id).long().cumsum(dim=1) - (out == eos_id).long() > 0
    return out.masked_fill(ended_before, eos_id)
'''),
]

ROPE_VARIANTS = [
    Variant("rope_complex_numbers", "apply_rope",
            style="pairs as complex numbers: torch.view_as_complex, times torch.polar(1, angle) (Meta's Llama code)",
            code='''
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    freqs = 1.0 / base ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = torch.outer(positions.double(), freqs)
    rotation = torch.polar(torch.ones_like(angles), angles)  # (T, d/2) complex: cos + i sin
    pairs = torch.view_as_complex(x.double().reshape(*x.shape[:-1], d // 2, 2))
    return torch.view_as_real(pairs * rotation).flatten(-2).to(x.dtype)
'''),
    Variant("rope_cos_sin_cache_rotate_every_two", "apply_rope",
            style="a cos/sin cache built once for positions 0..max and indexed by positions, repeat_interleave, "
                  "and GPT-J's rotate_every_two in float32 arithmetic", code='''
def rope_cache(n_positions, d, base):
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2).float() / d))
    angles = torch.arange(n_positions).float()[:, None] * inv_freq[None, :]
    return angles.cos().repeat_interleave(2, dim=-1), angles.sin().repeat_interleave(2, dim=-1)


def rotate_every_two(x):
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((-x2, x1), dim=-1).flatten(-2)


def apply_rope(x, positions, base=10000.0):
    cos, sin = rope_cache(int(positions.max()) + 1, x.shape[-1], base)
    cos, sin = cos[positions].to(x.dtype), sin[positions].to(x.dtype)
    return x * cos + rotate_every_two(x) * sin
'''),
    Variant("rope_rotation_matrices", "apply_rope",
            style="the paper's block-diagonal rotation matrix R(position) built explicitly, applied with einsum",
            code='''
def apply_rope(x, positions, base=10000.0):
    T, d = x.shape[-2], x.shape[-1]
    R = torch.zeros(T, d, d, dtype=torch.float64)
    for i in range(d // 2):
        theta = base ** (-2 * i / d)
        a = positions.double() * theta
        R[:, 2 * i, 2 * i], R[:, 2 * i, 2 * i + 1] = torch.cos(a), -torch.sin(a)
        R[:, 2 * i + 1, 2 * i], R[:, 2 * i + 1, 2 * i + 1] = torch.sin(a), torch.cos(a)
    return torch.einsum("tij,...tj->...ti", R.to(x.dtype), x)
'''),
]

VARIANTS = (ATTENTION_VARIANTS + MASK_VARIANTS + POSITION_VARIANTS + LAYERNORM_VARIANTS + MHA_VARIANTS
            + BLOCK_VARIANTS + MODEL_VARIANTS + DECODING_VARIANTS + ROPE_VARIANTS)
