#!/usr/bin/python3
"""Reference gradients of the example models from PyTorch (Debian's
python3-torch), for lpq's GradientTest (TorchReference.*).

Run from the repository root with Debian's interpreter:
    /usr/bin/python3 test/Integration/Inputs/torch_gradients.py

Parameters and inputs follow formulas that the C++ test repeats exactly
(parameter k, element i: bound_k * sin(0.7 i + 1.3 (k + 1)) with bound_k =
1/sqrt(fan_in) of the last weight; image element i: 0.5 + 0.5 sin(0.37 i);
label of example n: (3 n + 1) mod 10). For each model it writes
<model>.loss.npy (float32 [1]) and <model>.grad<k>.npy: the gradient of
parameter k flattened, every stride-th element with stride = max(1, n // 8192)
(the big MLP weight is sampled to keep the fixtures small). No numpy needed.
"""
import math
import os
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def write_npy(path, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % len(values)
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%df" % len(values), *values))


def params_for(shapes):
    params, bound = [], 0.0
    for k, shape in enumerate(shapes):
        n = math.prod(shape)
        if len(shape) >= 2:
            bound = 1.0 / math.sqrt(math.prod(shape[1:]))
        values = [bound * math.sin(0.7 * i + 1.3 * (k + 1)) for i in range(n)]
        params.append(torch.tensor(values, dtype=torch.float32).reshape(shape).requires_grad_())
    return params


def batch(n):
    x = [0.5 + 0.5 * math.sin(0.37 * i) for i in range(n * 784)]
    labels = [(3 * i + 1) % 10 for i in range(n)]
    return (torch.tensor(x, dtype=torch.float32).reshape(n, 1, 28, 28),
            torch.tensor(labels, dtype=torch.int64))


def logreg(x, w, b):
    return x.flatten(1) @ w.t() + b


def mlp(x, w1, b1, w2, b2):
    return torch.relu(x.flatten(1) @ w1.t() + b1) @ w2.t() + b2


def cnn(x, k1, c1, k2, c2, w, b):
    h = F.max_pool2d(torch.relu(F.conv2d(x, k1) + c1.view(1, -1, 1, 1)), 2)
    h = F.max_pool2d(torch.relu(F.conv2d(h, k2) + c2.view(1, -1, 1, 1)), 2)
    return h.flatten(1) @ w.t() + b


MODELS = {
    "logreg": (logreg, 128, [(10, 784), (10,)]),
    "mlp": (mlp, 128, [(512, 784), (512,), (10, 512), (10,)]),
    "cnn": (cnn, 64, [(8, 1, 5, 5), (8,), (16, 8, 5, 5), (16,), (10, 256), (10,)]),
}

if __name__ == "__main__":
    for name, (fn, n, shapes) in MODELS.items():
        params = params_for(shapes)
        x, labels = batch(n)
        loss = F.cross_entropy(fn(x, *params), labels)
        loss.backward()
        write_npy(os.path.join(HERE, name + ".loss.npy"), [loss.item()])
        for k, p in enumerate(params):
            g = p.grad.flatten().tolist()
            stride = max(1, len(g) // 8192)
            write_npy(os.path.join(HERE, "%s.grad%d.npy" % (name, k)), g[::stride])
        print(name, "loss", loss.item())
