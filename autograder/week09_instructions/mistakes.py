"""Known wrong implementations for week 9. Each `code` runs in the reference notebook's namespace
(torch, F, nn, the special-token strings USER, ASSISTANT, END, PAD and the reference functions are
defined there) and replaces one function."""

from coursekit.checks import Mistake

TEMPLATE_MISTAKES = [
    # ------------------------------------------------------------ format_prompt
    Mistake("prompt_newline_without_input", "format_prompt",
            "with an empty input your prompt still has the newline: the template drops it, and a model trained "
            "without it sees a prompt it never saw", code='''
def format_prompt(instruction, input=""):
    return f"{USER}{instruction}\\n{input}{ASSISTANT}"
'''),
    Mistake("prompt_drops_input", "format_prompt",
            "your prompt leaves out the input: the model is asked to reverse a word it is never shown", code='''
def format_prompt(instruction, input=""):
    return f"{USER}{instruction}{ASSISTANT}"
'''),
    Mistake("prompt_no_assistant_token", "format_prompt",
            "your prompt does not end with <|assistant|>: nothing tells the model that its answer starts here",
            code='''
def format_prompt(instruction, input=""):
    return f"{USER}{instruction}\\n{input}" if input else f"{USER}{instruction}"
'''),
    Mistake("prompt_no_newline_before_input", "format_prompt",
            "your prompt glues the input to the instruction: the template puts a newline between them", code='''
def format_prompt(instruction, input=""):
    return f"{USER}{instruction}{input}{ASSISTANT}"
'''),
    # ------------------------------------------------------------ format_example
    Mistake("example_no_end_token", "format_example",
            "your example has no <|end|> after the response: a model trained on it never learns to stop", code='''
def format_example(instruction, input, response):
    return format_prompt(instruction, input) + response
'''),
    Mistake("example_newline_before_response", "format_example",
            "your example puts a newline between <|assistant|> and the response: at inference the prompt ends at "
            "<|assistant|>, so the model's first token would have to be that newline", code='''
def format_example(instruction, input, response):
    return format_prompt(instruction, input) + "\\n" + response + END
'''),
    Mistake("example_pad_as_end", "format_example",
            "your example ends with <|pad|>: the end-of-turn token is <|end|> (padding is never a target)", code='''
def format_example(instruction, input, response):
    return format_prompt(instruction, input) + response + PAD
'''),
]

DECODING_MISTAKES = [
    # ------------------------------------------------------------ generate_response
    Mistake("generate_ignores_eos", "generate_response",
            "your decoding does not stop at EOS: it writes max_new_tokens tokens every time", code='''
@torch.no_grad()
def generate_response(model, prompt_ids, max_new_tokens, eos_id):
    ids, new = list(prompt_ids), []
    for _ in range(max_new_tokens):
        next_id = int(model(torch.tensor([ids[-model.block_size:]]))[0, -1].argmax())
        ids.append(next_id)
        new.append(next_id)
    return new
'''),
    Mistake("generate_returns_eos", "generate_response",
            "your response ends with the EOS id: EOS stops decoding but is not part of the response", code='''
@torch.no_grad()
def generate_response(model, prompt_ids, max_new_tokens, eos_id):
    ids, new = list(prompt_ids), []
    for _ in range(max_new_tokens):
        next_id = int(model(torch.tensor([ids[-model.block_size:]]))[0, -1].argmax())
        ids.append(next_id)
        new.append(next_id)
        if next_id == eos_id:
            break
    return new
'''),
    Mistake("generate_returns_prompt", "generate_response",
            "you return the prompt and the response: return only the new tokens", code='''
@torch.no_grad()
def generate_response(model, prompt_ids, max_new_tokens, eos_id):
    ids = list(prompt_ids)
    for _ in range(max_new_tokens):
        next_id = int(model(torch.tensor([ids[-model.block_size:]]))[0, -1].argmax())
        if next_id == eos_id:
            break
        ids.append(next_id)
    return ids
'''),
    Mistake("generate_keeps_first_block", "generate_response",
            "you crop the context to its first block_size tokens: keep the last ones (ids[-block_size:]), where "
            "the newest tokens are", code='''
@torch.no_grad()
def generate_response(model, prompt_ids, max_new_tokens, eos_id):
    ids, new = list(prompt_ids), []
    for _ in range(max_new_tokens):
        next_id = int(model(torch.tensor([ids[:model.block_size]]))[0, -1].argmax())
        if next_id == eos_id:
            break
        ids.append(next_id)
        new.append(next_id)
    return new
'''),
    Mistake("generate_returns_tensor", "generate_response",
            "you return a tensor: return the new ids as a list of Python ints (e.g. tensor.tolist())", code='''
@torch.no_grad()
def generate_response(model, prompt_ids, max_new_tokens, eos_id):
    ids, new = list(prompt_ids), []
    for _ in range(max_new_tokens):
        next_id = model(torch.tensor([ids[-model.block_size:]]))[0, -1].argmax()
        if int(next_id) == eos_id:
            break
        ids.append(int(next_id))
        new.append(next_id)
    return torch.stack(new) if new else torch.zeros(0, dtype=torch.long)
'''),
    # ------------------------------------------------------------ exact_match
    Mistake("exact_match_not_normalised", "exact_match",
            "you compare the raw strings: strip surrounding whitespace and collapse inner runs of whitespace first",
            code='''
def exact_match(predictions, references):
    if not predictions:
        return 0.0
    return sum(p == r for p, r in zip(predictions, references)) / len(predictions)
'''),
    Mistake("exact_match_lowercases", "exact_match",
            "you lower-case before comparing: case counts here (writing a word in capitals is one of the tasks)",
            code='''
def exact_match(predictions, references):
    if not predictions:
        return 0.0
    norm = lambda s: " ".join(s.split()).lower()
    return sum(norm(p) == norm(r) for p, r in zip(predictions, references)) / len(predictions)
'''),
    Mistake("exact_match_substring", "exact_match",
            "you count a prediction that contains the reference as a match: a model that rambles on after the "
            "answer is not exactly right", code='''
def exact_match(predictions, references):
    if not predictions:
        return 0.0
    return sum(r.strip() in p for p, r in zip(predictions, references)) / len(predictions)
'''),
    Mistake("exact_match_strip_only", "exact_match",
            "you strip the ends but keep inner runs of whitespace: collapse them to one space too "
            "(' '.join(s.split()))",
            code='''
def exact_match(predictions, references):
    if not predictions:
        return 0.0
    return sum(p.strip() == r.strip() for p, r in zip(predictions, references)) / len(predictions)
'''),
    Mistake("exact_match_count", "exact_match",
            "you return the number of matches: exact match is the fraction of predictions that match", code='''
def exact_match(predictions, references):
    return float(sum(" ".join(p.split()) == " ".join(r.split()) for p, r in zip(predictions, references)))
'''),
]

SFT_MISTAKES = [
    # ------------------------------------------------------------ build_sft_example
    Mistake("sft_prompt_supervised", "build_sft_example",
            "your labels keep the prompt's ids: set them to -100, or the model is trained to write instructions",
            code='''
def build_sft_example(prompt_ids, response_ids, max_len, pad_id, eos_id):
    ids = (list(prompt_ids) + list(response_ids) + [eos_id])[:max_len]
    n = len(ids)
    input_ids = torch.full((max_len,), pad_id, dtype=torch.long)
    input_ids[:n] = torch.tensor(ids, dtype=torch.long)
    labels = torch.full((max_len,), -100, dtype=torch.long)
    labels[:n] = input_ids[:n]
    attention_mask = torch.zeros(max_len, dtype=torch.long)
    attention_mask[:n] = 1
    return input_ids, labels, attention_mask
'''),
    Mistake("sft_padding_supervised", "build_sft_example",
            "your labels keep the padding ids: padding is not text, label it -100", code='''
def build_sft_example(prompt_ids, response_ids, max_len, pad_id, eos_id):
    ids = (list(prompt_ids) + list(response_ids) + [eos_id])[:max_len]
    n, n_prompt = len(ids), min(len(prompt_ids), max_len)
    input_ids = torch.full((max_len,), pad_id, dtype=torch.long)
    input_ids[:n] = torch.tensor(ids, dtype=torch.long)
    labels = input_ids.clone()
    labels[:n_prompt] = -100
    attention_mask = torch.zeros(max_len, dtype=torch.long)
    attention_mask[:n] = 1
    return input_ids, labels, attention_mask
'''),
    Mistake("sft_eos_not_supervised", "build_sft_example",
            "your labels are -100 at the EOS token: supervise it, it is the only signal that teaches the model to "
            "stop", code='''
def build_sft_example(prompt_ids, response_ids, max_len, pad_id, eos_id):
    ids = (list(prompt_ids) + list(response_ids) + [eos_id])[:max_len]
    n, n_prompt = len(ids), min(len(prompt_ids), max_len)
    input_ids = torch.full((max_len,), pad_id, dtype=torch.long)
    input_ids[:n] = torch.tensor(ids, dtype=torch.long)
    labels = torch.full((max_len,), -100, dtype=torch.long)
    labels[n_prompt:n] = input_ids[n_prompt:n]
    labels[input_ids == eos_id] = -100
    attention_mask = torch.zeros(max_len, dtype=torch.long)
    attention_mask[:n] = 1
    return input_ids, labels, attention_mask
'''),
    Mistake("sft_no_eos", "build_sft_example",
            "your example has no EOS after the response: append eos_id (and supervise it)", code='''
def build_sft_example(prompt_ids, response_ids, max_len, pad_id, eos_id):
    ids = (list(prompt_ids) + list(response_ids))[:max_len]
    n, n_prompt = len(ids), min(len(prompt_ids), max_len)
    input_ids = torch.full((max_len,), pad_id, dtype=torch.long)
    input_ids[:n] = torch.tensor(ids, dtype=torch.long)
    labels = torch.full((max_len,), -100, dtype=torch.long)
    labels[n_prompt:n] = input_ids[n_prompt:n]
    attention_mask = torch.zeros(max_len, dtype=torch.long)
    attention_mask[:n] = 1
    return input_ids, labels, attention_mask
'''),
    Mistake("sft_left_padding", "build_sft_example",
            "you pad on the left: pad on the right, so that positions (and the learned position embeddings) start "
            "at the prompt", code='''
def build_sft_example(prompt_ids, response_ids, max_len, pad_id, eos_id):
    ids = (list(prompt_ids) + list(response_ids) + [eos_id])[:max_len]
    n, n_prompt = len(ids), min(len(prompt_ids), max_len)
    pad = max_len - n
    input_ids = torch.full((max_len,), pad_id, dtype=torch.long)
    input_ids[pad:] = torch.tensor(ids, dtype=torch.long)
    labels = torch.full((max_len,), -100, dtype=torch.long)
    labels[pad + n_prompt:] = input_ids[pad + n_prompt:]
    attention_mask = torch.zeros(max_len, dtype=torch.long)
    attention_mask[pad:] = 1
    return input_ids, labels, attention_mask
'''),
    # ------------------------------------------------------------ collate
    Mistake("collate_pads_to_max_len", "collate",
            "you pad every batch to max_len: pad to the longest example in the batch (+1 for EOS), capped at max_len",
            code='''
def collate(examples, pad_id, eos_id, max_len):
    rows = [build_sft_example(p, r, max_len, pad_id, eos_id) for p, r in examples]
    return tuple(torch.stack(column) for column in zip(*rows))
'''),
    Mistake("collate_no_room_for_eos", "collate",
            "your batch length is the longest prompt + response, with no room for EOS: the longest example loses "
            "its EOS", code='''
def collate(examples, pad_id, eos_id, max_len):
    L = min(max_len, max(len(p) + len(r) for p, r in examples))
    rows = [build_sft_example(p, r, L, pad_id, eos_id) for p, r in examples]
    return tuple(torch.stack(column) for column in zip(*rows))
'''),
    Mistake("collate_first_example_length", "collate",
            "your batch length comes from the first example: use the longest one in the batch", code='''
def collate(examples, pad_id, eos_id, max_len):
    p0, r0 = examples[0]
    L = min(max_len, len(p0) + len(r0) + 1)
    rows = [build_sft_example(p, r, L, pad_id, eos_id) for p, r in examples]
    return tuple(torch.stack(column) for column in zip(*rows))
'''),
]

LOSS_MISTAKES = [
    # ------------------------------------------------------------ sequence_logprob
    Mistake("logprob_not_shifted", "sequence_logprob",
            "you score labels[:, t] with the logits at t: the logits at t predict the NEXT token, so compare "
            "logits[:, :-1] with labels[:, 1:]", code='''
def sequence_logprob(model, input_ids, labels):
    logits = model(input_ids)
    scored = labels != -100
    logp = torch.log_softmax(logits, -1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    total = (logp * scored).sum(-1)
    return total, total / scored.sum(-1)
'''),
    Mistake("logprob_shifted_backwards", "sequence_logprob",
            "you shifted the wrong way (logits[:, 1:] against labels[:, :-1]): the logits at t - 1 score the token "
            "at t", code='''
def sequence_logprob(model, input_ids, labels):
    logits = model(input_ids)[:, 1:]
    targets = labels[:, :-1]
    scored = targets != -100
    logp = torch.log_softmax(logits, -1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    total = (logp * scored).sum(-1)
    return total, total / scored.sum(-1)
'''),
    Mistake("logprob_mean_over_all_positions", "sequence_logprob",
            "your mean divides by every position: divide by the number of response tokens (labels != -100)",
            code='''
def sequence_logprob(model, input_ids, labels):
    logits = model(input_ids)[:, :-1]
    targets = labels[:, 1:]
    scored = targets != -100
    logp = torch.log_softmax(logits, -1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    total = (logp * scored).sum(-1)
    return total, total / targets.size(1)
'''),
    Mistake("logprob_scores_every_token", "sequence_logprob",
            "you score every next token of input_ids: only positions whose label is not -100 (the response) count",
            code='''
def sequence_logprob(model, input_ids, labels):
    logp = torch.log_softmax(model(input_ids)[:, :-1], -1).gather(-1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    return logp.sum(-1), logp.mean(-1)
'''),
    Mistake("logprob_log_of_softmax", "sequence_logprob",
            "log(softmax(z)) underflows to -inf for unlikely tokens in float32: use torch.log_softmax", code='''
def sequence_logprob(model, input_ids, labels):
    logits = model(input_ids)[:, :-1]
    targets = labels[:, 1:]
    scored = targets != -100
    logp = torch.log(torch.softmax(logits, -1)).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    total = torch.where(scored, logp, torch.zeros_like(logp)).sum(-1)
    return total, total / scored.sum(-1)
'''),
    # ------------------------------------------------------------ sft_loss
    Mistake("sft_loss_not_shifted", "sft_loss",
            "your loss compares the logits at t with labels[:, t]: shift them (logits[:, :-1] with labels[:, 1:])",
            code='''
def sft_loss(model, batch):
    input_ids, labels, _ = batch
    logits = model(input_ids)
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
'''),
    Mistake("sft_loss_attention_mask_as_labels", "sft_loss",
            "you take the targets from input_ids wherever attention_mask is 1: that trains on the prompt too; the "
            "targets are the labels (-100 on the prompt)", code='''
def sft_loss(model, batch):
    input_ids, _, attention_mask = batch
    targets = input_ids.masked_fill(attention_mask == 0, -100)
    logits = model(input_ids)
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), targets[:, 1:].flatten(), ignore_index=-100)
'''),
    Mistake("sft_loss_mean_of_sequence_means", "sft_loss",
            "you average per-sequence means: every supervised token of the batch counts once (a 2-token answer "
            "must not weigh as much as a 9-token one)", code='''
def sft_loss(model, batch):
    input_ids, labels, _ = batch
    logits = model(input_ids)[:, :-1]
    targets = labels[:, 1:]
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=-100, reduction="none")
    return (per_token.sum(1) / (targets != -100).sum(1)).mean()
'''),
    Mistake("sft_loss_sum", "sft_loss",
            "you return the sum over tokens: return the mean, or the loss (and the step size) grows with the batch",
            code='''
def sft_loss(model, batch):
    input_ids, labels, _ = batch
    logits = model(input_ids)
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), labels[:, 1:].flatten(), ignore_index=-100,
                           reduction="sum")
'''),
]

DPO_MISTAKES = [
    # ------------------------------------------------------------ dpo_loss
    Mistake("dpo_policy_reference_swapped", "dpo_loss",
            "your log-ratios are reference minus policy: the implicit reward is beta * (log pi_theta - log pi_ref)",
            code='''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    chosen_rewards = beta * (ref_chosen - policy_chosen)
    rejected_rewards = beta * (ref_rejected - policy_rejected)
    loss = -F.logsigmoid(chosen_rewards - rejected_rewards).mean()
    return loss, chosen_rewards.detach(), rejected_rewards.detach()
'''),
    Mistake("dpo_margin_sign_flipped", "dpo_loss",
            "your loss uses rejected minus chosen: it pushes the policy towards the rejected answers", code='''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    chosen_rewards = beta * (policy_chosen - ref_chosen)
    rejected_rewards = beta * (policy_rejected - ref_rejected)
    loss = -F.logsigmoid(rejected_rewards - chosen_rewards).mean()
    return loss, chosen_rewards.detach(), rejected_rewards.detach()
'''),
    Mistake("dpo_no_beta", "dpo_loss",
            "your loss leaves beta out of the sigmoid: beta scales the margin inside log sigmoid (it sets how far the "
            "policy may drift from the reference)", code='''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    chosen_logratio = policy_chosen - ref_chosen
    rejected_logratio = policy_rejected - ref_rejected
    loss = -F.logsigmoid(chosen_logratio - rejected_logratio).mean()
    return loss, (beta * chosen_logratio).detach(), (beta * rejected_logratio).detach()
'''),
    Mistake("dpo_log_of_sigmoid", "dpo_loss",
            "log(sigmoid(x)) is -inf in float32 once x < -104 or so: use F.logsigmoid", code='''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    chosen_rewards = beta * (policy_chosen - ref_chosen)
    rejected_rewards = beta * (policy_rejected - ref_rejected)
    loss = -torch.log(torch.sigmoid(chosen_rewards - rejected_rewards)).mean()
    return loss, chosen_rewards.detach(), rejected_rewards.detach()
'''),
    Mistake("dpo_rewards_not_detached", "dpo_loss",
            "your rewards still carry the graph: return them detached (.detach()), they are only logged", code='''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    chosen_rewards = beta * (policy_chosen - ref_chosen)
    rejected_rewards = beta * (policy_rejected - ref_rejected)
    loss = -F.logsigmoid(chosen_rewards - rejected_rewards).mean()
    return loss, chosen_rewards, rejected_rewards
'''),
    # ------------------------------------------------------------ preference_logps
    Mistake("preference_reference_trainable", "preference_logps",
            "the reference's log-probs carry a graph: compute them under torch.no_grad() so the reference stays "
            "frozen", code='''
def preference_logps(policy, reference, chosen, rejected):
    policy_chosen, _ = sequence_logprob(policy, chosen[0], chosen[1])
    policy_rejected, _ = sequence_logprob(policy, rejected[0], rejected[1])
    ref_chosen, _ = sequence_logprob(reference, chosen[0], chosen[1])
    ref_rejected, _ = sequence_logprob(reference, rejected[0], rejected[1])
    return policy_chosen, policy_rejected, ref_chosen, ref_rejected
'''),
    Mistake("preference_policy_without_grad", "preference_logps",
            "you computed the policy's log-probs under no_grad too: the policy is what DPO trains", code='''
def preference_logps(policy, reference, chosen, rejected):
    with torch.no_grad():
        policy_chosen, _ = sequence_logprob(policy, chosen[0], chosen[1])
        policy_rejected, _ = sequence_logprob(policy, rejected[0], rejected[1])
        ref_chosen, _ = sequence_logprob(reference, chosen[0], chosen[1])
        ref_rejected, _ = sequence_logprob(reference, rejected[0], rejected[1])
    return policy_chosen, policy_rejected, ref_chosen, ref_rejected
'''),
    Mistake("preference_mean_not_sum", "preference_logps",
            "you return mean log-probs: DPO uses the summed log-probability of the whole response", code='''
def preference_logps(policy, reference, chosen, rejected):
    _, policy_chosen = sequence_logprob(policy, chosen[0], chosen[1])
    _, policy_rejected = sequence_logprob(policy, rejected[0], rejected[1])
    with torch.no_grad():
        _, ref_chosen = sequence_logprob(reference, chosen[0], chosen[1])
        _, ref_rejected = sequence_logprob(reference, rejected[0], rejected[1])
    return policy_chosen, policy_rejected, ref_chosen, ref_rejected
'''),
    Mistake("preference_models_swapped", "preference_logps",
            "policy and reference are swapped: the first argument is the policy being trained", code='''
def preference_logps(policy, reference, chosen, rejected):
    policy_chosen, _ = sequence_logprob(reference, chosen[0], chosen[1])
    policy_rejected, _ = sequence_logprob(reference, rejected[0], rejected[1])
    with torch.no_grad():
        ref_chosen, _ = sequence_logprob(policy, chosen[0], chosen[1])
        ref_rejected, _ = sequence_logprob(policy, rejected[0], rejected[1])
    return policy_chosen, policy_rejected, ref_chosen, ref_rejected
'''),
]

MISTAKES = TEMPLATE_MISTAKES + DECODING_MISTAKES + SFT_MISTAKES + LOSS_MISTAKES + DPO_MISTAKES
