"""Known wrong implementations for week 5. Each `code` runs in the reference notebook's namespace (math,
torch, nn, F, pack_padded_sequence, pad_packed_sequence, repeat_memory and the reference functions are
defined there) and replaces one function; a module keeps its given __init__ (`class X(X)`) and gets a
wrong forward."""

from coursekit.checks import Mistake

AUTOENCODER_MISTAKES = [
    Mistake("autoencoder_sigmoid_output", "Autoencoder",
            "return the decoder's logits: the loss (binary_cross_entropy_with_logits) applies the sigmoid itself",
            code='''
class Autoencoder(Autoencoder):
    def forward(self, x):
        z = self.enc2(F.relu(self.enc1(x)))
        return torch.sigmoid(self.dec2(F.relu(self.dec1(z)))), z
'''),
    Mistake("autoencoder_relu_on_code", "Autoencoder",
            "no activation on the code z: a ReLU there zeroes about half of the code", code='''
class Autoencoder(Autoencoder):
    def forward(self, x):
        z = F.relu(self.enc2(F.relu(self.enc1(x))))
        return self.dec2(F.relu(self.dec1(z))), z
'''),
    Mistake("autoencoder_no_hidden_activation", "Autoencoder",
            "apply a ReLU after enc1 and after dec1: without it the encoder and decoder are linear maps",
            code='''
class Autoencoder(Autoencoder):
    def forward(self, x):
        z = self.enc2(self.enc1(x))
        return self.dec2(self.dec1(z)), z
'''),
    Mistake("autoencoder_returns_z_first", "Autoencoder",
            "return the tuple in the documented order: (logits, z)", code='''
class Autoencoder(Autoencoder):
    def forward(self, x):
        z = self.enc2(F.relu(self.enc1(x)))
        return z, self.dec2(F.relu(self.dec1(z)))
'''),
]

CORRUPT_MISTAKES = [
    Mistake("corrupt_keeps_with_probability_p", "denoise_corrupt",
            "erase an entry where u < p (probability p), not where u >= p", code='''
def denoise_corrupt(x, p, generator):
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype)
    return x * (u < p)
'''),
    Mistake("corrupt_rescales_like_dropout", "denoise_corrupt",
            "masking noise does not rescale the kept entries by 1/(1-p): that is dropout's convention", code='''
def denoise_corrupt(x, p, generator):
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype)
    return x * (u >= p) / (1 - p)
'''),
    Mistake("corrupt_in_place", "denoise_corrupt",
            "return a corrupted copy: x itself must stay as it was (clone it first)", code='''
def denoise_corrupt(x, p, generator):
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype)
    x[u < p] = 0
    return x
'''),
    Mistake("corrupt_ignores_generator", "denoise_corrupt",
            "draw u with the generator you are given (torch.rand(x.shape, generator=generator, dtype=x.dtype)), "
            "so corruption is reproducible", code='''
def denoise_corrupt(x, p, generator):
    return x * (torch.rand_like(x) >= p)
'''),
]

REPARAMETERIZE_MISTAKES = [
    Mistake("reparameterize_variance_as_std", "reparameterize",
            "the standard deviation is exp(logvar / 2); exp(logvar) is the variance", code='''
def reparameterize(mu, logvar, generator=None):
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.exp(logvar) * eps
'''),
    Mistake("reparameterize_logvar_as_std", "reparameterize",
            "logvar is a log-variance: the standard deviation is exp(logvar / 2), not logvar itself", code='''
def reparameterize(mu, logvar, generator=None):
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + logvar * eps
'''),
    Mistake("reparameterize_torch_normal", "reparameterize",
            "torch.normal draws the right numbers but passes no gradient to mu and logvar: write "
            "mu + std * eps", code='''
def reparameterize(mu, logvar, generator=None):
    return torch.normal(mu, torch.exp(0.5 * logvar), generator=generator)
'''),
    Mistake("reparameterize_ignores_generator", "reparameterize",
            "draw eps with the generator you are given: torch.randn(mu.shape, generator=generator, dtype=mu.dtype)",
            code='''
def reparameterize(mu, logvar, generator=None):
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
'''),
]

KL_MISTAKES = [
    Mistake("kl_wrong_sign", "gaussian_kl",
            "the KL divergence is >= 0: 0.5 * sum(mu^2 + exp(logvar) - 1 - logvar), check the sign", code='''
def gaussian_kl(mu, logvar):
    return 0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)
'''),
    Mistake("kl_summed_over_batch", "gaussian_kl",
            "return one KL per example, shape (B,): sum over the latent dimensions only, not over the batch",
            code='''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum()
'''),
    Mistake("kl_mean_over_latent", "gaussian_kl",
            "sum the KL over the latent dimensions (it is the KL of the joint Gaussian); a mean divides it by d",
            code='''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(dim=-1)
'''),
    Mistake("kl_missing_half", "gaussian_kl", "the closed form has a factor 1/2 in front of the sum", code='''
def gaussian_kl(mu, logvar):
    return (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=-1)
'''),
]

ELBO_MISTAKES = [
    Mistake("elbo_bce_on_probabilities", "elbo_loss",
            "compute the BCE from the logits (binary_cross_entropy_with_logits): sigmoid then log loses "
            "everything once a logit passes about +-17 in float32", code='''
def elbo_loss(recon_logits, x, mu, logvar, beta=1.0):
    B = x.shape[0]
    reconstruction = F.binary_cross_entropy(torch.sigmoid(recon_logits), x, reduction="sum") / B
    kl = gaussian_kl(mu, logvar).mean()
    return reconstruction + beta * kl, reconstruction, kl
'''),
    Mistake("elbo_double_sigmoid", "elbo_loss",
            "binary_cross_entropy_with_logits takes logits: do not apply the sigmoid first", code='''
def elbo_loss(recon_logits, x, mu, logvar, beta=1.0):
    B = x.shape[0]
    reconstruction = F.binary_cross_entropy_with_logits(torch.sigmoid(recon_logits), x, reduction="sum") / B
    kl = gaussian_kl(mu, logvar).mean()
    return reconstruction + beta * kl, reconstruction, kl
'''),
    Mistake("elbo_mean_over_pixels", "elbo_loss",
            "sum the BCE over the pixels (log p(x|z) is a sum over pixels) and average over the batch only; "
            "the default reduction='mean' also divides by the number of pixels", code='''
def elbo_loss(recon_logits, x, mu, logvar, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(recon_logits, x)
    kl = gaussian_kl(mu, logvar).mean()
    return reconstruction + beta * kl, reconstruction, kl
'''),
    Mistake("elbo_kl_summed_over_batch", "elbo_loss",
            "average the KL over the batch, like the reconstruction term", code='''
def elbo_loss(recon_logits, x, mu, logvar, beta=1.0):
    B = x.shape[0]
    reconstruction = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="sum") / B
    kl = gaussian_kl(mu, logvar).sum()
    return reconstruction + beta * kl, reconstruction, kl
'''),
    Mistake("elbo_beta_on_reconstruction", "elbo_loss",
            "beta weights the KL term: loss = reconstruction + beta * kl", code='''
def elbo_loss(recon_logits, x, mu, logvar, beta=1.0):
    B = x.shape[0]
    reconstruction = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="sum") / B
    kl = gaussian_kl(mu, logvar).mean()
    return beta * reconstruction + kl, reconstruction, kl
'''),
]

GRU_MISTAKES = [
    Mistake("gru_update_gate_reversed", "GRUCell",
            "h' = (1 - z) * n + z * h: the update gate z keeps the old state, (1 - z) takes the candidate",
            code='''
class GRUCell(GRUCell):
    def forward(self, x, h=None):
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden_size)
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=-1)
        h_r, h_z, h_n = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=-1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return z * n + (1 - z) * h
'''),
    Mistake("gru_reset_outside_bias", "GRUCell",
            "the reset gate multiplies W_hn h + b_hn, bias included (PyTorch's GRU)", code='''
class GRUCell(GRUCell):
    def forward(self, x, h=None):
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden_size)
        H = self.hidden_size
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=-1)
        h_r, h_z, _ = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=-1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * (h @ self.weight_hh[2 * H:].T) + self.bias_hh[2 * H:])
        return (1 - z) * n + z * h
'''),
    Mistake("gru_gate_order_swapped", "GRUCell",
            "the stacked weights hold the gates in the order r, z, n (reset, update, new)", code='''
class GRUCell(GRUCell):
    def forward(self, x, h=None):
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden_size)
        x_z, x_r, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=-1)
        h_z, h_r, h_n = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=-1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return (1 - z) * n + z * h
'''),
    Mistake("gru_reset_before_matmul", "GRUCell",
            "apply the reset gate to W_hn h + b_hn, not to h before the product (that is Cho et al.'s "
            "original variant, not nn.GRUCell)", code='''
class GRUCell(GRUCell):
    def forward(self, x, h=None):
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden_size)
        H = self.hidden_size
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=-1)
        h_r, h_z, _ = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=-1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + (r * h) @ self.weight_hh[2 * H:].T + self.bias_hh[2 * H:])
        return (1 - z) * n + z * h
'''),
]

ENCODER_MISTAKES = [
    Mistake("encoder_no_packing", "Encoder",
            "pack the padded batch (pack_padded_sequence): otherwise the GRUs read the padding, the backward "
            "one starts in it, and the outputs at padding are not 0", code='''
class Encoder(Encoder):
    def forward(self, src, src_lengths):
        outputs, h_n = self.rnn(self.embed(src))
        return outputs, torch.cat([h_n[0], h_n[1]], dim=-1)
'''),
    Mistake("encoder_final_from_last_position", "Encoder",
            "a padded row's last real state is at position length - 1, not T - 1: take h_n from the packed GRU",
            code='''
class Encoder(Encoder):
    def forward(self, src, src_lengths):
        packed = pack_padded_sequence(self.embed(src), src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        H = outputs.shape[-1] // 2
        return outputs, torch.cat([outputs[:, -1, :H], outputs[:, 0, H:]], dim=-1)
'''),
    Mistake("encoder_final_backward_first", "Encoder",
            "concatenate the final states as [forward; backward] (h_n[0], then h_n[1])", code='''
class Encoder(Encoder):
    def forward(self, src, src_lengths):
        packed = pack_padded_sequence(self.embed(src), src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, h_n = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        return outputs, torch.cat([h_n[1], h_n[0]], dim=-1)
'''),
    Mistake("encoder_outputs_shortened", "Encoder",
            "pass total_length=src.shape[1] to pad_packed_sequence: otherwise the outputs are only as long as "
            "the longest word, not (B, T, 2H)", code='''
class Encoder(Encoder):
    def forward(self, src, src_lengths):
        packed = pack_padded_sequence(self.embed(src), src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, h_n = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True)
        return outputs, torch.cat([h_n[0], h_n[1]], dim=-1)
'''),
]

ATTENTION_MISTAKES = [
    Mistake("attention_softmax_over_batch", "AdditiveAttention",
            "take the softmax over the source positions (dim=-1), not over the batch", code='''
class AdditiveAttention(AdditiveAttention):
    def forward(self, s, h, mask):
        scores = self.v(torch.tanh(self.W(s)[:, None, :] + self.U(h))).squeeze(-1)
        weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=0)
        return (weights[:, :, None] * h).sum(dim=1), weights
'''),
    Mistake("attention_padding_attended", "AdditiveAttention",
            "mask the padding: fill the scores where mask is False with -inf before the softmax", code='''
class AdditiveAttention(AdditiveAttention):
    def forward(self, s, h, mask):
        scores = self.v(torch.tanh(self.W(s)[:, None, :] + self.U(h))).squeeze(-1)
        weights = scores.softmax(dim=-1)
        return (weights[:, :, None] * h).sum(dim=1), weights
'''),
    Mistake("attention_mask_fills_zero", "AdditiveAttention",
            "masked scores must become -inf, not 0: a score of 0 still gets weight exp(0) after the softmax",
            code='''
class AdditiveAttention(AdditiveAttention):
    def forward(self, s, h, mask):
        scores = self.v(torch.tanh(self.W(s)[:, None, :] + self.U(h))).squeeze(-1)
        weights = scores.masked_fill(~mask, 0.0).softmax(dim=-1)
        return (weights[:, :, None] * h).sum(dim=1), weights
'''),
    Mistake("attention_no_tanh", "AdditiveAttention",
            "the score is v^T tanh(W s + U h): without the tanh it is linear in h", code='''
class AdditiveAttention(AdditiveAttention):
    def forward(self, s, h, mask):
        scores = self.v(self.W(s)[:, None, :] + self.U(h)).squeeze(-1)
        weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        return (weights[:, :, None] * h).sum(dim=1), weights
'''),
]

DECODER_MISTAKES = [
    Mistake("decoder_feeds_own_predictions", "Decoder",
            "teacher forcing: feed step t the true previous token tgt_in[:, t], not the decoder's own guess",
            code='''
class Decoder(Decoder):
    def forward(self, tgt_in, state, enc_out, mask):
        all_logits, all_weights = [], []
        tokens = tgt_in[:, 0]
        for t in range(tgt_in.shape[1]):
            logits, state, weights = self.step(tokens, state, enc_out, mask)
            tokens = logits.argmax(dim=-1)
            all_logits.append(logits)
            all_weights.append(weights)
        return torch.stack(all_logits, dim=1), torch.stack(all_weights, dim=1)
'''),
    Mistake("decoder_state_not_carried", "Decoder",
            "carry the state: step t starts from the state step t - 1 returned, not from the first state",
            code='''
class Decoder(Decoder):
    def forward(self, tgt_in, state, enc_out, mask):
        all_logits, all_weights = [], []
        for t in range(tgt_in.shape[1]):
            logits, _, weights = self.step(tgt_in[:, t], state, enc_out, mask)
            all_logits.append(logits)
            all_weights.append(weights)
        return torch.stack(all_logits, dim=1), torch.stack(all_weights, dim=1)
'''),
    Mistake("decoder_logits_from_old_state", "Decoder",
            "predict from the new state: logits = out(cat[new state, context])", code='''
class Decoder(Decoder):
    def step(self, tokens, state, enc_out, mask):
        context, weights = self.attention(state, enc_out, mask)
        new = self.cell(torch.cat([self.embed(tokens), context], dim=-1), state)
        return self.out(torch.cat([state, context], dim=-1)), new, weights
'''),
    Mistake("decoder_attends_with_new_state", "Decoder",
            "attend with the previous state s_(t-1) (Bahdanau), then update the GRU with the context", code='''
class Decoder(Decoder):
    def step(self, tokens, state, enc_out, mask):
        context, _ = self.attention(state, enc_out, mask)
        new = self.cell(torch.cat([self.embed(tokens), context], dim=-1), state)
        context, weights = self.attention(new, enc_out, mask)
        return self.out(torch.cat([new, context], dim=-1)), new, weights
'''),
]

GREEDY_MISTAKES = [
    Mistake("greedy_no_eos_padding", "greedy_decode",
            "once a row has produced EOS it is finished: give it EOS at every later step", code='''
@torch.no_grad()
def greedy_decode(model, src, src_lengths, max_len, bos_id, eos_id):
    state, memory = model.encode(src, src_lengths)
    tokens = torch.full((src.shape[0],), bos_id, dtype=torch.long)
    out = []
    for _ in range(max_len):
        logits, state = model.step(tokens, state, memory)
        tokens = logits.argmax(dim=-1)
        out.append(tokens)
    return torch.stack(out, dim=1)
'''),
    Mistake("greedy_returns_bos", "greedy_decode",
            "return the max_len tokens generated after BOS, without BOS itself", code='''
@torch.no_grad()
def greedy_decode(model, src, src_lengths, max_len, bos_id, eos_id):
    state, memory = model.encode(src, src_lengths)
    tokens = torch.full((src.shape[0],), bos_id, dtype=torch.long)
    finished = torch.zeros(src.shape[0], dtype=torch.bool)
    out = [tokens]
    for _ in range(max_len - 1):
        logits, state = model.step(tokens, state, memory)
        tokens = logits.argmax(dim=-1).masked_fill(finished, eos_id)
        finished |= tokens == eos_id
        out.append(tokens)
    return torch.stack(out, dim=1)
'''),
    Mistake("greedy_always_feeds_bos", "greedy_decode",
            "feed each step the token chosen at the step before (BOS only at the first step)", code='''
@torch.no_grad()
def greedy_decode(model, src, src_lengths, max_len, bos_id, eos_id):
    state, memory = model.encode(src, src_lengths)
    bos = torch.full((src.shape[0],), bos_id, dtype=torch.long)
    finished = torch.zeros(src.shape[0], dtype=torch.bool)
    out = []
    for _ in range(max_len):
        logits, state = model.step(bos, state, memory)
        tokens = logits.argmax(dim=-1).masked_fill(finished, eos_id)
        finished |= tokens == eos_id
        out.append(tokens)
    return torch.stack(out, dim=1)
'''),
    Mistake("greedy_state_not_updated", "greedy_decode",
            "keep the state model.step returns and pass it to the next step", code='''
@torch.no_grad()
def greedy_decode(model, src, src_lengths, max_len, bos_id, eos_id):
    state, memory = model.encode(src, src_lengths)
    tokens = torch.full((src.shape[0],), bos_id, dtype=torch.long)
    finished = torch.zeros(src.shape[0], dtype=torch.bool)
    out = []
    for _ in range(max_len):
        logits, _ = model.step(tokens, state, memory)
        tokens = logits.argmax(dim=-1).masked_fill(finished, eos_id)
        finished |= tokens == eos_id
        out.append(tokens)
    return torch.stack(out, dim=1)
'''),
]

# The beam-search mistakes share the reference's structure and differ in one place each.
BEAM_TEMPLATE = '''
@torch.no_grad()
def beam_search(model, src, beam_size, max_len, bos_id, eos_id, length_penalty=1.0):
    state, memory = model.encode(src[None], torch.tensor([len(src)]))
    live, finished = [([], 0.0)], []
    for _ in range(max_len):
        tokens = torch.tensor([seq[-1] if seq else bos_id for seq, _ in live])
        logits, new_state = model.step(tokens, state, repeat_memory(memory, len(live)))
        log_probs = F.log_softmax(logits.double(), dim=-1)
        scores = torch.tensor([score for _, score in live], dtype=torch.float64)[:, None] + log_probs
        order = torch.sort(scores.flatten(), descending=True, stable=True).indices[:SLOTS]
        V = scores.shape[1]
        next_live, keep = [], []
        for index in order.tolist():
            row, token = divmod(index, V)
            candidate = (live[row][0] + [token], scores[row, token].item())
            if FINISHES:
                finished.append(candidate)
            else:
                next_live.append(candidate)
                keep.append(row)
        live, state = next_live, new_state[keep]
        if not live:
            break
    finished += live
    best = max(finished, key=lambda h: RANK)
    return torch.tensor(best[0], dtype=torch.long), best[1] / len(best[0]) ** length_penalty
'''


def beam(slots: str = "beam_size - len(finished)", finishes: str = "token == eos_id",
         rank: str = "h[1] / len(h[0]) ** length_penalty") -> str:
    return BEAM_TEMPLATE.replace("SLOTS", slots).replace("FINISHES", finishes).replace("RANK", rank)


BEAM_MISTAKES = [
    Mistake("beam_never_finishes", "beam_search",
            "a hypothesis ending in EOS is finished: set it aside instead of extending it further",
            code=beam(finishes="False")),
    Mistake("beam_unnormalised_final_choice", "beam_search",
            "compare finished hypotheses by their length-normalised score sum(log p) / L ** length_penalty",
            code=beam(rank="h[1]")),
    Mistake("beam_normalised_without_eos", "beam_search",
            "a hypothesis's length L counts its EOS token too", code=beam(
                rank="h[1] / max(1, len(h[0]) - (h[0][-1] == eos_id)) ** length_penalty")),
    Mistake("beam_finished_do_not_keep_slots", "beam_search",
            "a finished hypothesis keeps its slot: keep the best beam_size - len(finished) candidates, so the "
            "search ends once beam_size hypotheses have finished", code=beam(slots="beam_size")),
    Mistake("beam_returns_first_finished", "beam_search",
            "keep searching after the first hypothesis finishes: a longer one may score better",
            code=beam().replace("        if not live:\n", "        if finished or not live:\n")),
]

EDIT_DISTANCE_MISTAKES = [
    Mistake("edit_distance_zero_borders", "edit_distance",
            "the table's borders are D[i][0] = i and D[0][j] = j: turning a prefix into nothing costs its length",
            code='''
def edit_distance(a, b):
    previous = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        current = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
        previous = current
    return previous[-1]
'''),
    Mistake("edit_distance_borders_off_by_one", "edit_distance",
            "the borders start at 0: D[0][j] = j for j = 0..len(b), D[i][0] = i", code='''
def edit_distance(a, b):
    previous = list(range(1, len(b) + 2))
    for i in range(1, len(a) + 1):
        current = [i + 1] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
        previous = current
    return previous[-1]
'''),
    Mistake("edit_distance_substitution_costs_two", "edit_distance",
            "a substitution costs 1, like an insertion or a deletion (cost 2 gives the insert/delete distance)",
            code='''
def edit_distance(a, b):
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + 2 * (a[i - 1] != b[j - 1]))
        previous = current
    return previous[-1]
'''),
    Mistake("edit_distance_table_too_small", "edit_distance",
            "the table has len(a) + 1 rows and len(b) + 1 columns; the answer is its last entry D[len(a)][len(b)]",
            code='''
def edit_distance(a, b):
    if not a or not b:
        return 0
    D = [[0] * len(b) for _ in range(len(a))]
    for i in range(len(a)):
        for j in range(len(b)):
            if i == 0 or j == 0:
                D[i][j] = max(i, j) + (a[i] != b[j])
            else:
                D[i][j] = min(D[i - 1][j] + 1, D[i][j - 1] + 1, D[i - 1][j - 1] + (a[i] != b[j]))
    return D[-1][-1]
'''),
]

PER_MISTAKES = [
    Mistake("per_normalised_by_prediction_length", "phoneme_error_rate",
            "divide by the total length of the references, not of the predictions", code='''
def phoneme_error_rate(predictions, references):
    errors = sum(edit_distance(p, r) for p, r in zip(predictions, references))
    return errors / sum(len(p) for p in predictions)
'''),
    Mistake("per_mean_of_word_rates", "phoneme_error_rate",
            "PER is total edits over total reference phonemes: a mean of per-word rates overweights short words",
            code='''
def phoneme_error_rate(predictions, references):
    return sum(edit_distance(p, r) / len(r) for p, r in zip(predictions, references)) / len(references)
'''),
    Mistake("per_counts_wrong_words", "phoneme_error_rate",
            "count edits (edit_distance), not whole words that differ: that is the word error rate", code='''
def phoneme_error_rate(predictions, references):
    return sum(p != r for p, r in zip(predictions, references)) / len(references)
'''),
    Mistake("per_divided_by_word_count", "phoneme_error_rate",
            "divide by the number of reference phonemes, not the number of words", code='''
def phoneme_error_rate(predictions, references):
    return sum(edit_distance(p, r) for p, r in zip(predictions, references)) / len(references)
'''),
]

MISTAKES = (AUTOENCODER_MISTAKES + CORRUPT_MISTAKES + REPARAMETERIZE_MISTAKES + KL_MISTAKES + ELBO_MISTAKES
            + GRU_MISTAKES + ENCODER_MISTAKES + ATTENTION_MISTAKES + DECODER_MISTAKES + GREEDY_MISTAKES
            + BEAM_MISTAKES + EDIT_DISTANCE_MISTAKES + PER_MISTAKES)
