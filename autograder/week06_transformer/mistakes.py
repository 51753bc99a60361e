"""Known wrong implementations for week 6. Each `code` runs in the reference notebook's namespace
(math, torch, nn, F and the reference functions are defined there) and replaces one function;
a module keeps its given __init__ (`class X(X)`) and gets a wrong forward."""

from coursekit.checks import Mistake

ATTENTION_MISTAKES = [
    Mistake("attention_no_scaling", "scaled_dot_product_attention",
            "your scores are not divided by sqrt(d_k): large dot products saturate the softmax", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(dim=-1)
    return weights @ v, weights
'''),
    Mistake("attention_scaled_by_d_k", "scaled_dot_product_attention",
            "divide the scores by sqrt(d_k), not by d_k", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / q.shape[-1]
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(dim=-1)
    return weights @ v, weights
'''),
    Mistake("attention_softmax_wrong_axis", "scaled_dot_product_attention",
            "take the softmax over the keys (dim=-1): each query's weights must sum to 1", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(dim=-2)
    return weights @ v, weights
'''),
    Mistake("attention_mask_after_softmax", "scaled_dot_product_attention",
            "mask the scores before the softmax (fill with -inf); zeroing weights afterwards leaves rows "
            "that do not sum to 1", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = scores.softmax(dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v, weights
'''),
    Mistake("attention_mask_inverted", "scaled_dot_product_attention",
            "True in the mask means 'may attend': fill the scores where the mask is False (~mask)", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    weights = scores.softmax(dim=-1)
    return weights @ v, weights
'''),
    Mistake("attention_mask_fills_zero", "scaled_dot_product_attention",
            "masked scores must become -inf, not 0: a score of 0 still gets weight exp(0) after the softmax",
            code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, 0.0)
    weights = scores.softmax(dim=-1)
    return weights @ v, weights
'''),
    Mistake("attention_softmax_without_max", "scaled_dot_product_attention",
            "subtract each row's largest score before exp() (or use scores.softmax(dim=-1)): in float32, exp() "
            "of scores above ~88 overflows to inf and the weights become NaN", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    e = torch.exp(scores)
    weights = e / e.sum(dim=-1, keepdim=True)
    return weights @ v, weights
'''),
    Mistake("attention_returns_output_only", "scaled_dot_product_attention",
            "return a tuple (output, weights): `return weights @ v, weights`; multi-head attention and the "
            "attention plots need the weights", code='''
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v
'''),
]

MASK_MISTAKES = [
    Mistake("causal_mask_off_by_one", "causal_mask",
            "your causal mask hides the diagonal: a position must be able to attend to itself", code='''
def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).tril(-1)
'''),
    Mistake("causal_mask_sees_next", "causal_mask",
            "your causal mask lets position i see position i + 1: keep only keys j <= i", code='''
def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).tril(1)
'''),
    Mistake("causal_mask_transposed", "causal_mask",
            "your mask is upper-triangular: query i (row) may attend to keys j <= i, the lower triangle",
            code='''
def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).triu()
'''),
    Mistake("causal_mask_float", "causal_mask",
            "return a boolean mask (dtype torch.bool), not 0/1 numbers", code='''
def causal_mask(T):
    return torch.ones(T, T).tril()
'''),
    Mistake("padding_mask_inverted", "padding_mask",
            "True must mark the real tokens (position j < length), not the padding", code='''
def padding_mask(lengths, T):
    return (torch.arange(T) >= lengths[:, None])[:, None, None, :]
'''),
    Mistake("padding_mask_off_by_one", "padding_mask",
            "a sequence of length n has its real tokens at positions 0..n-1: use j < n, not j <= n", code='''
def padding_mask(lengths, T):
    return (torch.arange(T) <= lengths[:, None])[:, None, None, :]
'''),
    Mistake("padding_mask_flat", "padding_mask",
            "return shape (B, 1, 1, T) so the mask broadcasts over heads and queries; a (B, T) mask "
            "lines up with the wrong axes", code='''
def padding_mask(lengths, T):
    return torch.arange(T) < lengths[:, None]
'''),
    Mistake("padding_mask_hides_queries", "padding_mask",
            "the mask hides padding keys, the last axis: shape (B, 1, 1, T), not (B, 1, T, 1)", code='''
def padding_mask(lengths, T):
    return (torch.arange(T) < lengths[:, None])[:, None, :, None]
'''),
]

POSITION_MISTAKES = [
    Mistake("positional_encoding_sin_cos_swapped", "sinusoidal_positional_encoding",
            "sin goes on the even dimensions (0, 2, 4, ...) and cos on the odd ones", code='''
def sinusoidal_positional_encoding(T, d_model):
    angle = torch.arange(T)[:, None] / 10000 ** (torch.arange(0, d_model, 2) / d_model)
    pe = torch.zeros(T, d_model)
    pe[:, 0::2] = torch.cos(angle)
    pe[:, 1::2] = torch.sin(angle)
    return pe
'''),
    Mistake("positional_encoding_wrong_base", "sinusoidal_positional_encoding",
            "the wavelengths grow geometrically with base 10000: angle = pos / 10000^(2i/d_model)", code='''
def sinusoidal_positional_encoding(T, d_model):
    angle = torch.arange(T)[:, None] / 1000 ** (torch.arange(0, d_model, 2) / d_model)
    pe = torch.zeros(T, d_model)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe
'''),
    Mistake("positional_encoding_frequency_per_dim", "sinusoidal_positional_encoding",
            "dimensions 2i and 2i+1 share one frequency 1/10000^(2i/d_model); the cos column uses the "
            "same angle as the sin column before it", code='''
def sinusoidal_positional_encoding(T, d_model):
    angle = torch.arange(T)[:, None] / 10000 ** (torch.arange(d_model) / d_model)
    pe = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, 1::2])
    return pe
'''),
    Mistake("positional_encoding_halves", "sinusoidal_positional_encoding",
            "interleave the columns: sin on even dimensions, cos on odd ones, not sin in the first half "
            "and cos in the second", code='''
def sinusoidal_positional_encoding(T, d_model):
    angle = torch.arange(T)[:, None] / 10000 ** (torch.arange(0, d_model, 2) / d_model)
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)
'''),
    Mistake("positional_encoding_exponent_sign", "sinusoidal_positional_encoding",
            "divide the position by 10000^(2i/d_model): the frequencies must fall as i grows", code='''
def sinusoidal_positional_encoding(T, d_model):
    angle = torch.arange(T)[:, None] * 10000 ** (torch.arange(0, d_model, 2) / d_model)
    pe = torch.zeros(T, d_model)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe
'''),
    Mistake("positional_encoding_float64", "sinusoidal_positional_encoding",
            "return the table as float32 (e.g. pe.float()), as the docstring says: a float64 table makes the "
            "model's activations float64, and its float32 layers then fail with a dtype error", code='''
def sinusoidal_positional_encoding(T, d_model):
    position = torch.arange(T, dtype=torch.float64)[:, None]
    angle = position / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(T, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe
'''),
]

LAYERNORM_MISTAKES = [
    Mistake("layernorm_eps_outside_sqrt", "LayerNorm",
            "eps goes inside the square root: (x - mean) / sqrt(var + eps)", code='''
class LayerNorm(LayerNorm):
    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, unbiased=False, keepdim=True)
        return (x - mean) / (torch.sqrt(var) + self.eps) * self.weight + self.bias
'''),
    Mistake("layernorm_unbiased_variance", "LayerNorm",
            "LayerNorm uses the biased variance (divide by d, unbiased=False), not the sample variance",
            code='''
class LayerNorm(LayerNorm):
    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias
'''),
    Mistake("layernorm_no_affine", "LayerNorm",
            "after normalizing, scale by self.weight and shift by self.bias", code='''
class LayerNorm(LayerNorm):
    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps)
'''),
    Mistake("layernorm_wrong_axis", "LayerNorm",
            "normalize each vector over its features (the last dim), not over the positions", code='''
class LayerNorm(LayerNorm):
    def forward(self, x):
        mean = x.mean(dim=-2, keepdim=True)
        var = x.var(dim=-2, unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias
'''),
    Mistake("layernorm_one_pass_variance", "LayerNorm",
            "compute the variance as the mean of (x - mean)^2: E[x^2] - E[x]^2 cancels catastrophically in "
            "float32 when the mean is large compared with the spread", code='''
class LayerNorm(LayerNorm):
    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = (x * x).mean(dim=-1, keepdim=True) - mean * mean
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias
'''),
]

MHA_MISTAKES = [
    Mistake("mha_split_without_transpose", "MultiHeadAttention",
            "split heads with .view(B, T, n_heads, d_head).transpose(1, 2); reshaping straight to "
            "(B, n_heads, T, d_head) mixes positions and features", code='''
class MultiHeadAttention(MultiHeadAttention):
    def forward(self, x_q, x_kv, mask=None):
        B, Tq, D = x_q.shape
        Tk = x_kv.shape[1]
        q = self.q_proj(x_q).reshape(B, self.n_heads, Tq, self.d_head)
        k = self.k_proj(x_kv).reshape(B, self.n_heads, Tk, self.d_head)
        v = self.v_proj(x_kv).reshape(B, self.n_heads, Tk, self.d_head)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(out.reshape(B, Tq, D)), weights
'''),
    Mistake("mha_merge_without_transpose", "MultiHeadAttention",
            "merge heads with out.transpose(1, 2).reshape(B, Tq, D): reshaping (B, H, Tq, d_head) "
            "directly mixes positions", code='''
class MultiHeadAttention(MultiHeadAttention):
    def forward(self, x_q, x_kv, mask=None):
        B, Tq, D = x_q.shape
        Tk = x_kv.shape[1]
        q = self.q_proj(x_q).view(B, Tq, self.n_heads, self.d_head).transpose(1, 2)
        k = self.k_proj(x_kv).view(B, Tk, self.n_heads, self.d_head).transpose(1, 2)
        v = self.v_proj(x_kv).view(B, Tk, self.n_heads, self.d_head).transpose(1, 2)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(out.reshape(B, Tq, D)), weights
'''),
    Mistake("mha_no_output_projection", "MultiHeadAttention",
            "apply out_proj to the merged heads before returning", code='''
class MultiHeadAttention(MultiHeadAttention):
    def forward(self, x_q, x_kv, mask=None):
        B, Tq, D = x_q.shape
        Tk = x_kv.shape[1]
        q = self.q_proj(x_q).view(B, Tq, self.n_heads, self.d_head).transpose(1, 2)
        k = self.k_proj(x_kv).view(B, Tk, self.n_heads, self.d_head).transpose(1, 2)
        v = self.v_proj(x_kv).view(B, Tk, self.n_heads, self.d_head).transpose(1, 2)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        return out.transpose(1, 2).reshape(B, Tq, D), weights
'''),
    Mistake("mha_keys_from_queries", "MultiHeadAttention",
            "keys and values come from x_kv (k_proj(x_kv), v_proj(x_kv)); only the queries come from x_q",
            code='''
class MultiHeadAttention(MultiHeadAttention):
    def forward(self, x_q, x_kv, mask=None):
        B, Tq, D = x_q.shape
        q = self.q_proj(x_q).view(B, Tq, self.n_heads, self.d_head).transpose(1, 2)
        k = self.k_proj(x_q).view(B, Tq, self.n_heads, self.d_head).transpose(1, 2)
        v = self.v_proj(x_q).view(B, Tq, self.n_heads, self.d_head).transpose(1, 2)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(out.transpose(1, 2).reshape(B, Tq, D)), weights
'''),
    Mistake("mha_returns_output_only", "MultiHeadAttention",
            "return a tuple (output, weights): the blocks take [0] and the attention maps read the weights",
            code='''
class MultiHeadAttention(MultiHeadAttention):
    def forward(self, x_q, x_kv, mask=None):
        B, Tq, D = x_q.shape
        Tk = x_kv.shape[1]
        q = self.q_proj(x_q).view(B, Tq, self.n_heads, self.d_head).transpose(1, 2)
        k = self.k_proj(x_kv).view(B, Tk, self.n_heads, self.d_head).transpose(1, 2)
        v = self.v_proj(x_kv).view(B, Tk, self.n_heads, self.d_head).transpose(1, 2)
        out, _ = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(out.transpose(1, 2).reshape(B, Tq, D))
'''),
]

BLOCK_MISTAKES = [
    Mistake("encoder_post_norm", "EncoderBlock",
            "this block is pre-norm: x + attn(ln1(x)), then x + mlp(ln2(x)); you normalize after "
            "the residual sum (post-norm)", code='''
class EncoderBlock(EncoderBlock):
    def forward(self, x, src_mask=None):
        x = self.ln1(x + self.attn(x, x, src_mask)[0])
        return self.ln2(x + self.mlp(x))
'''),
    Mistake("encoder_missing_attention_residual", "EncoderBlock",
            "add the attention output to its input (x = x + attn(...)): the residual is missing", code='''
class EncoderBlock(EncoderBlock):
    def forward(self, x, src_mask=None):
        h = self.ln1(x)
        x = self.attn(h, h, src_mask)[0]
        return x + self.mlp(self.ln2(x))
'''),
    Mistake("encoder_missing_mlp_residual", "EncoderBlock",
            "add the MLP output to its input (x = x + mlp(ln2(x))): the residual is missing", code='''
class EncoderBlock(EncoderBlock):
    def forward(self, x, src_mask=None):
        h = self.ln1(x)
        x = x + self.attn(h, h, src_mask)[0]
        return self.mlp(self.ln2(x))
'''),
    Mistake("encoder_ignores_mask", "EncoderBlock",
            "pass src_mask to the self-attention: real tokens must not attend to padding", code='''
class EncoderBlock(EncoderBlock):
    def forward(self, x, src_mask=None):
        h = self.ln1(x)
        x = x + self.attn(h, h)[0]
        return x + self.mlp(self.ln2(x))
'''),
    Mistake("encoder_residual_in_place", "EncoderBlock",
            "write x = x + attn(...), not x += ...: the in-place add changes the caller's tensor (and can "
            "break backward); a block must leave its input unchanged", code='''
class EncoderBlock(EncoderBlock):
    def forward(self, x, src_mask=None):
        h = self.ln1(x)
        x += self.attn(h, h, src_mask)[0]
        x += self.mlp(self.ln2(x))
        return x
'''),
    Mistake("decoder_sees_future", "DecoderBlock",
            "the decoder's self-attention must be causal: pass causal_mask(T) so position i sees only "
            "targets 0..i", code='''
class DecoderBlock(DecoderBlock):
    def forward(self, x, memory, src_mask=None):
        h = self.ln1(x)
        x = x + self.self_attn(h, h)[0]
        x = x + self.cross_attn(self.ln2(x), memory, src_mask)[0]
        return x + self.mlp(self.ln3(x))
'''),
    Mistake("decoder_post_norm", "DecoderBlock",
            "this block is pre-norm: x + sublayer(ln(x)) three times; you normalize after the residual "
            "sum (post-norm)", code='''
class DecoderBlock(DecoderBlock):
    def forward(self, x, memory, src_mask=None):
        x = self.ln1(x + self.self_attn(x, x, causal_mask(x.shape[1]))[0])
        x = self.ln2(x + self.cross_attn(x, memory, src_mask)[0])
        return self.ln3(x + self.mlp(x))
'''),
    Mistake("decoder_cross_attends_to_itself", "DecoderBlock",
            "cross-attention takes its keys and values from the encoder output: cross_attn(ln2(x), memory, "
            "src_mask)", code='''
class DecoderBlock(DecoderBlock):
    def forward(self, x, memory, src_mask=None):
        h = self.ln1(x)
        x = x + self.self_attn(h, h, causal_mask(x.shape[1]))[0]
        h = self.ln2(x)
        x = x + self.cross_attn(h, h)[0]
        return x + self.mlp(self.ln3(x))
'''),
    Mistake("decoder_ignores_src_mask", "DecoderBlock",
            "pass src_mask to the cross-attention: the decoder must not read the encoder's padding "
            "positions", code='''
class DecoderBlock(DecoderBlock):
    def forward(self, x, memory, src_mask=None):
        h = self.ln1(x)
        x = x + self.self_attn(h, h, causal_mask(x.shape[1]))[0]
        x = x + self.cross_attn(self.ln2(x), memory)[0]
        return x + self.mlp(self.ln3(x))
'''),
    Mistake("decoder_residual_in_place", "DecoderBlock",
            "write x = x + sublayer(...), not x += ...: the in-place add changes the caller's target states "
            "(and can break backward); a block must leave its inputs unchanged", code='''
class DecoderBlock(DecoderBlock):
    def forward(self, x, memory, src_mask=None):
        h = self.ln1(x)
        x += self.self_attn(h, h, causal_mask(x.shape[1]))[0]
        x += self.cross_attn(self.ln2(x), memory, src_mask)[0]
        x += self.mlp(self.ln3(x))
        return x
'''),
    Mistake("decoder_missing_cross_residual", "DecoderBlock",
            "add the cross-attention output to its input (x = x + cross_attn(...)): the residual is "
            "missing", code='''
class DecoderBlock(DecoderBlock):
    def forward(self, x, memory, src_mask=None):
        h = self.ln1(x)
        x = x + self.self_attn(h, h, causal_mask(x.shape[1]))[0]
        x = self.cross_attn(self.ln2(x), memory, src_mask)[0]
        return x + self.mlp(self.ln3(x))
'''),
]

MODEL_MISTAKES = [
    Mistake("seq2seq_no_positions", "Seq2SeqTransformer",
            "add the positional table self.pos[:T] to the embeddings: without it attention cannot tell "
            "positions apart", code='''
class Seq2SeqTransformer(Seq2SeqTransformer):
    def encode(self, src, src_mask=None):
        x = self.src_embed(src) * math.sqrt(self.d_model)
        for block in self.encoder:
            x = block(x, src_mask)
        return self.enc_norm(x)

    def decode(self, tgt, memory, src_mask=None):
        y = self.tgt_embed(tgt) * math.sqrt(self.d_model)
        for block in self.decoder:
            y = block(y, memory, src_mask)
        return self.lm_head(self.dec_norm(y))
'''),
    Mistake("seq2seq_no_embedding_scale", "Seq2SeqTransformer",
            "multiply the token embeddings by sqrt(d_model) before adding the positions", code='''
class Seq2SeqTransformer(Seq2SeqTransformer):
    def encode(self, src, src_mask=None):
        x = self.src_embed(src) + self.pos[: src.shape[1]]
        for block in self.encoder:
            x = block(x, src_mask)
        return self.enc_norm(x)

    def decode(self, tgt, memory, src_mask=None):
        y = self.tgt_embed(tgt) + self.pos[: tgt.shape[1]]
        for block in self.decoder:
            y = block(y, memory, src_mask)
        return self.lm_head(self.dec_norm(y))
'''),
    Mistake("seq2seq_no_final_norms", "Seq2SeqTransformer",
            "pre-norm stacks end with a LayerNorm: apply enc_norm to the memory and dec_norm before lm_head",
            code='''
class Seq2SeqTransformer(Seq2SeqTransformer):
    def encode(self, src, src_mask=None):
        x = self.src_embed(src) * math.sqrt(self.d_model) + self.pos[: src.shape[1]]
        for block in self.encoder:
            x = block(x, src_mask)
        return x

    def decode(self, tgt, memory, src_mask=None):
        y = self.tgt_embed(tgt) * math.sqrt(self.d_model) + self.pos[: tgt.shape[1]]
        for block in self.decoder:
            y = block(y, memory, src_mask)
        return self.lm_head(y)
'''),
    Mistake("seq2seq_shared_embedding", "Seq2SeqTransformer",
            "embed the target tokens with tgt_embed; src_embed is for the source", code='''
class Seq2SeqTransformer(Seq2SeqTransformer):
    def decode(self, tgt, memory, src_mask=None):
        y = self.src_embed(tgt) * math.sqrt(self.d_model) + self.pos[: tgt.shape[1]]
        for block in self.decoder:
            y = block(y, memory, src_mask)
        return self.lm_head(self.dec_norm(y))
'''),
    Mistake("seq2seq_scales_positions_too", "Seq2SeqTransformer",
            "scale only the token embeddings by sqrt(d_model), then add the positions: "
            "embed(x) * sqrt(d_model) + pos", code='''
class Seq2SeqTransformer(Seq2SeqTransformer):
    def encode(self, src, src_mask=None):
        x = (self.src_embed(src) + self.pos[: src.shape[1]]) * math.sqrt(self.d_model)
        for block in self.encoder:
            x = block(x, src_mask)
        return self.enc_norm(x)

    def decode(self, tgt, memory, src_mask=None):
        y = (self.tgt_embed(tgt) + self.pos[: tgt.shape[1]]) * math.sqrt(self.d_model)
        for block in self.decoder:
            y = block(y, memory, src_mask)
        return self.lm_head(self.dec_norm(y))
'''),
]

DECODING_MISTAKES = [
    Mistake("greedy_reads_first_position", "greedy_decode",
            "the next token comes from the logits at the last position, logits[:, -1], not logits[:, 0]",
            code='''
@torch.no_grad()
def greedy_decode(model, src, max_len, bos_id, eos_id, src_lengths=None):
    src_mask = None if src_lengths is None else padding_mask(src_lengths, src.shape[1])
    memory = model.encode(src, src_mask)
    ys = torch.full((src.shape[0], 1), bos_id, dtype=torch.long)
    done = torch.zeros(src.shape[0], dtype=torch.bool)
    for _ in range(max_len):
        next_token = model.decode(ys, memory, src_mask)[:, 0].argmax(dim=-1)
        next_token = next_token.masked_fill(done, eos_id)
        ys = torch.cat([ys, next_token[:, None]], dim=1)
        done |= next_token == eos_id
    return ys[:, 1:]
'''),
    Mistake("greedy_continues_after_eos", "greedy_decode",
            "once a row has produced EOS, every later token of that row must be EOS", code='''
@torch.no_grad()
def greedy_decode(model, src, max_len, bos_id, eos_id, src_lengths=None):
    src_mask = None if src_lengths is None else padding_mask(src_lengths, src.shape[1])
    memory = model.encode(src, src_mask)
    ys = torch.full((src.shape[0], 1), bos_id, dtype=torch.long)
    for _ in range(max_len):
        next_token = model.decode(ys, memory, src_mask)[:, -1].argmax(dim=-1)
        ys = torch.cat([ys, next_token[:, None]], dim=1)
    return ys[:, 1:]
'''),
    Mistake("greedy_returns_bos", "greedy_decode",
            "return only the max_len generated tokens, without the leading BOS", code='''
@torch.no_grad()
def greedy_decode(model, src, max_len, bos_id, eos_id, src_lengths=None):
    src_mask = None if src_lengths is None else padding_mask(src_lengths, src.shape[1])
    memory = model.encode(src, src_mask)
    ys = torch.full((src.shape[0], 1), bos_id, dtype=torch.long)
    done = torch.zeros(src.shape[0], dtype=torch.bool)
    for _ in range(max_len):
        next_token = model.decode(ys, memory, src_mask)[:, -1].argmax(dim=-1)
        next_token = next_token.masked_fill(done, eos_id)
        ys = torch.cat([ys, next_token[:, None]], dim=1)
        done |= next_token == eos_id
    return ys
'''),
    Mistake("greedy_ignores_src_lengths", "greedy_decode",
            "build the source padding mask from src_lengths and pass it to encode and decode", code='''
@torch.no_grad()
def greedy_decode(model, src, max_len, bos_id, eos_id, src_lengths=None):
    memory = model.encode(src)
    ys = torch.full((src.shape[0], 1), bos_id, dtype=torch.long)
    done = torch.zeros(src.shape[0], dtype=torch.bool)
    for _ in range(max_len):
        next_token = model.decode(ys, memory)[:, -1].argmax(dim=-1)
        next_token = next_token.masked_fill(done, eos_id)
        ys = torch.cat([ys, next_token[:, None]], dim=1)
        done |= next_token == eos_id
    return ys[:, 1:]
'''),
]

ROPE_MISTAKES = [
    Mistake("rope_rotates_halves", "apply_rope",
            "rotate consecutive pairs (x[..., 2i], x[..., 2i+1]) as in the RoFormer paper; you paired dimension i "
            "with i + d/2 (the GPT-NeoX / Hugging Face Llama `rotate_half` layout)", code='''
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angle = positions[:, None] * base ** (-torch.arange(0, d, 2) / d)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    first, second = x[..., : d // 2], x[..., d // 2 :]
    return torch.cat([first * cos - second * sin, second * cos + first * sin], dim=-1)
'''),
    Mistake("rope_pairs_concatenated", "apply_rope",
            "put each rotated pair back in place (even results at 0::2, odd at 1::2, e.g. torch.stack(..., dim=-1)"
            ".flatten(-2)), not the even results in the first half and the odd ones in the second", code='''
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angle = positions[:, None] * base ** (-torch.arange(0, d, 2) / d)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.cat([even * cos - odd * sin, even * sin + odd * cos], dim=-1)
'''),
    Mistake("rope_exponent_without_2", "apply_rope",
            "pair i turns at the frequency base^(-2i/d) (i = 0 .. d/2 - 1): the exponent is 2i/d, not i/d",
            code='''
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angle = positions[:, None] * base ** (-torch.arange(d // 2) / d)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1).flatten(-2)
'''),
    Mistake("rope_ignores_base", "apply_rope",
            "use the `base` argument in the frequencies base^(-2i/d), not a fixed 10000", code='''
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angle = positions[:, None] * 10000.0 ** (-torch.arange(0, d, 2) / d)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1).flatten(-2)
'''),
    Mistake("rope_ignores_positions", "apply_rope",
            "rotate row t by positions[t], not by its index t: positions need not start at 0 or be consecutive",
            code='''
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angle = torch.arange(x.shape[-2])[:, None] * base ** (-torch.arange(0, d, 2) / d)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1).flatten(-2)
'''),
    Mistake("rope_rotates_clockwise", "apply_rope",
            "rotate by +angle: (x_2i cos - x_2i+1 sin, x_2i sin + x_2i+1 cos); your signs turn each pair the other "
            "way (scores still depend on the offset only, but the values are not the convention)", code='''
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angle = positions[:, None] * base ** (-torch.arange(0, d, 2) / d)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos + odd * sin, odd * cos - even * sin], dim=-1).flatten(-2)
'''),
    Mistake("rope_returns_float64", "apply_rope",
            "return x's dtype: cos and sin computed in float64 turn a float32 x into a float64 result; cast them "
            "with .to(x.dtype)", code='''
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angle = positions[:, None].double() * base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * angle.cos() - odd * angle.sin(), even * angle.sin() + odd * angle.cos()],
                       dim=-1).flatten(-2)
'''),
    Mistake("rope_in_place", "apply_rope",
            "return a new tensor: writing the rotated pairs into x (x[..., 0::2] = ...) changes the caller's "
            "queries and keys", code='''
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angle = positions[:, None] * base ** (-torch.arange(0, d, 2) / d)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    even, odd = x[..., 0::2].clone(), x[..., 1::2].clone()
    x[..., 0::2] = even * cos - odd * sin
    x[..., 1::2] = even * sin + odd * cos
    return x
'''),
]

MISTAKES = (ATTENTION_MISTAKES + MASK_MISTAKES + POSITION_MISTAKES + LAYERNORM_MISTAKES + MHA_MISTAKES
            + BLOCK_MISTAKES + MODEL_MISTAKES + DECODING_MISTAKES + ROPE_MISTAKES)
