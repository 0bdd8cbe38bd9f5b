"""Benchmark: the Basset streaming loader on a 1,000,000-sequence file of the er.h5 layout.

Usage: .venv/bin/python bench/bench_basset_loader.py [--n 1000000] [--train-steps 30]
                                                     [--dir DIR] [--keep]

1. Writes a file of the ``er.h5`` layout to a temporary folder (``--dir``, default the system
   temp dir): ``train_in`` (N, 4, 1, 600) uint8 one-hot with 1 % N positions (all-zero
   columns), ``train_out`` (N, 164) uint8, small valid/test splits, ``target_labels``; gzip
   level 1, chunks of 2048 rows. Written in blocks, so the writer's memory is flat too.
2. In a fresh process: one full training epoch through the tf.data pipeline (shuffled chunk
   reads, random reverse complement, N -> 0.25, per-chunk checks), batch 100: sequences/s
   and the process's peak RSS.
3. In a fresh process: Basset (relu) trained on batches from the stream for
   ``--train-steps`` steps: sequences/s and peak RSS while training.
The file is deleted at the end unless ``--keep``. For scale: the in-memory loader
(``toolkit.data.load``) would need N x 600 x 4 x 4 bytes of float32 (9.6 GB at N = 1 M),
twice that with the original's appended reverse complements.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

L, T, CHUNK = 600, 164, 2048


def write_file(path: Path, n: int, block: int = 65536, seed: int = 0) -> float:
    """Write the er.h5-layout file block by block; returns seconds."""
    import h5py

    rng = np.random.default_rng(seed)
    eye = np.eye(4, dtype=np.uint8)
    t0 = time.perf_counter()
    with h5py.File(path, "w") as f:
        for split, rows in (("train", n), ("valid", 10000), ("test", 10000)):
            xs = f.create_dataset(
                f"{split}_in",
                (rows, 4, 1, L),
                np.uint8,
                chunks=(CHUNK, 4, 1, L),
                compression="gzip",
                compression_opts=1,
            )
            ys = f.create_dataset(
                f"{split}_out",
                (rows, T),
                np.uint8,
                chunks=(CHUNK, T),
                compression="gzip",
                compression_opts=1,
            )
            for a in range(0, rows, block):
                b = min(a + block, rows)
                x = eye[rng.integers(0, 4, (b - a, L))]  # (n, L, 4)
                x[rng.random((b - a, L)) < 0.01] = 0  # N positions: all-zero columns
                xs[a:b] = x.transpose(0, 2, 1)[:, :, None, :]
                ys[a:b] = rng.random((b - a, T)) < 0.05
        f.create_dataset("target_labels", data=np.array([f"cell{i}" for i in range(T)], "S"))
        f.create_dataset("test_headers", data=np.array([f"seq{i}" for i in range(10000)], "S"))
    return time.perf_counter() - t0


def peak_rss_mb() -> float:
    """Peak RSS of this process (VmHWM: reset by exec, unlike ru_maxrss, which a child
    inherits from the parent that forked it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process so far (user + system, all threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_read(path: str, batch: int) -> dict:
    """One full shuffled epoch through tf.data."""
    from toolkit.data.basset import stream

    s = stream(path, "train", batch_size=batch, reverse_complement="random")
    rss_start = peak_rss_mb()
    t0, c0 = time.perf_counter(), cpu_s()
    n = 0
    for x, _ in s.dataset(epoch=0):
        n += int(x.shape[0])
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    return {
        "phase": "read",
        "sequences": n,
        "seconds": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "seq_per_s": round(n / wall),
        "seq_per_cpu_s": round(n / cpu),
        "peak_rss_mb": round(peak_rss_mb()),
        "rss_before_mb": round(rss_start),
    }


def child_train(path: str, batch: int, steps: int) -> dict:
    """Basset trained from the stream for ``steps`` steps (first step excluded: tracing)."""
    from toolkit.data.basset import stream
    from toolkit.models import build_model
    from toolkit.training.train import compile_model

    s = stream(path, "train", batch_size=batch, reverse_complement="random")
    model = compile_model(build_model("basset", "relu"))
    it = iter(s.dataset(epoch=0).take(steps + 1))
    x, y = next(it)
    model.train_on_batch(x, y)  # trace
    t0, c0 = time.perf_counter(), cpu_s()
    n = 0
    for x, y in it:
        model.train_on_batch(x, y)
        n += int(x.shape[0])
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    return {
        "phase": "train",
        "sequences": n,
        "seconds": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "seq_per_s": round(n / wall, 1),
        "seq_per_cpu_s": round(n / cpu, 1),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--train-steps", type=int, default=30)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", choices=("read", "train"), default=None)
    parser.add_argument("--file", default=None)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        result = (
            child_read(args.file, args.batch)
            if args.child == "read"
            else child_train(args.file, args.batch, args.train_steps)
        )
        print(json.dumps(result))
        return

    folder = Path(tempfile.mkdtemp(prefix="expact-basset-", dir=args.dir))
    path = folder / "er_synthetic.h5"
    try:
        c0 = cpu_s()
        seconds = write_file(path, args.n)
        size_gb = path.stat().st_size / 1e9
        print(
            f"wrote {args.n:,} sequences ({size_gb:.2f} GB on disk, gzip 1) in {seconds:.0f} s "
            f"({cpu_s() - c0:.0f} CPU s);"
            f" writer peak RSS {peak_rss_mb():.0f} MB",
            flush=True,
        )
        for child in ("read", "train"):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    child,
                    "--file",
                    str(path),
                    "--batch",
                    str(args.batch),
                    "--train-steps",
                    str(args.train_steps),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            print(out.stdout.strip().splitlines()[-1], flush=True)
        raw = args.n * L * 4 * 4 / 1e9
        print(f"in-memory float32 copy would be {raw:.1f} GB ({2 * raw:.1f} GB with RC copies)")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
