#!/usr/bin/python3
"""make_reference.py: the expected values of tests/test_reference.c, computed by PyTorch.

Run it with Debian's python3, which has python3-torch and python3-numpy (a pyenv or venv
python3 first on PATH usually has neither):

    /usr/bin/python3 tests/reference/make_reference.py [DATA_DIR]

DATA_DIR (default: data/ next to this script) holds one directory per case, written by
dump_cases.c: case.txt (the configuration), input.npy and the weights. For each case this
script rebuilds the computation in float64 from the equations of src/core/block.h and net.h
(not from block.c: the point is a second implementation that we did not derive from the
first), takes the analysis loss L = 0.5 ||out||_F^2 / B, and lets torch.autograd produce the
gradient of L with respect to the input and every parameter. It writes, next to the inputs:

    expected_out.npy     (B, n_out)       the block's output, or x_L for a net
    expected_loss.npy    (1,)             L
    expected_d<P>.npy    shape of P       dL/dP for P = input and every parameter file P.npy
    expected_x.npy       (L+1, B, n)      nets only: the activations x_0 .. x_L
    expected_dx.npy      (L+1, B, n)      nets only: dL/dx_0 .. dL/dx_L

The equations (rows are examples, so W a becomes a @ W.T):
    F(a)  = W2 s(W1 a + b1) + b2
    post:   out = s(F(x) + S(x))          pre:   out = F(s(x)) + S(x)
    S(x)  = 0 (none), x (identity), [x, 0] (zeropad: zero channels appended),
            Ws x (project-all; project when the widths differ, else x), lambda x (scaled)
    net:    x_0 = W_in X (if W_in.npy exists) else X;  x_l = block_l(x_{l-1}), l = 1..L
"""
import os
import sys

import numpy as np
import torch

CONFIG_INTS = ("n_in", "n_out", "h", "depth", "batch", "input_width", "seed")
CONFIG_KEYS = CONFIG_INTS + ("kind", "act", "shortcut", "order", "lambda", "init", "bias_std")


def fail(msg):
    sys.exit("make_reference.py: " + msg)


def read_config(path):
    cfg = {}
    with open(path, encoding="ascii") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = (part.strip() for part in line.partition("="))
            if not sep or key not in CONFIG_KEYS or key in cfg:
                fail(f"{path}: line {lineno}: expected 'key = value' with a new known key")
            cfg[key] = value
    missing = [k for k in CONFIG_KEYS if k not in cfg]
    if missing:
        fail(f"{path}: missing {', '.join(missing)}")
    for k in CONFIG_INTS:
        cfg[k] = int(cfg[k])
    cfg["lambda"] = float(cfg["lambda"])
    return cfg


def activation(name):
    return {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda z: z}[name]


def has_projection(shortcut, n_in, n_out):
    return shortcut == "project-all" or (shortcut == "project" and n_in != n_out)


class Case:
    """The leaf tensors of one case: input and parameters, each requiring a gradient."""

    def __init__(self, path):
        self.path = path
        self.leaves = {}

    def load(self, name, shape):
        arr = np.load(os.path.join(self.path, name + ".npy"))
        if arr.dtype != np.float64 or arr.shape != shape:
            fail(f"{self.path}/{name}.npy: {arr.dtype} {arr.shape}, expected float64 {shape}")
        t = torch.tensor(arr, dtype=torch.float64, requires_grad=True)
        self.leaves[name] = t
        return t

    def exists(self, name):
        return os.path.exists(os.path.join(self.path, name + ".npy"))


def load_block_params(case, cfg, n_in, n_out, prefix):
    h = cfg["h"]
    p = {
        "W1": case.load(prefix + "W1", (h, n_in)),
        "b1": case.load(prefix + "b1", (h,)),
        "W2": case.load(prefix + "W2", (n_out, h)),
        "b2": case.load(prefix + "b2", (n_out,)),
        "Ws": None,
    }
    proj = has_projection(cfg["shortcut"], n_in, n_out)
    if proj != case.exists(prefix + "Ws"):
        fail(f"{case.path}: {prefix}Ws.npy should {'' if proj else 'not '}exist for "
             f"shortcut {cfg['shortcut']} {n_in} -> {n_out}")
    if proj:
        p["Ws"] = case.load(prefix + "Ws", (n_out, n_in))
    return p


def shortcut(cfg, x, Ws, n_out):
    kind, (B, n_in) = cfg["shortcut"], x.shape
    if kind == "none":
        return torch.zeros(B, n_out, dtype=torch.float64)
    if kind == "identity":
        return x
    if kind == "zeropad":
        return torch.cat([x, torch.zeros(B, n_out - n_in, dtype=torch.float64)], dim=1)
    if kind in ("project", "project-all"):
        return x if Ws is None else x @ Ws.T
    if kind == "scaled":
        return cfg["lambda"] * x
    fail(f"unknown shortcut {kind}")


def block(cfg, x, p):
    s = activation(cfg["act"])
    n_out = p["W2"].shape[0]

    def F(a):
        return s(a @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]

    if cfg["order"] == "post":
        return s(F(x) + shortcut(cfg, x, p["Ws"], n_out))
    if cfg["order"] == "pre":
        return F(s(x)) + shortcut(cfg, x, p["Ws"], n_out)
    fail(f"unknown order {cfg['order']}")


def save(case, name, t):
    arr = np.ascontiguousarray(t.detach().numpy(), dtype="<f8")
    np.save(os.path.join(case.path, name + ".npy"), arr)


def run_case(path):
    cfg = read_config(os.path.join(path, "case.txt"))
    for name in os.listdir(path):                 # no stale results from an older run
        if name.startswith("expected_"):
            os.remove(os.path.join(path, name))
    case = Case(path)
    B, n_in, n_out = cfg["batch"], cfg["n_in"], cfg["n_out"]
    X = case.load("input", (B, n_in))
    xs = []
    if cfg["kind"] == "block":
        out = block(cfg, X, load_block_params(case, cfg, n_in, n_out, ""))
    elif cfg["kind"] == "net":
        if (cfg["input_width"] != 0) != case.exists("W_in"):
            fail(f"{path}: W_in.npy must exist exactly when input_width != 0")
        x = X @ case.load("W_in", (n_out, n_in)).T if cfg["input_width"] else X
        xs.append(x)
        for l in range(1, cfg["depth"] + 1):
            x = block(cfg, x, load_block_params(case, cfg, n_out, n_out, f"l{l}_"))
            xs.append(x)
        for x in xs:
            x.retain_grad()                       # keep dL/dx_l of the intermediate x_l
        out = x
    else:
        fail(f"{path}: unknown kind {cfg['kind']}")
    loss = 0.5 * (out * out).sum() / B            # L = 0.5 ||out||_F^2 / B
    loss.backward()
    save(case, "expected_out", out)
    save(case, "expected_loss", loss.reshape(1))
    for name, t in case.leaves.items():
        save(case, "expected_d" + name, t.grad)
        if not t.grad.any():                      # e.g. a layer of ReLUs all off: 0 = 0
            print(f"warning: {path}: dL/d{name} is exactly zero; consider another seed",
                  file=sys.stderr)
    if xs:
        save(case, "expected_x", torch.stack(xs))
        save(case, "expected_dx", torch.stack([x.grad for x in xs]))
    return cfg


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "data")
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)                      # one summation order, run after run
    cases = sorted(d for d in os.listdir(data)
                   if os.path.isfile(os.path.join(data, d, "case.txt")))
    if not cases:
        fail(f"{data}: no case directories (run dump_cases first)")
    for name in cases:
        cfg = run_case(os.path.join(data, name))
        print(f"{name}: {cfg['kind']} {cfg['shortcut']} {cfg['order']} {cfg['act']} "
              f"{cfg['n_in']} -> {cfg['n_out']}, h {cfg['h']}, depth {cfg['depth']}, "
              f"seed {cfg['seed']}")
    with open(os.path.join(data, "versions.txt"), "w", encoding="ascii") as f:
        f.write(f"expected_*.npy made by make_reference.py with torch {torch.__version__}, "
                f"numpy {np.__version__}, python {sys.version.split()[0]}\n")
    print(f"{len(cases)} cases; torch {torch.__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
