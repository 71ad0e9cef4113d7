#!/usr/bin/env python3
"""PyTorch reference for `pnpm bench`: the same three models, data, batch size and optimizer.

- baseline-relu:   784 -> 512 (ReLU) -> 10
- chainzrule:      784 -> 32 -> Polynomial Engine -> 10, no regularizer
- chainzrule+DREG: the same plus lambda * jacobian-frobenius, lambda = 0.001

Polynomial Engine (packages/polynomial/src/engine.ts): a(z) = sum_k c_k T_k(u), u = tanh z,
Chebyshev T_k, degree 4, one coefficient vector shared by the layer, initialised to the
least-squares fit of ReLU on 401 even points of [-1, 1]; a'(z) = p'(u) (1 - u^2).

DREG jacobian-frobenius (packages/dreg/src/jacobian-frobenius.ts): sum over dense layers of
mean_batch sum_i a'(z_i)^2 ||W_i||^2 (W_i = weights of unit i); the linear output layer
contributes ||W||_F^2. Loss = softmax cross-entropy (mean) + lambda * penalty.

Adam lr 0.002, eps 1e-7 (tfjs's float32 default), batch 128, Glorot-uniform kernels and zero
biases. Every step reads the loss back (`loss.item()`), as the tfjs trainer does.
Timing: warm-up, then rounds in which every model trains one run of `steps` batches
(interleaved); medians over runs; torch.set_num_threads(1) and (2).

Usage: torch_bench.py --mnist-dir DIR --out FILE [--quick] [--threads 1,2] [--runs N]
Only the standard library, numpy and torch are used.
"""
import argparse
import gzip
import json
import os
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

BATCH = 128
LR = 0.002
LAMBDA = 0.001
DEGREE = 4
FIT_POINTS = 401

PLAN = {"runs": 7, "warmup_steps": 20, "steps": {"baseline-relu": 100, "chainzrule": 300, "chainzrule+DREG": 300}, "infer_n": 10000}
QUICK = {"runs": 2, "warmup_steps": 2, "steps": {"baseline-relu": 4, "chainzrule": 8, "chainzrule+DREG": 8}, "infer_n": 512}


def read_idx(directory, names):
    for name in names:
        for candidate in (name, name + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.exists(path):
                opener = gzip.open if candidate.endswith(".gz") else open
                with opener(path, "rb") as f:
                    raw = f.read()
                ndim = raw[3]
                dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
                return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    raise FileNotFoundError(f"none of {names} (or .gz) in the MNIST directory")


def load_mnist(directory, split, limit):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(directory, [f"{prefix}-images-idx3-ubyte", f"{prefix}-images.idx3-ubyte"])[:limit]
    labels = read_idx(directory, [f"{prefix}-labels-idx1-ubyte", f"{prefix}-labels.idx1-ubyte"])[:limit]
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def chebyshev_matrix(u, degree):
    cols = [np.ones_like(u), u]
    for _ in range(1, degree):
        cols.append(2 * u * cols[-1] - cols[-2])
    return np.stack(cols[: degree + 1], axis=1)


def relu_fit(degree):
    u = np.linspace(-1, 1, FIT_POINTS)
    coef, *_ = np.linalg.lstsq(chebyshev_matrix(u, degree), np.maximum(u, 0), rcond=None)
    return coef


class Engine(torch.nn.Module):
    """a(z) = sum_k c_k T_k(tanh z); also returns a'(z) when asked (DREG needs it)."""

    def __init__(self, degree):
        super().__init__()
        self.coefficients = torch.nn.Parameter(torch.tensor(relu_fit(degree), dtype=torch.float32))

    def forward(self, z, with_derivative=False):
        c = self.coefficients
        u = torch.tanh(z)
        t_prev, t = torch.ones_like(u), u
        p = c[0] + c[1] * u
        if with_derivative:
            dt_prev, dt = torch.zeros_like(u), torch.ones_like(u)
            dp = c[1] * dt
        for k in range(1, c.shape[0] - 1):
            t_next = 2 * u * t - t_prev
            p = p + c[k + 1] * t_next
            if with_derivative:
                dt_next = 2 * t + 2 * u * dt - dt_prev
                dp = dp + c[k + 1] * dt_next
                dt_prev, dt = dt, dt_next
            t_prev, t = t, t_next
        if not with_derivative:
            return p, None
        return p, dp * (1 - u * u)


class Net(torch.nn.Module):
    def __init__(self, kind):
        super().__init__()
        hidden = 32 if kind == "chainzrule" else 512
        self.kind = kind
        self.hidden = torch.nn.Linear(784, hidden)
        self.logits = torch.nn.Linear(hidden, 10)
        self.engine = Engine(DEGREE) if kind == "chainzrule" else None
        for layer in (self.hidden, self.logits):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)

    def forward(self, x, with_penalty=False):
        z = self.hidden(x)
        if self.engine is None:
            h, dp = torch.relu(z), None
        else:
            h, dp = self.engine(z, with_penalty)
        out = self.logits(h)
        if not with_penalty:
            return out, None
        # torch Linear weight is [out, in]: row i holds unit i's weights.
        unit_norms = (self.hidden.weight ** 2).sum(1)
        hidden_term = ((dp ** 2) * unit_norms).sum(1).mean()
        return out, hidden_term + (self.logits.weight ** 2).sum()


class Variant:
    def __init__(self, name, x, y, steps, seed):
        torch.manual_seed(seed)
        self.name = name
        self.model = Net("baseline-relu" if name == "baseline-relu" else "chainzrule")
        self.dreg = name == "chainzrule+DREG"
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR, eps=1e-7)
        self.x, self.y = x, y
        self.steps = steps
        self.gen = torch.Generator().manual_seed(seed)

    def run(self, steps):
        n = steps * BATCH
        order = torch.randperm(n, generator=self.gen)
        t0 = time.perf_counter()
        for s in range(steps):
            idx = order[s * BATCH:(s + 1) * BATCH]
            xb, yb = self.x[idx], self.y[idx]
            logits, penalty = self.model(xb, self.dreg)
            loss = F.cross_entropy(logits, yb)
            total = loss + LAMBDA * penalty if self.dreg else loss
            self.opt.zero_grad(set_to_none=True)
            total.backward()
            self.opt.step()
            loss.item()
        return n / (time.perf_counter() - t0)


def blas_library():
    """The BLAS shared library torch actually loaded (directory/file, e.g. openblas-openmp/libblas.so.3)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    except OSError:
        return "unknown"
    real = sorted({os.path.realpath(p) for p in paths if p.startswith("/")})
    return ", ".join("/".join(p.split("/")[-2:]) for p in real) or "none"


def summarize(sps, per_run):
    med = statistics.median(sps)
    return {
        "runs": len(sps),
        "samplesPerRun": per_run,
        "samplesPerSecond": {"median": round(med, 1), "min": round(min(sps), 1), "max": round(max(sps), 1),
                             "spread": round((max(sps) - min(sps)) / med, 3), "all": [round(v, 1) for v in sps]},
        "stepMs": {"median": round(1000 * BATCH / med, 3)},
    }


def infer(model, x):
    with torch.no_grad():
        t0 = time.perf_counter()
        for s in range(0, x.shape[0], BATCH):
            model(x[s:s + BATCH])  # CPU: synchronous, the logits exist when this returns
        return x.shape[0] / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int)
    a = ap.parse_args()
    plan = json.loads(json.dumps(QUICK if a.quick else PLAN))
    if a.runs:
        plan["runs"] = a.runs
    names = ["baseline-relu", "chainzrule", "chainzrule+DREG"]
    x, y = load_mnist(a.mnist_dir, "train", max(plan["steps"].values()) * BATCH)
    xt, _ = load_mnist(a.mnist_dir, "test", plan["infer_n"])
    result = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pythonVersion": platform.python_version(),
        "blas": blas_library(),
        "engineCoefficients": [round(float(c), 6) for c in relu_fit(DEGREE)],
        "plan": plan,
        "threads": {},
    }
    for threads in [int(t) for t in a.threads.split(",")]:
        torch.set_num_threads(threads)
        variants = [Variant(k, x, y, plan["steps"][k], seed=0) for k in names]
        for v in variants:
            v.run(plan["warmup_steps"])
        sps = {k: [] for k in names}
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for r in range(plan["runs"]):
            for v in variants:
                sps[v.name].append(v.run(v.steps))
            print(f"bench[torch {threads} thr]: round {r + 1}/{plan['runs']}: "
                  + ", ".join(f"{k} {round(sps[k][-1])}/s" for k in names), flush=True)
        cpu_per_wall = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        inference_models = {"baseline-relu": variants[0].model, "chainzrule": variants[1].model}
        for m in inference_models.values():
            m.eval()
            infer(m, xt)
        isps = {k: [] for k in inference_models}
        for _ in range(plan["runs"]):
            for k, m in inference_models.items():
                isps[k].append(infer(m, xt))
        result["threads"][str(threads)] = {
            "torchThreads": torch.get_num_threads(),
            "cpuSecondsPerWallSecond": round(cpu_per_wall, 2),
            "training": {k: summarize(v, plan["steps"][k] * BATCH) for k, v in sps.items()},
            "inference": {k: summarize(v, xt.shape[0]) for k, v in isps.items()},
        }
        print(f"bench[torch {threads} thr]: inference "
              + ", ".join(f"{k} {round(statistics.median(v))}/s" for k, v in isps.items()), flush=True)
    with open(a.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
