#!/usr/bin/python3
"""Lines/s of attn.distributed.score_files on a LocalCluster of 1 vs 2 worker
processes (1 attn thread each), interleaved runs, medians. Not a test.

  PYTHONPATH=python ATTN_LIBRARY=build/libattn.so.0 scripts/bench-distributed.py [-m MODEL] [--lines N] [--runs R]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

from dask.distributed import Client, LocalCluster

from attn import distributed

WORDS = "once upon a time there was a little girl named lily she liked to play in the park with her dog".split()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-m", "--model", default=os.path.join(os.path.dirname(__file__), "../../shared/models/stories260K-hf"))
    parser.add_argument("--lines", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines-per-partition", type=int, default=250)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "input.txt")
        with open(source, "w") as file:
            for i in range(args.lines):
                file.write(" ".join(WORDS[(i + j) % len(WORDS)] for j in range(8 + i % 24)) + "\n")
        clusters = {n: LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
                    for n in (1, 2)}
        clients = {n: Client(c) for n, c in clusters.items()}
        rates = {1: [], 2: []}
        for run in range(args.runs + 1):  # run 0 warms up (model loads)
            for n in (1, 2):
                start = time.monotonic()
                distributed.score_files(source, args.model, os.path.join(folder, f"out-{n}-{run}"), client=clients[n],
                                        lines_per_partition=args.lines_per_partition, progress=None)
                if run > 0:
                    rates[n].append(args.lines / (time.monotonic() - start))
        for n in (1, 2):
            print(f"{n} worker(s): median {statistics.median(rates[n]):.1f} lines/s over {args.runs} runs "
                  f"({', '.join(f'{r:.1f}' for r in rates[n])})")
        print(f"2 vs 1: {statistics.median(rates[2]) / statistics.median(rates[1]):.2f}x; "
              f"load average {os.getloadavg()[0]:.2f}")
        for c in clients.values():
            c.close()
        for c in clusters.values():
            c.close()


if __name__ == "__main__":
    sys.exit(main())
