"""Accepted variants for week 5: correct implementations written the way learners write them.

Each `code` runs in the reference notebook's namespace (math, torch, nn, F, np, pack_padded_sequence,
pad_packed_sequence, repeat_memory and the reference functions are defined there) and replaces one
function; a module keeps its given __init__ (`class X(X)`) and gets another forward. `coursekit validate`
requires every one to earn full marks: a check that penalises one of them is wrong, not the variant.
Never released.
"""

from coursekit.checks import Variant

AUTOENCODER_VARIANTS = [
    Variant("autoencoder_torch_relu_nested", "Autoencoder", style="torch.relu, one nested expression", code='''
class Autoencoder(Autoencoder):
    def forward(self, x):
        z = self.enc2(torch.relu(self.enc1(x)))
        return self.dec2(torch.relu(self.dec1(z))), z
'''),
    Variant("autoencoder_sequential_clamp", "Autoencoder",
            style="F.linear with the layers' weights, clamp(min=0) as the ReLU", code='''
class Autoencoder(Autoencoder):
    def forward(self, x):
        hidden = F.linear(x, self.enc1.weight, self.enc1.bias).clamp(min=0)
        z = F.linear(hidden, self.enc2.weight, self.enc2.bias)
        hidden = F.linear(z, self.dec1.weight, self.dec1.bias).clamp(min=0)
        return F.linear(hidden, self.dec2.weight, self.dec2.bias), z
'''),
]

CORRUPT_VARIANTS = [
    Variant("corrupt_torch_where", "denoise_corrupt", style="torch.where with zeros_like", code='''
def denoise_corrupt(x, p, generator):
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype)
    return torch.where(u < p, torch.zeros_like(x), x)
'''),
    Variant("corrupt_clone_and_index", "denoise_corrupt", style="clone, then boolean-index assignment", code='''
def denoise_corrupt(x, p, generator):
    noisy = x.clone()
    drop = torch.rand(x.shape, generator=generator, dtype=x.dtype) < p
    noisy[drop] = 0.0
    return noisy
'''),
    Variant("corrupt_masked_fill", "denoise_corrupt", style="masked_fill on a float keep-mask", code='''
def denoise_corrupt(x, p, generator):
    keep = (torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p).to(x.dtype)
    return x.masked_fill(keep == 0, 0.0)
'''),
]

REPARAMETERIZE_VARIANTS = [
    Variant("reparameterize_sqrt_of_variance", "reparameterize", style="std = exp(logvar).sqrt()", code='''
def reparameterize(mu, logvar, generator=None):
    std = logvar.exp().sqrt()
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + eps * std
'''),
    Variant("reparameterize_addcmul", "reparameterize", style="torch.addcmul, std via ** 0.5", code='''
def reparameterize(mu, logvar, generator=None):
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return torch.addcmul(mu, eps, torch.exp(logvar) ** 0.5)
'''),
]

KL_VARIANTS = [
    Variant("kl_kingma_form", "gaussian_kl", style="-0.5 * sum(1 + logvar - mu^2 - exp(logvar)) (Kingma & Welling)",
            code='''
def gaussian_kl(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu ** 2 - torch.exp(logvar), dim=1)
'''),
    Variant("kl_torch_distributions", "gaussian_kl", style="torch.distributions.kl_divergence of two Normals",
            code='''
def gaussian_kl(mu, logvar):
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, p).sum(-1)
'''),
]

ELBO_VARIANTS = [
    Variant("elbo_manual_stable_bce", "elbo_loss",
            style="the stable BCE written out: max(l, 0) - l x + log(1 + exp(-|l|)); KL inline", code='''
def elbo_loss(recon_logits, x, mu, logvar, beta=1.0):
    l = recon_logits
    bce = l.clamp(min=0) - l * x + torch.log1p(torch.exp(-l.abs()))
    reconstruction = bce.sum(dim=1).mean()
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()
    return reconstruction + beta * kl, reconstruction, kl
'''),
    Variant("elbo_logsigmoid", "elbo_loss", style="-(x logsigmoid(l) + (1 - x) logsigmoid(-l)), reduction='none'",
            code='''
def elbo_loss(recon_logits, x, mu, logvar, beta=1.0):
    log_px = x * F.logsigmoid(recon_logits) + (1 - x) * F.logsigmoid(-recon_logits)
    reconstruction = -log_px.sum(-1).mean()
    kl = gaussian_kl(mu, logvar).mean()
    loss = reconstruction + beta * kl
    return loss, reconstruction, kl
'''),
]

GRU_VARIANTS = [
    Variant("gru_per_gate_slices", "GRUCell", style="F.linear on per-gate slices of the stacked weights", code='''
class GRUCell(GRUCell):
    def forward(self, x, h=None):
        H = self.hidden_size
        if h is None:
            h = torch.zeros(x.size(0), H, dtype=x.dtype)
        W_ir, W_iz, W_in = self.weight_ih[:H], self.weight_ih[H:2 * H], self.weight_ih[2 * H:]
        W_hr, W_hz, W_hn = self.weight_hh[:H], self.weight_hh[H:2 * H], self.weight_hh[2 * H:]
        b_ir, b_iz, b_in = self.bias_ih[:H], self.bias_ih[H:2 * H], self.bias_ih[2 * H:]
        b_hr, b_hz, b_hn = self.bias_hh[:H], self.bias_hh[H:2 * H], self.bias_hh[2 * H:]
        r = torch.sigmoid(F.linear(x, W_ir, b_ir) + F.linear(h, W_hr, b_hr))
        z = torch.sigmoid(F.linear(x, W_iz, b_iz) + F.linear(h, W_hz, b_hz))
        n = torch.tanh(F.linear(x, W_in, b_in) + r * F.linear(h, W_hn, b_hn))
        return (1 - z) * n + z * h
'''),
    Variant("gru_lerp_addmm", "GRUCell", style="torch.addmm, gates summed before splitting, torch.lerp", code='''
class GRUCell(GRUCell):
    def forward(self, x, h=None):
        if h is None:
            h = x.new_zeros(len(x), self.hidden_size)
        gi = torch.addmm(self.bias_ih, x, self.weight_ih.t())
        gh = torch.addmm(self.bias_hh, h, self.weight_hh.t())
        i_r, i_z, i_n = gi.split(self.hidden_size, dim=1)
        h_r, h_z, h_n = gh.split(self.hidden_size, dim=1)
        reset, update = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        new = torch.tanh(i_n + reset * h_n)
        return torch.lerp(new, h, update)
'''),
]

ENCODER_VARIANTS = [
    Variant("encoder_sort_then_unsort", "Encoder",
            style="sorts the batch by length, packs with enforce_sorted=True, restores the order", code='''
class Encoder(Encoder):
    def forward(self, src, src_lengths):
        sorted_lengths, order = src_lengths.sort(descending=True)
        packed = pack_padded_sequence(self.embed(src[order]), sorted_lengths.cpu(), batch_first=True)
        outputs, hidden = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.size(1))
        undo = order.argsort()
        final = torch.cat((hidden[-2], hidden[-1]), dim=1)
        return outputs[undo], final[undo]
'''),
    Variant("encoder_one_word_at_a_time", "Encoder",
            style="runs the GRU on each word without its padding, pads the outputs with zeros", code='''
class Encoder(Encoder):
    def forward(self, src, src_lengths):
        B, T = src.shape
        outputs = []
        finals = []
        for b in range(B):
            n = int(src_lengths[b])
            out, h_n = self.rnn(self.embed(src[b:b + 1, :n]))
            outputs.append(F.pad(out[0], (0, 0, 0, T - n)))
            finals.append(torch.cat([h_n[0, 0], h_n[1, 0]]))
        return torch.stack(outputs), torch.stack(finals)
'''),
    Variant("encoder_final_gathered", "Encoder",
            style="final states gathered from the padded outputs (forward at length - 1, backward at 0)", code='''
class Encoder(Encoder):
    def forward(self, src, src_lengths):
        emb = self.embed(src)
        packed = pack_padded_sequence(emb, src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        H = self.rnn.hidden_size
        rows = torch.arange(src.shape[0])
        forward_last = out[rows, src_lengths - 1, :H]
        backward_first = out[:, 0, H:]
        return out, torch.cat([forward_last, backward_first], dim=-1)
'''),
]

ATTENTION_VARIANTS = [
    Variant("attention_minus_1e9_bmm", "AdditiveAttention", style="unsqueeze/expand, -1e9 fill, F.softmax, bmm",
            code='''
class AdditiveAttention(AdditiveAttention):
    def forward(self, s, h, mask):
        query = self.W(s).unsqueeze(1).expand(-1, h.size(1), -1)
        energy = self.v(torch.tanh(query + self.U(h))).squeeze(2)
        energy = energy.masked_fill(mask == 0, -1e9)
        weights = F.softmax(energy, dim=1)
        context = torch.bmm(weights.unsqueeze(1), h).squeeze(1)
        return context, weights
'''),
    Variant("attention_where_einsum", "AdditiveAttention",
            style="torch.where with -inf, einsum for the weighted sum", code='''
class AdditiveAttention(AdditiveAttention):
    def forward(self, s, h, mask):
        scores = self.v(torch.tanh(self.U(h) + self.W(s)[:, None])).squeeze(-1)
        scores = torch.where(mask, scores, torch.full_like(scores, float("-inf")))
        weights = torch.softmax(scores, dim=-1)
        return torch.einsum("bt,btd->bd", weights, h), weights
'''),
    Variant("attention_manual_softmax", "AdditiveAttention",
            style="softmax written out: exp(scores - max) * mask, normalised by its sum", code='''
class AdditiveAttention(AdditiveAttention):
    def forward(self, s, h, mask):
        scores = (torch.tanh(self.W(s).unsqueeze(1) + self.U(h)) @ self.v.weight.T).squeeze(-1)
        scores = scores - scores.masked_fill(~mask, float("-inf")).max(dim=-1, keepdim=True).values
        e = torch.exp(scores) * mask
        weights = e / e.sum(dim=-1, keepdim=True)
        return (weights.unsqueeze(-1) * h).sum(1), weights
'''),
]

DECODER_VARIANTS = [
    Variant("decoder_inline_loop_preallocated", "Decoder",
            style="embeds every target at once, writes into preallocated tensors, the step inlined", code='''
class Decoder(Decoder):
    def forward(self, tgt_in, state, enc_out, mask):
        B, T = tgt_in.shape
        embedded = self.embed(tgt_in)  # (B, T, emb)
        logits = enc_out.new_zeros(B, T, self.out.out_features)
        weights = enc_out.new_zeros(B, T, enc_out.shape[1])
        for t in range(T):
            context, weights[:, t] = self.attention(state, enc_out, mask)
            state = self.cell(torch.cat((embedded[:, t], context), 1), state)
            logits[:, t] = self.out(torch.cat((state, context), 1))
        return logits, weights
'''),
    Variant("decoder_unbind_hstack", "Decoder", style="step with torch.hstack; forward over tgt_in.unbind(1)",
            code='''
class Decoder(Decoder):
    def step(self, tokens, state, enc_out, mask):
        context, attn = self.attention(state, enc_out, mask)
        h = self.cell(torch.hstack([self.embed(tokens), context]), state)
        return self.out(torch.hstack([h, context])), h, attn

    def forward(self, tgt_in, state, enc_out, mask):
        outputs = []
        for tokens in tgt_in.unbind(1):
            logits, state, attn = self.step(tokens, state, enc_out, mask)
            outputs.append((logits, attn))
        logits, attn = zip(*outputs)
        return torch.stack(logits, 1), torch.stack(attn, 1)
'''),
]

GREEDY_VARIANTS = [
    Variant("greedy_preallocated_early_stop", "greedy_decode",
            style="an output tensor filled with EOS, stops once every row has finished", code='''
@torch.no_grad()
def greedy_decode(model, src, src_lengths, max_len, bos_id, eos_id):
    state, memory = model.encode(src, src_lengths)
    out = torch.full((src.size(0), max_len), eos_id, dtype=torch.int64)
    prev = torch.full((src.size(0),), bos_id, dtype=torch.int64)
    done = torch.zeros(src.size(0), dtype=torch.bool)
    for t in range(max_len):
        logits, state = model.step(prev, state, memory)
        prev = torch.where(done, torch.full_like(prev, eos_id), logits.argmax(-1))
        out[:, t] = prev
        done = done | (prev == eos_id)
        if done.all():
            break
    return out
'''),
    Variant("greedy_python_rows", "greedy_decode", style="Python lists per row, torch.tensor at the end", code='''
@torch.no_grad()
def greedy_decode(model, src, src_lengths, max_len, bos_id, eos_id):
    state, memory = model.encode(src, src_lengths)
    rows = [[] for _ in range(len(src))]
    tokens = torch.tensor([bos_id] * len(src))
    for _ in range(max_len):
        logits, state = model.step(tokens, state, memory)
        best = logits.max(dim=1).indices.tolist()
        for row, token in zip(rows, best):
            row.append(eos_id if row and row[-1] == eos_id else token)
        tokens = torch.tensor([row[-1] for row in rows])
    return torch.tensor(rows, dtype=torch.long)
'''),
]

BEAM_VARIANTS = [
    Variant("beam_python_sorted", "beam_search",
            style="plain Python: candidates in a list, sorted() by score (stable), one step call per hypothesis",
            code='''
@torch.no_grad()
def beam_search(model, src, beam_size, max_len, bos_id, eos_id, length_penalty=1.0):
    state, memory = model.encode(src.unsqueeze(0), torch.tensor([src.numel()]))
    beams = [(0.0, [], state)]
    done = []
    for _ in range(max_len):
        candidates = []
        for score, seq, st in beams:
            last = torch.tensor([seq[-1] if seq else bos_id])
            logits, new_st = model.step(last, st, memory)
            logp = torch.log_softmax(logits[0].double(), dim=-1)
            for token, lp in enumerate(logp.tolist()):
                candidates.append((score + lp, seq + [token], new_st))
        candidates = sorted(candidates, key=lambda c: -c[0])[: beam_size - len(done)]
        beams = []
        for score, seq, st in candidates:
            (done if seq[-1] == eos_id else beams).append((score, seq, st))
        if not beams:
            break
    done.extend(beams)
    normalised = [score / len(seq) ** length_penalty for score, seq, _ in done]
    best = normalised.index(max(normalised))
    return torch.tensor(done[best][1]), normalised[best]
'''),
    Variant("beam_tensor_topk_free", "beam_search",
            style="tensors throughout: sequences as a (k, t) tensor, argsort(stable) over the flattened scores",
            code='''
@torch.no_grad()
def beam_search(model, src, beam_size, max_len, bos_id, eos_id, length_penalty=1.0):
    state, memory = model.encode(src[None], torch.tensor([len(src)]))
    seqs = torch.empty(1, 0, dtype=torch.long)
    scores = torch.zeros(1, dtype=torch.float64)
    finished_seqs, finished_scores = [], []
    for step in range(max_len):
        last = seqs[:, -1] if step else torch.full((1,), bos_id)
        logits, state = model.step(last, state, repeat_memory(memory, len(seqs)))
        total = (scores[:, None] + logits.double().log_softmax(-1)).flatten()
        slots = beam_size - len(finished_seqs)
        best = total.argsort(descending=True, stable=True)[:slots]
        V = logits.shape[-1]
        rows, toks = best // V, best % V
        new_seqs = torch.cat([seqs[rows], toks[:, None]], dim=1)
        ended = toks == eos_id
        for i in ended.nonzero().flatten().tolist():
            finished_seqs.append(new_seqs[i])
            finished_scores.append(total[best[i]].item())
        alive = ~ended
        seqs, scores, state = new_seqs[alive], total[best][alive], state[rows[alive]]
        if len(seqs) == 0:
            break
    finished_seqs += list(seqs)
    finished_scores += scores.tolist()
    normalised = torch.tensor([s / len(q) ** length_penalty for q, s in zip(finished_seqs, finished_scores)],
                              dtype=torch.float64)
    i = int(normalised.argmax())
    return finished_seqs[i], normalised[i].item()
'''),
]

EDIT_DISTANCE_VARIANTS = [
    Variant("edit_distance_full_table", "edit_distance", style="the full (n + 1) x (m + 1) table", code='''
def edit_distance(a, b):
    n, m = len(a), len(b)
    D = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        D[i][0] = i
    for j in range(m + 1):
        D[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            D[i][j] = min(D[i - 1][j] + 1, D[i][j - 1] + 1, D[i - 1][j - 1] + cost)
    return D[n][m]
'''),
    Variant("edit_distance_recursive_cache", "edit_distance", style="recursion with functools.lru_cache", code='''
import functools


def edit_distance(a, b):
    a, b = tuple(a), tuple(b)

    @functools.lru_cache(maxsize=None)
    def d(i, j):
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))
'''),
    Variant("edit_distance_numpy", "edit_distance", style="a numpy integer table, int() at the end", code='''
def edit_distance(a, b):
    D = np.zeros((len(a) + 1, len(b) + 1), dtype=np.int64)
    D[:, 0] = np.arange(len(a) + 1)
    D[0, :] = np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            D[i, j] = min(D[i - 1, j] + 1, D[i, j - 1] + 1, D[i - 1, j - 1] + int(a[i - 1] != b[j - 1]))
    return int(D[-1, -1])
'''),
]

PER_VARIANTS = [
    Variant("per_running_totals", "phoneme_error_rate", style="a loop with running totals", code='''
def phoneme_error_rate(predictions, references):
    edits = total = 0
    for i in range(len(references)):
        edits += edit_distance(predictions[i], references[i])
        total += len(references[i])
    return edits / total
'''),
    Variant("per_numpy", "phoneme_error_rate", style="numpy arrays of distances and lengths", code='''
def phoneme_error_rate(predictions, references):
    distances = np.array([edit_distance(p, r) for p, r in zip(predictions, references)])
    lengths = np.array([len(r) for r in references])
    return float(distances.sum() / lengths.sum())
'''),
]

VARIANTS = (AUTOENCODER_VARIANTS + CORRUPT_VARIANTS + REPARAMETERIZE_VARIANTS + KL_VARIANTS + ELBO_VARIANTS
            + GRU_VARIANTS + ENCODER_VARIANTS + ATTENTION_VARIANTS + DECODER_VARIANTS + GREEDY_VARIANTS
            + BEAM_VARIANTS + EDIT_DISTANCE_VARIANTS + PER_VARIANTS)
