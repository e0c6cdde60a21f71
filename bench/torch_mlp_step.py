#!/usr/bin/python3
"""PyTorch (Debian's python3-torch, CPU, eager) baseline for lpq's MLP
training step: 784-512-10, batch 128, cross-entropy, SGD with momentum 0.9 and
weight decay 5e-4. Prints the median step time in ms for 1 and 2 threads.
Run: /usr/bin/python3 bench/torch_mlp_step.py"""
import time

import torch
import torch.nn.functional as F

for threads in (1, 2):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 512),
                                torch.nn.ReLU(), torch.nn.Linear(512, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(128, 1, 28, 28)
    y = torch.randint(0, 10, (128,))
    times = []
    for i in range(220):
        start = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    times = sorted(times[20:])
    print("threads %d: median step %.3f ms" % (threads, 1e3 * times[len(times) // 2]))
