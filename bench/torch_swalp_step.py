#!/usr/bin/python3
"""PyTorch (Debian's python3-torch, CPU, eager) baselines for lpq's training
steps: the float32 step and the SWALP step with SWALP's quantizers written in
torch ops, the way SWALP's original code and QPyTorch's Python layer do it
(block floating point of 8 bits, stochastic rounding with torch.rand_like,
one exponent per row for weights, gradients, momenta and the accumulator,
one per tensor for activations and errors).

Models: lpq's examples, the MLP 784-512-10 (batch 128) and the LeNet-style
CNN (batch 64); cross-entropy, SGD with momentum 0.9 and weight decay 5e-4.
Prints the median step time in ms for 1 and 2 threads.

Run: /usr/bin/python3 bench/torch_swalp_step.py [--steps N]
(Install Debian's libopenblas0-pthread first: without it this PyTorch uses a
reference BLAS about 20x slower for its matrix products.)"""
import argparse
import time

import torch
import torch.nn.functional as F

WL, EXP_BITS = 8, 8


def block_quantize(x, per_row):
    """SWALP's block floating point: E = floor(log2 max|x|) per block,
    clamped to the signed exponent range, then stochastic rounding of
    x * 2^-(E - (wl - 2)) to integers in [-(2^(wl-1) - 1), 2^(wl-1) - 1]."""
    if per_row and x.dim() >= 2:
        amax = x.abs().reshape(x.size(0), -1).max(1)[0]
        amax = amax.reshape([-1] + [1] * (x.dim() - 1))
    else:
        amax = x.abs().max()
    e = torch.floor(torch.log2(amax.clamp_min(1e-38)))
    e = e.clamp(-2 ** (EXP_BITS - 1), 2 ** (EXP_BITS - 1) - 1)
    scale = torch.pow(2.0, e - (WL - 2))
    q = torch.floor(x / scale + torch.rand_like(x))
    bound = 2 ** (WL - 1) - 1
    return q.clamp(-bound, bound) * scale


class QuantizeActivation(torch.autograd.Function):
    """Q_A forward, Q_E on the error backward (SWALP's quantizer module)."""

    @staticmethod
    def forward(ctx, x):
        return block_quantize(x, per_row=False)

    @staticmethod
    def backward(ctx, g):
        return block_quantize(g, per_row=False)


def mlp():
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 512),
                               torch.nn.ReLU(), torch.nn.Linear(512, 10))


def cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(256, 10))


def forward(model, x, quantized):
    """The model's layers; with quantizers, Q_A / Q_E on every activation
    that enters a matmul or convolution (not the input batch)."""
    first = True
    for layer in model:
        if quantized and not first and isinstance(
                layer, (torch.nn.Linear, torch.nn.Conv2d)):
            x = QuantizeActivation.apply(x)
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d)):
            first = False
        x = layer(x)
    return x


def step(model, state, x, y, lr, quantized):
    """One SGD step; with quantizers, SWALP's: the forward pass on Q_W(p),
    gradients Q_G, momentum Q_M, the accumulator Q_Acc."""
    params = list(model.parameters())
    if quantized:
        real = [p.data.clone() for p in params]
        for p in params:
            p.data = block_quantize(p.data, per_row=True)
    for p in params:
        p.grad = None
    loss = F.cross_entropy(forward(model, x, quantized), y)
    loss.backward()
    with torch.no_grad():
        for k, p in enumerate(params):
            w = real[k] if quantized else p.data
            g = block_quantize(p.grad, per_row=True) if quantized else p.grad
            m = state[k].mul_(0.9).add_(g + 5e-4 * w)
            if quantized:
                m.copy_(block_quantize(m, per_row=True))
            w = w - lr * m
            p.data = block_quantize(w, per_row=True) if quantized else w
    return loss


def median_ms(model_fn, batch, shape, quantized, steps):
    torch.manual_seed(0)
    model = model_fn()
    state = [torch.zeros_like(p) for p in model.parameters()]
    x = torch.rand(batch, *shape)
    y = torch.randint(0, 10, (batch,))
    times = []
    for i in range(steps + 10):
        start = time.perf_counter()
        step(model, state, x, y, 0.05, quantized)
        times.append(time.perf_counter() - start)
    times = sorted(times[10:])
    return 1e3 * times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    for name, fn, batch in (("mlp", mlp, 128), ("cnn", cnn, 64)):
        for threads in (1, 2):
            torch.set_num_threads(threads)
            fp = median_ms(fn, batch, (1, 28, 28), False, args.steps)
            lp = median_ms(fn, batch, (1, 28, 28), True, args.steps)
            print("%s threads %d: float32 step %.3f ms, SWALP-emulated step "
                  "%.3f ms (%.1fx)" % (name, threads, fp, lp, lp / fp))


if __name__ == "__main__":
    main()
