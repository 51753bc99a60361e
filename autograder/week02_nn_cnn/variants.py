"""Accepted variants for week 2: correct implementations written the way learners write them.

Each `code` runs in the reference notebook's namespace (math, torch, nn, F and the reference
functions are defined there) and replaces one function; a module keeps its given __init__
(`class X(X)`) and gets another forward. `coursekit validate` requires every one to earn full marks:
a check that penalises one of them is wrong, not the variant. Never released.
"""

from coursekit.checks import Variant

LINEAR_VARIANTS = [
    Variant("linear_forward_addmm", "linear_forward", style="torch.addmm(bias, x, weight.t())", code='''
def linear_forward(x, weight, bias):
    return torch.addmm(bias, x, weight.t())
'''),
    Variant("linear_forward_einsum", "linear_forward", style="einsum over the input dim", code='''
def linear_forward(x, weight, bias):
    return torch.einsum("ni,oi->no", x, weight) + bias[None, :]
'''),
    Variant("linear_forward_functional", "linear_forward", style="F.linear", code='''
def linear_forward(x, weight, bias):
    return F.linear(x, weight, bias)
'''),
    Variant("linear_backward_einsum", "linear_backward", style="einsum for each gradient", code='''
def linear_backward(grad_out, x, weight):
    grad_x = torch.einsum("no,oi->ni", grad_out, weight)
    grad_w = torch.einsum("no,ni->oi", grad_out, x)
    return grad_x, grad_w, torch.einsum("no->o", grad_out)
'''),
    Variant("linear_backward_matmul_transposes", "linear_backward",
            style="(x.T @ grad_out).T and torch.sum with a tuple of dims", code='''
def linear_backward(grad_out, x, weight):
    dW = (x.T @ grad_out).T
    db = torch.sum(grad_out, dim=(0,))
    return torch.matmul(grad_out, weight), dW, db
'''),
    Variant("relu_backward_where", "relu_backward", style="torch.where(x > 0, grad, 0)", code='''
def relu_backward(grad_out, x):
    return torch.where(x > 0, grad_out, torch.zeros_like(grad_out))
'''),
    Variant("relu_backward_masked_fill", "relu_backward", style="clone + masked_fill(x <= 0, 0)", code='''
def relu_backward(grad_out, x):
    return grad_out.clone().masked_fill(x <= 0, 0.0)
'''),
    Variant("relu_backward_heaviside", "relu_backward", style="torch.heaviside with value 0 at 0", code='''
def relu_backward(grad_out, x):
    return grad_out * torch.heaviside(x, torch.zeros_like(x))
'''),
]

SOFTMAX_VARIANTS = [
    Variant("softmax_logsumexp_onehot", "softmax_cross_entropy",
            style="torch.logsumexp, a one-hot matrix from F.one_hot", code='''
def softmax_cross_entropy(logits, y):
    N, C = logits.shape
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    onehot = F.one_hot(y, C).to(logits.dtype)
    loss = -(onehot * log_probs).sum() / N
    return loss, (log_probs.exp() - onehot) / N
'''),
    Variant("softmax_library_calls", "softmax_cross_entropy", style="F.cross_entropy and F.softmax", code='''
def softmax_cross_entropy(logits, y):
    probs = F.softmax(logits, dim=1)
    grad = probs - F.one_hot(y, logits.shape[1]).to(logits.dtype)
    return F.cross_entropy(logits, y), grad / logits.shape[0]
'''),
    Variant("softmax_manual_max_gather", "softmax_cross_entropy",
            style="max via .max(dim).values, gather for the true-class log-probability, scatter_add for the gradient",
            code='''
def softmax_cross_entropy(logits, y):
    z = logits - logits.max(dim=1, keepdim=True).values
    lse = z.exp().sum(dim=1).log()
    loss = (lse - z.gather(1, y[:, None]).squeeze(1)).mean()
    p = z.exp() / z.exp().sum(dim=1, keepdim=True)
    grad = p.scatter_add(1, y[:, None], -torch.ones(len(y), 1, dtype=p.dtype))
    return loss, grad / len(y)
'''),
]

GRADIENT_CHECK_VARIANTS = [
    Variant("gradient_check_nditer_clone", "gradient_check",
            style="a fresh copy per perturbation, itertools over indices, torch.linalg.norm", code='''
def gradient_check(f, x, analytic, eps=1e-6):
    import itertools
    numerical = torch.empty_like(x)
    for index in itertools.product(*(range(n) for n in x.shape)):
        plus, minus = x.clone(), x.clone()
        plus[index] += eps
        minus[index] -= eps
        numerical[index] = (f(plus) - f(minus)) / (2 * eps)
    num = torch.linalg.norm(analytic - numerical)
    den = torch.linalg.norm(analytic) + torch.linalg.norm(numerical)
    return numerical, 0.0 if den == 0 else float(num / den)
'''),
    Variant("gradient_check_basis_vectors", "gradient_check",
            style="perturbs with eps times a basis tensor; sqrt of sums of squares", code='''
def gradient_check(f, x, analytic, eps=1e-6):
    flat = x.reshape(-1)
    grads = []
    for i in range(flat.numel()):
        e = torch.zeros_like(flat)
        e[i] = eps
        grads.append((f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * eps))
    numerical = torch.stack(grads).reshape(x.shape).to(x.dtype)
    diff = ((analytic - numerical) ** 2).sum().sqrt()
    total = (analytic**2).sum().sqrt() + (numerical**2).sum().sqrt()
    return numerical, (diff / total).item() if total > 0 else 0.0
'''),
]

OPTIMISER_VARIANTS = [
    Variant("sgd_momentum_add_alpha", "sgd_momentum_step", style="torch.add with alpha, as torch.optim writes it",
            code='''
def sgd_momentum_step(param, grad, velocity, lr, momentum=0.9):
    buf = grad.add(velocity, alpha=momentum)
    return param.add(buf, alpha=-lr), buf
'''),
    Variant("sgd_momentum_clone_inplace", "sgd_momentum_step", style="clones, then in-place mul_/add_/sub_",
            code='''
def sgd_momentum_step(param, grad, velocity, lr, momentum=0.9):
    v = velocity.clone().mul_(momentum).add_(grad)
    p = param.clone()
    p.sub_(lr * v)
    return p, v
'''),
    Variant("adam_torch_style_denominator", "adam_step",
            style="torch.optim.Adam's arrangement: lerp for m, sqrt(v)/sqrt(1-beta2^t) + eps, step size lr/(1-beta1^t)",
            code='''
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = torch.lerp(m, grad, 1 - beta1)
    v = v * beta2 + (1 - beta2) * grad * grad
    denom = v.sqrt() / math.sqrt(1 - beta2**t) + eps
    return param - (lr / (1 - beta1**t)) * m / denom, m, v
'''),
    Variant("adam_addcmul", "adam_step", style="clones, mul_/add_/addcmul_, torch.sqrt", code='''
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    m_new = m.clone().mul_(b1).add_(grad, alpha=1 - b1)
    v_new = v.clone().mul_(b2).addcmul_(grad, grad, value=1 - b2)
    m_hat = m_new / (1 - b1**t)
    v_hat = v_new / (1 - b2**t)
    return param - lr * m_hat / (torch.sqrt(v_hat) + eps), m_new, v_new
'''),
]

CONV_VARIANTS = [
    Variant("conv2d_f_unfold", "conv2d", style="F.unfold (im2col in one call), padding given to unfold", code='''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    N, _, H, W = x.shape
    C_out, _, kH, kW = weight.shape
    cols = F.unfold(x, (kH, kW), padding=padding, stride=stride)  # (N, C_in*kH*kW, L)
    out = weight.view(C_out, -1) @ cols  # (N, C_out, L)
    if bias is not None:
        out += bias.view(1, -1, 1)
    H_out = (H + 2 * padding - kH) // stride + 1
    W_out = (W + 2 * padding - kW) // stride + 1
    return out.view(N, C_out, H_out, W_out)
'''),
    Variant("conv2d_shifted_slices", "conv2d", style="sum over kernel offsets of strided slices (no im2col matrix)",
            code='''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, [padding] * 4)
    C_out, C_in, kH, kW = weight.shape
    H_out = (x.shape[2] - kH) // stride + 1
    W_out = (x.shape[3] - kW) // stride + 1
    out = torch.zeros(x.shape[0], C_out, H_out, W_out, dtype=x.dtype)
    for u in range(kH):
        for v in range(kW):
            piece = x[:, :, u: u + stride * (H_out - 1) + 1: stride, v: v + stride * (W_out - 1) + 1: stride]
            out += torch.einsum("nchw,oc->nohw", piece, weight[:, :, u, v])
    if bias is not None:
        out += bias[None, :, None, None]
    return out
'''),
]

POOL_VARIANTS = [
    Variant("max_pool2d_f_unfold", "max_pool2d", style="F.unfold on an input padded with -inf, max over the patch",
            code='''
def max_pool2d(x, kernel_size, stride=None, padding=0):
    if stride is None:
        stride = kernel_size
    N, C, H, W = x.shape
    xp = F.pad(x, (padding, padding, padding, padding), value=-math.inf)
    H_out = (H + 2 * padding - kernel_size) // stride + 1
    W_out = (W + 2 * padding - kernel_size) // stride + 1
    cols = F.unfold(xp.reshape(N * C, 1, *xp.shape[2:]), kernel_size, stride=stride)
    return cols.max(dim=1).values.reshape(N, C, H_out, W_out)
'''),
    Variant("max_pool2d_loops", "max_pool2d", style="loops over output positions", code='''
def max_pool2d(x, kernel_size, stride=None, padding=0):
    s = stride or kernel_size
    xp = F.pad(x, (padding,) * 4, value=float("-inf"))
    H_out = (xp.shape[2] - kernel_size) // s + 1
    W_out = (xp.shape[3] - kernel_size) // s + 1
    out = torch.empty(*x.shape[:2], H_out, W_out, dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            window = xp[:, :, i * s: i * s + kernel_size, j * s: j * s + kernel_size]
            out[:, :, i, j] = window.flatten(2).max(dim=2).values
    return out
'''),
    Variant("avg_pool2d_depthwise_conv", "avg_pool2d", style="a depthwise convolution with a constant 1/k^2 kernel",
            code='''
def avg_pool2d(x, kernel_size, stride=None, padding=0):
    stride = stride or kernel_size
    C = x.shape[1]
    kernel = torch.full((C, 1, kernel_size, kernel_size), 1.0 / kernel_size**2, dtype=x.dtype)
    return F.conv2d(x, kernel, stride=stride, padding=padding, groups=C)
'''),
    Variant("avg_pool2d_sum_then_divide", "avg_pool2d", style="unfold, sum, divide by kernel_size squared", code='''
def avg_pool2d(x, kernel_size, stride=None, padding=0):
    if stride is None:
        stride = kernel_size
    xp = F.pad(x, (padding, padding, padding, padding), mode="constant", value=0.0)
    windows = xp.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)
    return windows.sum(dim=(-1, -2)) / (kernel_size * kernel_size)
'''),
    Variant("max_pool2d_backward_loops", "max_pool2d_backward", style="loops over windows, argmax per window, +=",
            code='''
def max_pool2d_backward(grad_out, x, kernel_size, stride=None):
    s = kernel_size if stride is None else stride
    N, C, H_out, W_out = grad_out.shape
    grad_x = torch.zeros_like(x, dtype=grad_out.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * s: i * s + kernel_size, j * s: j * s + kernel_size]
                    r, q = divmod(int(window.argmax()), kernel_size)
                    grad_x[n, c, i * s + r, j * s + q] += grad_out[n, c, i, j]
    return grad_x
'''),
    Variant("max_pool2d_backward_fold", "max_pool2d_backward",
            style="one-hot of the window maxima times the gradient, summed back by F.fold", code='''
def max_pool2d_backward(grad_out, x, kernel_size, stride=None):
    stride = stride or kernel_size
    N, C, H, W = x.shape
    cols = F.unfold(x.reshape(N * C, 1, H, W), kernel_size, stride=stride)  # (N*C, k*k, L)
    onehot = F.one_hot(cols.argmax(dim=1), kernel_size * kernel_size).transpose(1, 2).to(grad_out.dtype)
    cols_grad = onehot * grad_out.reshape(N * C, 1, -1)
    return F.fold(cols_grad, (H, W), kernel_size, stride=stride).reshape(N, C, H, W)
'''),
]

FIELD_VARIANTS = [
    Variant("receptive_field_backwards", "receptive_field",
            style="from the output back: r = r * s + (k - s)", code='''
def receptive_field(layers):
    r = 1
    for k, s in reversed(layers):
        r = r * s + (k - s)
    return r
'''),
    Variant("receptive_field_prefix_products", "receptive_field",
            style="1 + sum of (k_l - 1) times the product of earlier strides, with math.prod", code='''
def receptive_field(layers):
    strides = [s for _, s in layers]
    return 1 + sum((k - 1) * math.prod(strides[:i]) for i, (k, _) in enumerate(layers))
'''),
    Variant("count_parameters_named_loop", "count_parameters",
            style="a loop over named_parameters, math.prod of shapes",
            code='''
def count_parameters(model):
    total = 0
    for _, p in model.named_parameters():
        if p.requires_grad:
            total += math.prod(p.shape)
    return total
'''),
    Variant("count_parameters_dedup_by_id", "count_parameters",
            style="deduplicates shared tensors by id over every module's own parameters", code='''
def count_parameters(model):
    seen = {}
    for module in model.modules():
        for p in module.parameters(recurse=False):
            if p.requires_grad:
                seen[id(p)] = p.numel()
    return sum(seen.values())
'''),
]

LAYER_VARIANTS = [
    Variant("bilinear_outer_product", "Bilinear",
            style="flattened outer product x1 x2^T times the flattened weight (a linear map on x1 (x) x2)", code='''
class Bilinear(Bilinear):
    def forward(self, x1, x2):
        outer = x1.unsqueeze(-1) * x2.unsqueeze(-2)  # (..., in1, in2)
        y = outer.flatten(-2) @ self.weight.flatten(1).T
        return y if self.bias is None else y + self.bias
'''),
    Variant("bilinear_matmul_steps", "Bilinear", style="x1 @ W_k for every k by broadcasting, then a dot with x2",
            code='''
class Bilinear(Bilinear):
    def forward(self, x1, x2):
        lead = x1.shape[:-1]
        a, b = x1.reshape(-1, x1.shape[-1]), x2.reshape(-1, x2.shape[-1])
        left = torch.matmul(a.unsqueeze(0), self.weight)  # (out, B, in2)
        y = (left * b.unsqueeze(0)).sum(-1).T  # (B, out)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*lead, -1)
'''),
    Variant("bilinear_functional", "Bilinear", style="F.bilinear", code='''
class Bilinear(Bilinear):
    def forward(self, x1, x2):
        return F.bilinear(x1, x2, self.weight, self.bias)
'''),
    Variant("partial_conv_nvidia_style", "PartialConv2d",
            style="NVIDIA's reference: ratio = k*k / (sum(M) + 1e-8), (raw - b) * ratio + b, then times the mask",
            code='''
class PartialConv2d(PartialConv2d):
    def forward(self, x, mask):
        k = self.kernel_size
        with torch.no_grad():
            updater = torch.ones(1, 1, k, k).to(x)
            update_mask = F.conv2d(mask, updater, bias=None, stride=self.stride, padding=self.padding)
            ratio = (k * k) / (update_mask + 1e-8)
            update_mask = torch.clamp(update_mask, 0, 1)
            ratio = ratio * update_mask
        raw = F.conv2d(x * mask, self.weight, self.bias, self.stride, self.padding)
        if self.bias is not None:
            b = self.bias.view(1, -1, 1, 1)
            out = ((raw - b) * ratio + b) * update_mask
        else:
            out = raw * ratio
        return out, update_mask
'''),
    Variant("partial_conv_where", "PartialConv2d",
            style="torch.where on the window count, the bias added through the conv call", code='''
class PartialConv2d(PartialConv2d):
    def forward(self, x, mask):
        k = self.kernel_size
        count = F.conv2d(mask, torch.ones(1, 1, k, k, dtype=mask.dtype), stride=self.stride, padding=self.padding)
        seen = count > 0
        raw = F.conv2d(x * mask, self.weight, stride=self.stride, padding=self.padding)
        scaled = torch.where(seen, raw * (k * k) / torch.where(seen, count, torch.ones_like(count)), 0.0)
        if self.bias is not None:
            scaled = torch.where(seen, scaled + self.bias[None, :, None, None], 0.0)
        return scaled, seen.to(x.dtype)
'''),
]

LOOP_VARIANTS = [
    Variant("train_epoch_sum_reduction", "train_epoch",
            style="zero_grad(set_to_none=False), a summed loss tensor kept detached, len(x) counts", code='''
def train_epoch(model, loader, optimizer):
    model.train(True)
    running = 0.0
    seen = 0
    for inputs, targets in loader:
        optimizer.zero_grad(set_to_none=False)
        logits = model(inputs)
        loss = F.cross_entropy(logits, targets)
        loss.backward()
        optimizer.step()
        running = running + loss.detach() * inputs.shape[0]
        seen += inputs.shape[0]
    return float(running / seen)
'''),
    Variant("train_epoch_model_zero_grad", "train_epoch",
            style="model.zero_grad(), nn.CrossEntropyLoss, a list of (loss, size) pairs", code='''
def train_epoch(model, loader, optimizer):
    model.train()
    criterion = nn.CrossEntropyLoss()
    records = []
    for x, y in loader:
        model.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        records.append((loss.item(), len(y)))
    return sum(l * n for l, n in records) / sum(n for _, n in records)
'''),
    Variant("evaluate_inference_mode", "evaluate",
            style="torch.inference_mode, mean losses weighted by batch size, restores nothing", code='''
def evaluate(model, loader):
    model.eval()
    loss_sum, hits, n = 0.0, 0.0, 0
    with torch.inference_mode():
        for x, y in loader:
            out = model(x)
            loss_sum += F.cross_entropy(out, y).item() * y.numel()
            hits += (out.max(dim=1).indices == y).float().sum().item()
            n += y.numel()
    return loss_sum / n, hits / n
'''),
    Variant("evaluate_collect_then_score", "evaluate",
            style="a decorator-free no_grad block that concatenates all logits, then scores once; restores the mode",
            code='''
def evaluate(model, loader):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits, labels = [], []
        for x, y in loader:
            logits.append(model(x))
            labels.append(y)
        logits, labels = torch.cat(logits), torch.cat(labels)
        loss = F.cross_entropy(logits, labels).item()
        accuracy = (logits.argmax(-1) == labels).double().mean().item()
    model.train(was_training)
    return loss, accuracy
'''),
]

VARIANTS = (LINEAR_VARIANTS + SOFTMAX_VARIANTS + GRADIENT_CHECK_VARIANTS + OPTIMISER_VARIANTS + CONV_VARIANTS
            + POOL_VARIANTS + FIELD_VARIANTS + LAYER_VARIANTS + LOOP_VARIANTS)
