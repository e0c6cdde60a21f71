#!/usr/bin/python3
"""PyTorch (Debian's python3-torch, CPU, eager) baselines for lpq's training
steps: the float32 step and the SWALP step with SWALP's quantizers written in
torch ops, the way SWALP's original code and QPyTorch's Python layer do it
(block floating point of 8 bits, stochastic rounding with torch.rand_like,
one exponent per row for weights, gradients, momenta and the accumulator,
one per tensor for activations and errors).

Models: lpq's examples, the MLP 784-512-10 (batch 128) and the LeNet-style
CNN (batch 64); cross-entropy, SGD with momentum 0.9 and weight decay 5e-4.
Prints the median step time in ms, one line per model:
  torch model=mlp threads=T fp32_ms=... swalp_ms=...

Run: OMP_NUM_THREADS=T OPENBLAS_NUM_THREADS=T \
       /usr/bin/python3 bench/torch_swalp_step.py --threads T [--steps N]
(bench/step.sh does this for T = 1 and 2.) Install Debian's
libopenblas0-pthread first: without it this PyTorch uses a reference BLAS
about 20x slower for its matrix products. Set OPENBLAS_NUM_THREADS to the
same T: OpenBLAS otherwise starts a thread per core besides torch's own, and
the two pools fight over the cores (3-5x slower steps on 2 cores).
The float32 and SWALP steps are measured in interleaved rounds, like
lpq-bench-step's, so drifts of the machine's speed affect both alike.

--device cuda runs the same steps with PyTorch CUDA (the GPU baseline; any
PyTorch with CUDA, e.g. on a machine the device tool lends), waiting for the
device at the end of every timed step; lines then read
  torch model=mlp device=cuda fp32_ms=... swalp_ms=..."""
import argparse
import os
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


class Setup:
    """One model with its optimizer state and a fixed batch."""

    def __init__(self, model_fn, batch, quantized, device):
        torch.manual_seed(0)
        self.model = model_fn().to(device)
        self.state = [torch.zeros_like(p) for p in self.model.parameters()]
        self.x = torch.rand(batch, 1, 28, 28, device=device)
        self.y = torch.randint(0, 10, (batch,), device=device)
        self.quantized = quantized
        self.cuda = device == "cuda"
        self.times = []

    def run(self, record):
        start = time.perf_counter()
        step(self.model, self.state, self.x, self.y, 0.05, self.quantized)
        if self.cuda:
            torch.cuda.synchronize()
        if record:
            self.times.append(time.perf_counter() - start)

    def median_ms(self):
        times = sorted(self.times)
        return 1e3 * times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", args.threads)))
    for name, fn, batch in (("mlp", mlp, 128), ("cnn", cnn, 64)):
        setups = [Setup(fn, batch, False, args.device),
                  Setup(fn, batch, True, args.device)]
        for _ in range((args.steps + 3) // 4):
            for s in setups:
                for i in range(5):
                    s.run(i > 0)
        where = ("device=cuda" if args.device == "cuda"
                 else "threads=%d" % args.threads)
        print("torch model=%s %s fp32_ms=%.3f swalp_ms=%.3f"
              % (name, where, setups[0].median_ms(), setups[1].median_ms()),
              flush=True)


if __name__ == "__main__":
    main()
