"""Accepted variants for week 9: correct implementations written the way learners write them.

Each `code` runs in the reference notebook's namespace (torch, F, nn, re, the special-token strings
and the reference functions are defined there) and replaces one function. `coursekit validate`
requires every one to earn full marks: a check that penalises one of them is wrong, not the variant.
Never released.
"""

from coursekit.checks import Variant

VARIANTS = [
    # ------------------------------------------------------------ format_prompt
    Variant("prompt_join_parts", "format_prompt", style="a list of parts joined with ''", code='''
def format_prompt(instruction, input=""):
    parts = [USER, instruction]
    if input:
        parts += ["\\n", input]
    parts.append(ASSISTANT)
    return "".join(parts)
'''),
    Variant("prompt_newline_join_filter", "format_prompt", style="'\\n'.join of the non-empty fields", code='''
def format_prompt(instruction, input=""):
    return USER + "\\n".join(x for x in (instruction, input) if x) + ASSISTANT
'''),
    # ------------------------------------------------------------ format_example
    Variant("example_written_out", "format_example", style="the whole template in one f-string, no format_prompt",
            code='''
def format_example(instruction, input, response):
    middle = f"{instruction}\\n{input}" if input != "" else instruction
    return f"<|user|>{middle}<|assistant|>{response}<|end|>"
'''),
    Variant("example_join", "format_example", style="''.join of prompt, response and END", code='''
def format_example(instruction, input, response):
    return "".join([format_prompt(instruction, input), response, END])
'''),
    # ------------------------------------------------------------ generate_response
    Variant("generate_tensor_context", "generate_response",
            style="a growing (1, T) tensor cropped with [:, -block_size:], torch.cat, .item()", code='''
@torch.no_grad()
def generate_response(model, prompt_ids, max_new_tokens, eos_id):
    idx = torch.tensor(prompt_ids, dtype=torch.long).unsqueeze(0)
    start = idx.size(1)
    for _ in range(max_new_tokens):
        logits = model(idx[:, -model.block_size:])
        nxt = torch.argmax(logits[:, -1, :], dim=-1, keepdim=True)
        if nxt.item() == eos_id:
            break
        idx = torch.cat([idx, nxt], dim=1)
    return idx[0, start:].tolist()
'''),
    Variant("generate_while_loop", "generate_response", style="a while loop over the response length", code='''
def generate_response(model, prompt_ids, max_new_tokens, eos_id):
    out = []
    with torch.no_grad():
        while len(out) < max_new_tokens:
            context = (list(prompt_ids) + out)[-model.block_size:]
            token = model(torch.tensor(context).view(1, -1))[0, -1].argmax().item()
            if token == eos_id:
                return out
            out.append(token)
    return out
'''),
    # ------------------------------------------------------------ exact_match
    Variant("exact_match_regex", "exact_match", style="re.sub(r'\\\\s+', ' ', s).strip() and a loop", code='''
def exact_match(predictions, references):
    def normalise(s):
        return re.sub(r"\\s+", " ", s).strip()
    hits = 0
    for p, r in zip(predictions, references):
        hits += normalise(p) == normalise(r)
    return hits / len(predictions) if predictions else 0.0
'''),
    Variant("exact_match_tensor_mean", "exact_match", style="a float tensor of matches, .mean().item()", code='''
def exact_match(predictions, references):
    if len(predictions) == 0:
        return 0.0
    same = [" ".join(p.split()) == " ".join(r.split()) for p, r in zip(predictions, references)]
    return torch.tensor(same, dtype=torch.float64).mean().item()
'''),
    # ------------------------------------------------------------ build_sft_example
    Variant("sft_example_lists", "build_sft_example", style="Python lists padded, then torch.tensor", code='''
def build_sft_example(prompt_ids, response_ids, max_len, pad_id, eos_id):
    ids = list(prompt_ids) + list(response_ids) + [eos_id]
    labels = [-100] * len(prompt_ids) + list(response_ids) + [eos_id]
    ids, labels = ids[:max_len], labels[:max_len]
    pad = max_len - len(ids)
    mask = [1] * len(ids) + [0] * pad
    ids = ids + [pad_id] * pad
    labels = labels + [-100] * pad
    return torch.tensor(ids), torch.tensor(labels), torch.tensor(mask)
'''),
    Variant("sft_example_f_pad", "build_sft_example", style="F.pad on tensors, then a where() for the labels",
            code='''
def build_sft_example(prompt_ids, response_ids, max_len, pad_id, eos_id):
    ids = torch.tensor(list(prompt_ids) + list(response_ids) + [eos_id], dtype=torch.long)[:max_len]
    n = ids.numel()
    input_ids = F.pad(ids, (0, max_len - n), value=pad_id)
    positions = torch.arange(max_len)
    supervised = (positions >= len(prompt_ids)) & (positions < n)
    labels = torch.where(supervised, input_ids, torch.tensor(-100))
    return input_ids, labels, (positions < n).long()
'''),
    # ------------------------------------------------------------ collate
    Variant("collate_pad_sequence", "collate", style="torch.nn.utils.rnn.pad_sequence, no build_sft_example", code='''
def collate(examples, pad_id, eos_id, max_len):
    from torch.nn.utils.rnn import pad_sequence
    ids, labels = [], []
    for prompt, response in examples:
        seq = torch.tensor(list(prompt) + list(response) + [eos_id])[:max_len]
        lab = torch.tensor([-100] * len(prompt) + list(response) + [eos_id])[:max_len]
        ids.append(seq)
        labels.append(lab)
    input_ids = pad_sequence(ids, batch_first=True, padding_value=pad_id)
    labels = pad_sequence(labels, batch_first=True, padding_value=-100)
    mask = pad_sequence([torch.ones_like(s) for s in ids], batch_first=True, padding_value=0)
    return input_ids, labels, mask
'''),
    Variant("collate_preallocated", "collate", style="preallocated (B, L) tensors filled row by row", code='''
def collate(examples, pad_id, eos_id, max_len):
    longest = max(len(p) + len(r) + 1 for p, r in examples)
    L = longest if longest < max_len else max_len
    B = len(examples)
    input_ids = torch.empty(B, L, dtype=torch.long)
    labels = torch.empty(B, L, dtype=torch.long)
    mask = torch.empty(B, L, dtype=torch.long)
    for b, (p, r) in enumerate(examples):
        input_ids[b], labels[b], mask[b] = build_sft_example(p, r, L, pad_id, eos_id)
    return input_ids, labels, mask
'''),
    # ------------------------------------------------------------ sequence_logprob
    Variant("logprob_cross_entropy", "sequence_logprob", style="-F.cross_entropy(reduction='none', ignore_index=-100)",
            code='''
def sequence_logprob(model, input_ids, labels):
    logits = model(input_ids)
    targets = labels[:, 1:]
    nll = F.cross_entropy(logits[:, :-1].transpose(1, 2), targets, ignore_index=-100, reduction="none")
    count = (targets != -100).sum(dim=1)
    total = -nll.sum(dim=1)
    return total, total / count
'''),
    Variant("logprob_masked_fill", "sequence_logprob", style="labels shifted with a pad column, masked_fill", code='''
def sequence_logprob(model, input_ids, labels):
    logp = F.log_softmax(model(input_ids), dim=-1)  # (B, T, V)
    shifted = torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], -100)], dim=1)  # target of each position
    valid = shifted.ne(-100)
    picked = logp.gather(2, shifted.masked_fill(~valid, 0)[..., None])[..., 0].masked_fill(~valid, 0.0)
    total = picked.sum(1)
    return total, total / valid.sum(1)
'''),
    # ------------------------------------------------------------ sft_loss
    Variant("sft_loss_from_sequence_logprob", "sft_loss", style="summed sequence_logprob over the supervised count",
            code='''
def sft_loss(model, batch):
    input_ids, labels, _ = batch
    total, _ = sequence_logprob(model, input_ids, labels)
    return -total.sum() / (labels[:, 1:] != -100).sum()
'''),
    Variant("sft_loss_manual", "sft_loss", style="log_softmax, gather and a boolean mask by hand", code='''
def sft_loss(model, batch):
    input_ids, labels, attention_mask = batch
    logits = model(input_ids)
    logits, targets = logits[:, :-1, :], labels[:, 1:]
    keep = targets != -100
    logp = torch.log_softmax(logits, dim=-1)
    picked = logp[keep].gather(-1, targets[keep].unsqueeze(-1))
    return -picked.mean()
'''),
    # ------------------------------------------------------------ dpo_loss
    Variant("dpo_softplus", "dpo_loss", style="F.softplus(-beta * margin), the same function as -logsigmoid", code='''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    margin = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)
    loss = F.softplus(-beta * margin).mean()
    with torch.no_grad():
        chosen_rewards = beta * (policy_chosen - ref_chosen)
        rejected_rewards = beta * (policy_rejected - ref_rejected)
    return loss, chosen_rewards, rejected_rewards
'''),
    Variant("dpo_trl_logratios", "dpo_loss", style="TRL's older form: pi_logratios - ref_logratios", code='''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    pi_logratios = policy_chosen - policy_rejected
    ref_logratios = ref_chosen - ref_rejected
    logits = pi_logratios - ref_logratios
    losses = -F.logsigmoid(beta * logits)
    chosen_rewards = beta * (policy_chosen - ref_chosen).detach()
    rejected_rewards = beta * (policy_rejected - ref_rejected).detach()
    return losses.mean(), chosen_rewards, rejected_rewards
'''),
    # ------------------------------------------------------------ preference_logps
    Variant("preference_concatenated", "preference_logps",
            style="TRL's concatenated forward: chosen and rejected padded to one batch", code='''
def preference_logps(policy, reference, chosen, rejected):
    T = max(chosen[0].size(1), rejected[0].size(1))
    def padded(x, value):
        return F.pad(x, (0, T - x.size(1)), value=value)
    ids = torch.cat([padded(chosen[0], 0), padded(rejected[0], 0)])
    labels = torch.cat([padded(chosen[1], -100), padded(rejected[1], -100)])
    B = chosen[0].size(0)
    policy_total, _ = sequence_logprob(policy, ids, labels)
    with torch.no_grad():
        ref_total, _ = sequence_logprob(reference, ids, labels)
    return policy_total[:B], policy_total[B:], ref_total[:B], ref_total[B:]
'''),
    Variant("preference_detach_reference", "preference_logps", style="the reference's totals detached afterwards",
            code='''
def preference_logps(policy, reference, chosen, rejected):
    out = []
    for model in (policy, reference):
        for ids, labels, _ in (chosen, rejected):
            out.append(sequence_logprob(model, ids, labels)[0])
    return out[0], out[1], out[2].detach(), out[3].detach()
'''),
    Variant("preference_inference_mode", "preference_logps", style="torch.inference_mode for the reference", code='''
def preference_logps(policy, reference, chosen, rejected):
    pc = sequence_logprob(policy, chosen[0], chosen[1])[0]
    pr = sequence_logprob(policy, rejected[0], rejected[1])[0]
    with torch.inference_mode():
        rc = sequence_logprob(reference, chosen[0], chosen[1])[0]
        rr = sequence_logprob(reference, rejected[0], rejected[1])[0]
    return pc, pr, rc, rr
'''),
]
