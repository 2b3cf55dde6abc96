#!/usr/bin/python3
"""The Markdown table of scripts/bench_vs_llamacpp.sh.

    bench_vs_llamacpp_table.py RESULTS.jsonl LLAMA_CPP/gguf-py GGUF_DIR "HEADER"

RESULTS.jsonl holds one line per test and run, tagged with the tool, the
weight pair ("q4_0:Q4_0") and the round. Per pair, test and thread count the
table gives the median tokens/s of the rounds, attn / llama.cpp (median of
the rounds, and the per-round range), and each tool's share of the read
bandwidth ceiling that attn's probe measured at that thread count: bytes
read per decoded token x tokens/s / ceiling. attn's bytes are its own
accounting (`work_per_token`); llama.cpp's are every tensor of its GGUF file
but token_embd (whose rows are gathered, not streamed) plus its f16 KV cache
read at the average position of the run.
"""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def llama_test(row):
    if row["n_prompt"] > 0:
        return f"pp{row['n_prompt']}"
    return f"tg{row['n_gen']}" + (f"@d{row['n_depth']}" if row["n_depth"] else "")


def gguf_decode_bytes(reader_module, path):
    """(weight bytes streamed per token, KV cache bytes per cached position at f16)."""
    reader = reader_module.GGUFReader(path)
    weights = sum(int(t.n_bytes) for t in reader.tensors if t.name != "token_embd.weight")
    field = lambda key: int(reader.fields[key].parts[-1][0])
    layers, width = field("llama.block_count"), field("llama.embedding_length")
    kv_width = width * field("llama.attention.head_count_kv") // field("llama.attention.head_count")
    return weights, 2 * layers * kv_width * 2


def main():
    results, gguf_py, gguf_dir, header = sys.argv[1:5]
    sys.path.insert(0, gguf_py)
    import gguf  # llama.cpp's reader, from its source tree

    samples = defaultdict(dict)  # (pair, test, threads) -> {tool: {round: t/s}}
    attn_bytes, ceilings, llama_files = {}, defaultdict(list), {}
    for line in open(results):
        row = json.loads(line)
        if row["tool"] in ("attn", "attn-before"):
            key = (row["pair"], row["test"], row["threads"])
            rate = row["median_tokens_per_second"]
            if row["tool"] == "attn" and row["test"].startswith("tg") and row.get("ceiling"):
                attn_bytes[key] = row["work_per_token"]
                ceilings[row["threads"]].append(row["ceiling"])
        else:
            key = (row["pair"], llama_test(row), row["n_threads"])
            rate = row["avg_ts"]
            llama_files[row["pair"]] = row["pair"].split(":")[1]
        samples[key].setdefault(row["tool"], {})[row["round"]] = rate

    ceiling = {t: statistics.median(c) for t, c in ceilings.items()}
    sizes = {pair: gguf_decode_bytes(gguf, str(Path(gguf_dir) / f"stories110M-{kind}.gguf"))
             for pair, kind in llama_files.items()}

    def share(rate, bytes_per_token, threads):
        return f"{100 * rate * bytes_per_token / ceiling[threads]:.0f} %" if threads in ceiling else "-"

    # With an ATTN_BEFORE binary: its t/s and attn's speed-up over it, per round.
    before = any("attn-before" in tools for tools in samples.values())
    print(header + "\n")
    print("| attn | llama.cpp | test | threads | attn t/s | llama.cpp t/s | attn ÷ llama.cpp (range) "
          "| attn of read ceiling | llama.cpp of read ceiling |" + (" before t/s | attn ÷ before (range) |" if before else ""))
    print("| ---- | --------- | ---- | ------: | -------: | ------------: | -----------------------: "
          "| -------------------: | ------------------------: |" + (" ---------: | ------------------: |" if before else ""))
    order = lambda key: (key[0], {"p": 0, "t": 1}[key[1][0]], "@" in key[1], key[2])
    for key in sorted(samples, key=order):
        pair, test, threads = key
        by_tool = samples[key]
        if "attn" not in by_tool or "llama.cpp" not in by_tool:
            continue
        ours, theirs = by_tool["attn"], by_tool["llama.cpp"]
        rounds = sorted(set(ours) & set(theirs))
        ratios = [ours[r] / theirs[r] for r in rounds]
        a, l = statistics.median(ours.values()), statistics.median(theirs.values())
        attn_share = llama_share = "-"
        if test.startswith("tg"):
            weights, kv_position = sizes[pair]
            n = int(test[2:].split("@")[0])
            depth = int(test.split("@d")[1]) if "@d" in test else 0
            llama_share = share(l, weights + kv_position * (depth + (n + 1) / 2), threads)
            if key in attn_bytes:
                attn_share = share(a, attn_bytes[key], threads)
        ours_type, theirs_type = pair.split(":")
        line = (f"| {ours_type} | {theirs_type} | {test} | {threads} | {a:.1f} | {l:.1f} | "
                f"**{statistics.median(ratios):.2f}×** ({min(ratios):.2f}–{max(ratios):.2f}) | "
                f"{attn_share} | {llama_share} |")
        if before and "attn-before" in by_tool:
            old = by_tool["attn-before"]
            gains = [ours[r] / old[r] for r in sorted(set(ours) & set(old))]
            line += (f" {statistics.median(old.values()):.1f} | {statistics.median(gains):.2f}× "
                     f"({min(gains):.2f}–{max(gains):.2f}) |")
        elif before:
            line += " - | - |"
        print(line)
    print("\nread ceiling (attn's probe, a dot product over 256 MiB): " +
          ", ".join(f"{t} thread{'s' if t > 1 else ''} {c / 1e9:.1f} GB/s" for t, c in sorted(ceiling.items())))


if __name__ == "__main__":
    main()
