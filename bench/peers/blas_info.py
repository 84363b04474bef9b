"""Which BLAS a peer runs, as the Bench checks before it compares.

Usage: /usr/bin/python3 blas_info.py --lib numpy|torch|sklearn --threads N

Imports the peer's library, sets its threads as the epoch scripts do (OPENBLAS_NUM_THREADS from the environment;
torch.set_num_threads(N)), runs one small matrix product so that the BLAS is loaded and started, and prints one JSON
line: the peer, its library's version, threadpoolctl's threadpool_info() (internal_api, filepath, version,
threading_layer, architecture = OpenBLAS's kernel, num_threads), the BLAS shared objects mapped into the process
(the reference BLAS, which threadpoolctl does not report, shows up only there), and the OPENBLAS_* variables it saw.
"""
import argparse
import json
import os
import re

import numpy as np
from threadpoolctl import threadpool_info


def mapped_blas():
    """The BLAS shared objects mapped into this process, with symbolic links resolved."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split()
            if len(parts) >= 6 and re.search(r"libblas|openblas|libblis|mkl|libcblas", parts[-1]):
                libs.add(os.path.realpath(parts[-1]))
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", choices=["numpy", "torch", "sklearn"], required=True)
    ap.add_argument("--threads", type=int, required=True)
    args = ap.parse_args()

    a = np.ones((64, 64), dtype=np.float32)
    if args.lib == "torch":
        import torch
        torch.set_num_threads(args.threads)
        t = torch.ones((64, 64))
        (t @ t).sum().item()
        version, threads = torch.__version__, torch.get_num_threads()
    elif args.lib == "sklearn":
        import sklearn
        from sklearn.utils.extmath import safe_sparse_dot
        safe_sparse_dot(a, a)
        version, threads = sklearn.__version__, int(os.environ.get("OPENBLAS_NUM_THREADS", "0") or 0)
    else:
        (a @ a).sum()
        version, threads = np.__version__, int(os.environ.get("OPENBLAS_NUM_THREADS", "0") or 0)

    print(json.dumps({
        "lib": args.lib,
        "version": version,
        "threads": threads,
        "threadpools": threadpool_info(),
        "mapped": mapped_blas(),
        "env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
    }), flush=True)


if __name__ == "__main__":
    main()
