#!/usr/bin/python3
"""bench_train_torch.py: the network of bench_train.c in PyTorch, one training step timed.

Usage (bench_train runs it; Debian's /usr/bin/python3 with python3-torch):
    /usr/bin/python3 bench_train_torch.py DEPTH WIDTH BATCH BN DTYPE SECONDS
prints one line:  steps_per_second <float>

The net is reslab's classifier (src/core/classifier.h) with post-activation blocks
(He et al. 2015), the same shapes and the same step:
    x_0 = X W_in^T                        Linear(dim, n, bias=False)
    x_l = relu(F(x_{l-1}) + x_{l-1})      F = BN2(W2 relu(BN1(W1 x + b1)) + b2)   (bn = 1)
                                          F = W2 relu(W1 x + b1) + b2              (bn = 0)
    Z   = x_L W_head^T + b_head           Linear(n, k)
    loss = cross_entropy(Z, y); zero_grad; backward; SGD(momentum 0.9, weight decay 1e-4,
    weights only, as reslab's sgd.h)
dim = 2, k = 3 (the spirals of the compare run). One thread (torch.set_num_threads(1)); DTYPE is
float64 (reslab's precision) or float32. The timing is the median over repetitions of at least
0.2 s of process CPU time each after a warm-up, like bench_train.c's.
"""
import statistics
import sys
import time

import torch

DIM, CLASSES = 2, 3


class Block(torch.nn.Module):
    def __init__(self, n, bn):
        super().__init__()
        self.l1 = torch.nn.Linear(n, n)
        self.l2 = torch.nn.Linear(n, n)
        self.bn1 = torch.nn.BatchNorm1d(n) if bn else torch.nn.Identity()
        self.bn2 = torch.nn.BatchNorm1d(n) if bn else torch.nn.Identity()

    def forward(self, x):
        f = self.bn2(self.l2(torch.relu(self.bn1(self.l1(x)))))
        return torch.relu(f + x)                  # post-activation: relu(F(x) + x)


class Net(torch.nn.Module):
    def __init__(self, depth, n, bn):
        super().__init__()
        self.inp = torch.nn.Linear(DIM, n, bias=False)
        self.blocks = torch.nn.Sequential(*[Block(n, bn) for _ in range(depth)])
        self.head = torch.nn.Linear(n, CLASSES)

    def forward(self, x):
        return self.head(self.blocks(self.inp(x)))


def main():
    depth, width, batch, bn = (int(a) for a in sys.argv[1:5])
    dtype = {"float64": torch.float64, "float32": torch.float32}[sys.argv[5]]
    seconds = float(sys.argv[6])
    torch.set_num_threads(1)
    torch.manual_seed(1)
    net = Net(depth, width, bn).to(dtype)
    decay = [p for name, p in net.named_parameters() if name.endswith("weight") and p.dim() == 2]
    other = [p for name, p in net.named_parameters() if not (name.endswith("weight") and p.dim() == 2)]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 1e-4},
                           {"params": other, "weight_decay": 0.0}], lr=0.01, momentum=0.9)
    x = torch.randn(batch, DIM, dtype=dtype)
    y = torch.randint(0, CLASSES, (batch,))

    def step():
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    rates = []
    clock = time.process_time                    # CPU time, all threads: as bench_train.c
    end = clock() + seconds
    while len(rates) < 3 or clock() < end:
        t0, steps = clock(), 0
        while clock() - t0 < 0.2:
            step()
            steps += 1
        rates.append(steps / (clock() - t0))
    print("steps_per_second %.6g" % statistics.median(rates))


if __name__ == "__main__":
    main()
