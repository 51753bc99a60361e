"""Known wrong implementations for week 2. Each `code` runs in the reference notebook's namespace
(math, torch, nn, F and the reference functions are defined there) and replaces one function;
a module keeps its given __init__ (`class X(X)`) and gets a wrong forward."""

from coursekit.checks import Mistake

LINEAR_MISTAKES = [
    Mistake("linear_forward_no_transpose", "linear_forward",
            "weight has shape (D_out, D_in), one row per output: multiply by weight.T (x @ weight.T)", code='''
def linear_forward(x, weight, bias):
    return x @ weight + bias
'''),
    Mistake("linear_forward_no_bias", "linear_forward", "add the bias: y = x W^T + b", code='''
def linear_forward(x, weight, bias):
    return x @ weight.T
'''),
    Mistake("linear_forward_outputs_as_rows", "linear_forward",
            "return one row per example, (N, D_out): W x^T gives (D_out, N)", code='''
def linear_forward(x, weight, bias):
    return weight @ x.T + bias[:, None]
'''),
    Mistake("linear_backward_grad_weight_transposed", "linear_backward",
            "grad_weight has the shape of weight, (D_out, D_in): grad_out.T @ x, not x.T @ grad_out", code='''
def linear_backward(grad_out, x, weight):
    return grad_out @ weight, x.T @ grad_out, grad_out.sum(dim=0)
'''),
    Mistake("linear_backward_bias_mean", "linear_backward",
            "the bias gradient is the sum of grad_out over the batch, not its mean: b was added to every row",
            code='''
def linear_backward(grad_out, x, weight):
    return grad_out @ weight, grad_out.T @ x, grad_out.mean(dim=0)
'''),
    Mistake("linear_backward_grad_x_transposed_weight", "linear_backward",
            "grad_x = grad_out @ weight (N, D_out) @ (D_out, D_in); weight.T belongs to the forward pass", code='''
def linear_backward(grad_out, x, weight):
    return grad_out @ weight.T, grad_out.T @ x, grad_out.sum(dim=0)
'''),
    Mistake("linear_backward_bias_wrong_axis", "linear_backward",
            "sum grad_out over the batch (dim 0) for the bias: one value per output unit", code='''
def linear_backward(grad_out, x, weight):
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(dim=1)
'''),
    Mistake("relu_backward_passes_at_zero", "relu_backward",
            "the gradient at x == 0 is 0 (use x > 0, not x >= 0), as in PyTorch", code='''
def relu_backward(grad_out, x):
    return grad_out * (x >= 0)
'''),
    Mistake("relu_backward_mask_from_gradient", "relu_backward",
            "the mask comes from the forward input x (x > 0), not from the sign of the incoming gradient", code='''
def relu_backward(grad_out, x):
    return grad_out * (grad_out > 0)
'''),
    Mistake("relu_backward_mask_only", "relu_backward",
            "multiply the incoming gradient by the mask: the chain rule, not the local derivative alone", code='''
def relu_backward(grad_out, x):
    return (x > 0).to(grad_out.dtype)
'''),
]

SOFTMAX_MISTAKES = [
    Mistake("softmax_no_max_subtraction", "softmax_cross_entropy",
            "subtract each row's max before exp(): exp(1000) overflows to inf and inf/inf is NaN", code='''
def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    e = logits.exp()
    probs = e / e.sum(dim=1, keepdim=True)
    rows = torch.arange(N)
    loss = -probs[rows, y].log().mean()
    grad = probs.clone()
    grad[rows, y] -= 1
    return loss, grad / N
'''),
    Mistake("softmax_log_of_softmax", "softmax_cross_entropy",
            "don't take log(softmax): probabilities that underflow to 0 give -inf; use log-sum-exp", code='''
def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    e = (logits - logits.amax(dim=1, keepdim=True)).exp()
    probs = e / e.sum(dim=1, keepdim=True)
    rows = torch.arange(N)
    loss = -probs[rows, y].log().mean()
    grad = probs.clone()
    grad[rows, y] -= 1
    return loss, grad / N
'''),
    Mistake("softmax_grad_not_divided_by_batch", "softmax_cross_entropy",
            "the loss is a mean over the batch, so dlogits = (softmax - onehot) / N", code='''
def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    log_probs = logits.log_softmax(dim=1)
    rows = torch.arange(N)
    grad = log_probs.exp()
    grad[rows, y] -= 1
    return -log_probs[rows, y].mean(), grad
'''),
    Mistake("softmax_loss_summed", "softmax_cross_entropy",
            "return the mean cross-entropy over the batch, not the sum", code='''
def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    log_probs = logits.log_softmax(dim=1)
    rows = torch.arange(N)
    grad = log_probs.exp()
    grad[rows, y] -= 1
    return -log_probs[rows, y].sum(), grad / N
'''),
]

GRADIENT_CHECK_MISTAKES = [
    Mistake("gradient_check_forward_difference", "gradient_check",
            "use central differences (f(x+eps) - f(x-eps)) / (2 eps): the one-sided formula is only O(eps)",
            code='''
def gradient_check(f, x, analytic, eps=1e-6):
    x = x.detach().clone()
    numerical = torch.zeros_like(x)
    base = float(f(x))
    for i in range(x.numel()):
        old = x.view(-1)[i].item()
        x.view(-1)[i] = old + eps
        numerical.view(-1)[i] = (float(f(x)) - base) / eps
        x.view(-1)[i] = old
    scale = (analytic.norm() + numerical.norm()).item()
    return numerical, (analytic - numerical).norm().item() / scale if scale > 0 else 0.0
'''),
    Mistake("gradient_check_divides_by_eps", "gradient_check",
            "a central difference spans 2 eps: divide f(x+eps) - f(x-eps) by 2 * eps", code='''
def gradient_check(f, x, analytic, eps=1e-6):
    x = x.detach().clone()
    numerical = torch.zeros_like(x)
    for i in range(x.numel()):
        old = x.view(-1)[i].item()
        x.view(-1)[i] = old + eps
        plus = float(f(x))
        x.view(-1)[i] = old - eps
        minus = float(f(x))
        x.view(-1)[i] = old
        numerical.view(-1)[i] = (plus - minus) / eps
    scale = (analytic.norm() + numerical.norm()).item()
    return numerical, (analytic - numerical).norm().item() / scale if scale > 0 else 0.0
'''),
    Mistake("gradient_check_perturbs_all_at_once", "gradient_check",
            "perturb one coordinate at a time: moving every entry by eps measures a directional derivative",
            code='''
def gradient_check(f, x, analytic, eps=1e-6):
    x = x.detach()
    slope = (float(f(x + eps)) - float(f(x - eps))) / (2 * eps)
    numerical = torch.full_like(x, slope)
    scale = (analytic.norm() + numerical.norm()).item()
    return numerical, (analytic - numerical).norm().item() / scale if scale > 0 else 0.0
'''),
    Mistake("gradient_check_relative_to_analytic_only", "gradient_check",
            "divide by ||analytic|| + ||numerical|| (and return 0.0 when both are 0), as the docstring says",
            code='''
def gradient_check(f, x, analytic, eps=1e-6):
    x = x.detach().clone()
    numerical = torch.zeros_like(x)
    for i in range(x.numel()):
        old = x.view(-1)[i].item()
        x.view(-1)[i] = old + eps
        plus = float(f(x))
        x.view(-1)[i] = old - eps
        minus = float(f(x))
        x.view(-1)[i] = old
        numerical.view(-1)[i] = (plus - minus) / (2 * eps)
    return numerical, ((analytic - numerical).norm() / analytic.norm()).item()
'''),
]

OPTIMISER_MISTAKES = [
    Mistake("sgd_momentum_on_gradient", "sgd_momentum_step",
            "momentum decays the velocity: v = momentum * v + grad, not v + momentum * grad", code='''
def sgd_momentum_step(param, grad, velocity, lr, momentum=0.9):
    velocity = velocity + momentum * grad
    return param - lr * velocity, velocity
'''),
    Mistake("sgd_momentum_dampened", "sgd_momentum_step",
            "torch.optim.SGD adds the whole gradient to the velocity (v = momentum * v + grad), with no (1 - momentum)",
            code='''
def sgd_momentum_step(param, grad, velocity, lr, momentum=0.9):
    velocity = momentum * velocity + (1 - momentum) * grad
    return param - lr * velocity, velocity
'''),
    Mistake("sgd_momentum_steps_with_old_velocity", "sgd_momentum_step",
            "update the velocity first, then step with the new velocity", code='''
def sgd_momentum_step(param, grad, velocity, lr, momentum=0.9):
    new_param = param - lr * velocity
    return new_param, momentum * velocity + grad
'''),
    Mistake("adam_no_bias_correction", "adam_step",
            "divide m by (1 - beta1**t) and v by (1 - beta2**t): without it the first steps are far off", code='''
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * m / (v.sqrt() + eps), m, v
'''),
    Mistake("adam_eps_inside_sqrt", "adam_step",
            "add eps after the square root: sqrt(v_hat) + eps, as torch.optim.Adam does", code='''
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (v_hat + eps).sqrt(), m, v
'''),
    Mistake("adam_second_moment_not_squared", "adam_step",
            "the second moment averages grad**2, not grad", code='''
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad.abs()
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (v_hat.sqrt() + eps), m, v
'''),
    Mistake("adam_corrects_first_moment_only", "adam_step",
            "correct both moments: v_hat = v / (1 - beta2**t) as well as m_hat", code='''
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / (v.sqrt() + eps), m, v
'''),
]

CONV_MISTAKES = [
    Mistake("conv2d_flipped_kernel", "conv2d",
            "PyTorch's conv2d is a cross-correlation: do not flip the kernel", code='''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding,) * 4)
    cols = F.unfold(x, weight.shape[-2:], stride=stride)
    H_out = (x.shape[2] - weight.shape[2]) // stride + 1
    out = weight.flip(-2, -1).reshape(weight.shape[0], -1) @ cols
    if bias is not None:
        out = out + bias[:, None]
    return out.reshape(x.shape[0], weight.shape[0], H_out, -1)
'''),
    Mistake("conv2d_pads_width_only", "conv2d",
            "pad both spatial dims: F.pad(x, (p, p, p, p)) pads width and height; (p, p) pads only the width",
            code='''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding, padding))
    cols = F.unfold(x, weight.shape[-2:], stride=stride)
    H_out = (x.shape[2] - weight.shape[2]) // stride + 1
    out = weight.reshape(weight.shape[0], -1) @ cols
    if bias is not None:
        out = out + bias[:, None]
    return out.reshape(x.shape[0], weight.shape[0], H_out, -1)
'''),
    Mistake("conv2d_no_bias", "conv2d", "add the bias of each output channel", code='''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding,) * 4)
    cols = F.unfold(x, weight.shape[-2:], stride=stride)
    H_out = (x.shape[2] - weight.shape[2]) // stride + 1
    out = weight.reshape(weight.shape[0], -1) @ cols
    return out.reshape(x.shape[0], weight.shape[0], H_out, -1)
'''),
    Mistake("conv2d_stride_rows_only", "conv2d",
            "apply the stride along both spatial dims (rows and columns)", code='''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding,) * 4)
    kH, kW = weight.shape[-2:]
    patches = x.unfold(2, kH, stride).unfold(3, kW, 1)
    out = torch.einsum("nchwij,ocij->nohw", patches, weight)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
'''),
]

POOL_MISTAKES = [
    Mistake("max_pool2d_stride_defaults_to_1", "max_pool2d",
            "stride defaults to kernel_size (non-overlapping windows), not to 1", code='''
def max_pool2d(x, kernel_size, stride=None, padding=0):
    stride = stride or 1
    x = F.pad(x, (padding,) * 4, value=float("-inf"))
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))
'''),
    Mistake("max_pool2d_zero_padding", "max_pool2d",
            "pad with -inf for max pooling: zero padding wins the max of a window of negative values", code='''
def max_pool2d(x, kernel_size, stride=None, padding=0):
    stride = kernel_size if stride is None else stride
    x = F.pad(x, (padding,) * 4)
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))
'''),
    Mistake("max_pool2d_ignores_padding", "max_pool2d", "pad the input by `padding` on every side", code='''
def max_pool2d(x, kernel_size, stride=None, padding=0):
    stride = kernel_size if stride is None else stride
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))
'''),
    Mistake("avg_pool2d_stride_defaults_to_1", "avg_pool2d",
            "stride defaults to kernel_size (non-overlapping windows), not to 1", code='''
def avg_pool2d(x, kernel_size, stride=None, padding=0):
    stride = stride or 1
    x = F.pad(x, (padding,) * 4)
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).mean(dim=(-2, -1))
'''),
    Mistake("avg_pool2d_excludes_padding", "avg_pool2d",
            "F.avg_pool2d counts the zero padding in the mean (count_include_pad=True): divide by kernel_size**2",
            code='''
def avg_pool2d(x, kernel_size, stride=None, padding=0):
    stride = kernel_size if stride is None else stride
    ones = torch.ones_like(x[:, :1])
    sums = F.pad(x, (padding,) * 4).unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).sum(dim=(-2, -1))
    counts = F.pad(ones, (padding,) * 4).unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).sum(
        dim=(-2, -1))
    return sums / counts
'''),
    Mistake("avg_pool2d_divides_by_kernel_size", "avg_pool2d",
            "a k x k window holds k**2 values: divide the sum by kernel_size**2", code='''
def avg_pool2d(x, kernel_size, stride=None, padding=0):
    stride = kernel_size if stride is None else stride
    x = F.pad(x, (padding,) * 4)
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).sum(dim=(-2, -1)) / kernel_size
'''),
    Mistake("max_pool2d_backward_overwrites_overlaps", "max_pool2d_backward",
            "where windows overlap, an input that wins several windows gets the sum of their gradients "
            "(scatter_add, not assignment)", code='''
def max_pool2d_backward(grad_out, x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    windows = x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)
    H_out, W_out = windows.shape[2:4]
    arg = windows.reshape(N, C, H_out, W_out, -1).argmax(dim=-1)
    rows = torch.arange(H_out).view(-1, 1) * stride + arg // kernel_size
    cols = torch.arange(W_out).view(1, -1) * stride + arg % kernel_size
    grad_x = torch.zeros(N, C, H * W, dtype=grad_out.dtype)
    grad_x.scatter_(2, (rows * W + cols).reshape(N, C, -1), grad_out.reshape(N, C, -1))
    return grad_x.reshape(N, C, H, W)
'''),
    Mistake("max_pool2d_backward_spreads_evenly", "max_pool2d_backward",
            "only the window's maximum gets the gradient; spreading it evenly is average pooling's backward",
            code='''
def max_pool2d_backward(grad_out, x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    cols = grad_out.reshape(N, C, 1, -1).expand(N, C, kernel_size**2, -1) / kernel_size**2
    folded = F.fold(cols.reshape(N, C * kernel_size**2, -1), (H, W), kernel_size, stride=stride)
    return folded.reshape(N, C, H, W)
'''),
    Mistake("max_pool2d_backward_rows_and_columns_swapped", "max_pool2d_backward",
            "the index within a flattened k x k window is row * k + col: row = index // k, col = index % k",
            code='''
def max_pool2d_backward(grad_out, x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    windows = x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)
    H_out, W_out = windows.shape[2:4]
    arg = windows.reshape(N, C, H_out, W_out, -1).argmax(dim=-1)
    rows = torch.arange(H_out).view(-1, 1) * stride + arg % kernel_size
    cols = torch.arange(W_out).view(1, -1) * stride + arg // kernel_size
    grad_x = torch.zeros(N, C, H * W, dtype=grad_out.dtype)
    grad_x.scatter_add_(2, (rows * W + cols).reshape(N, C, -1), grad_out.reshape(N, C, -1))
    return grad_x.reshape(N, C, H, W)
'''),
    Mistake("max_pool2d_backward_stride_defaults_to_1", "max_pool2d_backward",
            "stride defaults to kernel_size, as in the forward pass", code='''
def max_pool2d_backward(grad_out, x, kernel_size, stride=None):
    stride = stride or 1
    N, C, H, W = x.shape
    windows = x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)
    H_out, W_out = windows.shape[2:4]
    arg = windows.reshape(N, C, H_out, W_out, -1).argmax(dim=-1)
    rows = torch.arange(H_out).view(-1, 1) * stride + arg // kernel_size
    cols = torch.arange(W_out).view(1, -1) * stride + arg % kernel_size
    grad_x = torch.zeros(N, C, H * W, dtype=grad_out.dtype)
    grad_x.scatter_add_(2, (rows * W + cols).reshape(N, C, -1), grad_out.reshape(N, C, -1))
    return grad_x.reshape(N, C, H, W)
'''),
]

FIELD_MISTAKES = [
    Mistake("receptive_field_ignores_strides", "receptive_field",
            "a layer after a stride-s layer widens the field by (k - 1) times the product of earlier strides",
            code='''
def receptive_field(layers):
    return 1 + sum(kernel - 1 for kernel, _ in layers)
'''),
    Mistake("receptive_field_uses_own_stride", "receptive_field",
            "a layer's own stride does not widen its field: add (k - 1) * jump, then multiply the jump by the stride",
            code='''
def receptive_field(layers):
    field, jump = 1, 1
    for kernel, stride in layers:
        jump *= stride
        field += (kernel - 1) * jump
    return field
'''),
    Mistake("receptive_field_starts_at_zero", "receptive_field",
            "start from a field of 1 (one input pixel), not 0", code='''
def receptive_field(layers):
    field, jump = 0, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field
'''),
    Mistake("count_parameters_counts_tensors", "count_parameters",
            "count scalars (p.numel()), not parameter tensors", code='''
def count_parameters(model):
    return len([p for p in model.parameters() if p.requires_grad])
'''),
    Mistake("count_parameters_includes_frozen", "count_parameters",
            "count only parameters with requires_grad: frozen ones are not trained", code='''
def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
'''),
    Mistake("count_parameters_state_dict", "count_parameters",
            "state_dict() holds buffers and lists a shared weight under each name: count model.parameters()",
            code='''
def count_parameters(model):
    return sum(t.numel() for t in model.state_dict().values())
'''),
]

LAYER_MISTAKES = [
    Mistake("bilinear_weight_transposed", "Bilinear",
            "weight[k] is (in1, in2): y_k = x1^T W_k x2, so x1 meets the first index, not the second", code='''
class Bilinear(Bilinear):
    def forward(self, x1, x2):
        y = torch.einsum("...j,kij,...i->...k", x1, self.weight, x2)
        return y + self.bias if self.bias is not None else y
'''),
    Mistake("bilinear_no_bias", "Bilinear", "add the bias b_k to each output", code='''
class Bilinear(Bilinear):
    def forward(self, x1, x2):
        return torch.einsum("...i,kij,...j->...k", x1, self.weight, x2)
'''),
    Mistake("bilinear_output_axis_first", "Bilinear",
            "the output features go last, (..., out_features), like nn.Linear and nn.Bilinear", code='''
class Bilinear(Bilinear):
    def forward(self, x1, x2):
        y = torch.einsum("...i,kij,...j->k...", x1, self.weight, x2)
        return y + self.bias.view(-1, *[1] * (x1.dim() - 1))
'''),
    Mistake("partial_conv_no_renormalisation", "PartialConv2d",
            "scale each window by sum(1)/sum(M) = k*k / (number of valid inputs): partial windows are too weak",
            code='''
class PartialConv2d(PartialConv2d):
    def forward(self, x, mask):
        k = self.kernel_size
        ones = torch.ones(1, 1, k, k, dtype=mask.dtype)
        valid = F.conv2d(mask, ones, stride=self.stride, padding=self.padding)
        new_mask = (valid > 0).to(x.dtype)
        out = F.conv2d(x * mask, self.weight, None, self.stride, self.padding) * new_mask
        return out + self.bias.view(1, -1, 1, 1) * new_mask, new_mask
'''),
    Mistake("partial_conv_no_mask_update", "PartialConv2d",
            "return the updated mask (1 where the window saw any valid input): the holes shrink layer by layer",
            code='''
class PartialConv2d(PartialConv2d):
    def forward(self, x, mask):
        k = self.kernel_size
        ones = torch.ones(1, 1, k, k, dtype=mask.dtype)
        valid = F.conv2d(mask, ones, stride=self.stride, padding=self.padding)
        seen = (valid > 0).to(x.dtype)
        out = F.conv2d(x * mask, self.weight, None, self.stride, self.padding) * (k * k) / valid.clamp(min=1) * seen
        return out + self.bias.view(1, -1, 1, 1) * seen, mask
'''),
    Mistake("partial_conv_bias_renormalised", "PartialConv2d",
            "add the bias after the sum(1)/sum(M) rescaling: it must not be scaled", code='''
class PartialConv2d(PartialConv2d):
    def forward(self, x, mask):
        k = self.kernel_size
        ones = torch.ones(1, 1, k, k, dtype=mask.dtype)
        valid = F.conv2d(mask, ones, stride=self.stride, padding=self.padding)
        new_mask = (valid > 0).to(x.dtype)
        out = F.conv2d(x * mask, self.weight, self.bias, self.stride, self.padding)
        return out * (k * k) / valid.clamp(min=1) * new_mask, new_mask
'''),
    Mistake("partial_conv_input_not_masked", "PartialConv2d",
            "convolve x * mask: values under the holes must not reach the output", code='''
class PartialConv2d(PartialConv2d):
    def forward(self, x, mask):
        k = self.kernel_size
        ones = torch.ones(1, 1, k, k, dtype=mask.dtype)
        valid = F.conv2d(mask, ones, stride=self.stride, padding=self.padding)
        new_mask = (valid > 0).to(x.dtype)
        out = F.conv2d(x, self.weight, None, self.stride, self.padding) * (k * k) / valid.clamp(min=1) * new_mask
        return out + self.bias.view(1, -1, 1, 1) * new_mask, new_mask
'''),
    Mistake("partial_conv_divides_by_valid_count_only", "PartialConv2d",
            "the scale is sum(1)/sum(M): multiply by the window size k*k as well as dividing by the valid count",
            code='''
class PartialConv2d(PartialConv2d):
    def forward(self, x, mask):
        k = self.kernel_size
        ones = torch.ones(1, 1, k, k, dtype=mask.dtype)
        valid = F.conv2d(mask, ones, stride=self.stride, padding=self.padding)
        new_mask = (valid > 0).to(x.dtype)
        out = F.conv2d(x * mask, self.weight, None, self.stride, self.padding) / valid.clamp(min=1) * new_mask
        return out + self.bias.view(1, -1, 1, 1) * new_mask, new_mask
'''),
]

LOOP_MISTAKES = [
    Mistake("train_epoch_no_zero_grad", "train_epoch",
            "call optimizer.zero_grad() before each backward: gradients accumulate in .grad", code='''
def train_epoch(model, loader, optimizer):
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
'''),
    Mistake("train_epoch_no_train_mode", "train_epoch",
            "call model.train() first: a model left in eval mode trains with BatchNorm's running statistics",
            code='''
def train_epoch(model, loader, optimizer):
    total, count = 0.0, 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
'''),
    Mistake("train_epoch_zero_grad_before_step", "train_epoch",
            "zero the gradients before backward(), not between backward() and step(): the step sees no gradient",
            code='''
def train_epoch(model, loader, optimizer):
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
'''),
    Mistake("train_epoch_returns_last_loss", "train_epoch",
            "return the mean loss over the whole epoch (per example), not the last batch's", code='''
def train_epoch(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()
'''),
    Mistake("evaluate_in_train_mode", "evaluate",
            "call model.eval() before evaluating: in train mode BatchNorm uses batch statistics and updates "
            "its running averages", code='''
def evaluate(model, loader):
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total / count, correct / count
'''),
    Mistake("evaluate_accuracy_as_count", "evaluate",
            "accuracy is a fraction: divide the number of correct predictions by the number of examples", code='''
def evaluate(model, loader):
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total / count, correct
'''),
    Mistake("evaluate_mean_of_batch_means", "evaluate",
            "weight each batch's mean loss by its size: a smaller last batch must count for what it holds", code='''
def evaluate(model, loader):
    model.eval()
    losses, correct, count = [], 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            losses.append(F.cross_entropy(logits, y).item())
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return sum(losses) / len(losses), correct / count
'''),
    Mistake("evaluate_argmax_over_batch", "evaluate",
            "the predicted class is the argmax over classes (dim=1), not over the batch", code='''
def evaluate(model, loader):
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=0) == y).sum().item()
            count += len(y)
    return total / count, correct / count
'''),
]

MISTAKES = (LINEAR_MISTAKES + SOFTMAX_MISTAKES + GRADIENT_CHECK_MISTAKES + OPTIMISER_MISTAKES + CONV_MISTAKES
            + POOL_MISTAKES + FIELD_MISTAKES + LAYER_MISTAKES + LOOP_MISTAKES)
