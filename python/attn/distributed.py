"""Batch jobs over text files on a Dask cluster: score_files, embed_files and
translate_files.

The inputs are cut into partitions of whole lines; each worker process loads
the model once and turns each of its partitions into one output file with
Model.process_records, the same code `attn score`, `embed` and `translate` run, so the
partition files concatenated in order are byte for byte the CLI's output for
the concatenated inputs. A partition file appears only complete (written to a
temporary name, then renamed), so re-running the same call after a crash of a
worker or of the driver skips the partitions already done. A manifest in the
output folder records what the job is; a re-run with other inputs or options
is refused instead of mixing two jobs' results.

process_partition is the per-partition function; Ray Data or Spark can run it
the same way (see python/README.md).
"""

import argparse
import glob
import json
import os
import sys
import time
from typing import Dict, List, Optional, Sequence, Union

MANIFEST = "manifest.json"
_TASKS = ("score", "embed", "translate")
# Options a task takes, with the CLI's defaults (truncate: off for score, on for embed).
_OPTIONS = {
    "score": {"batch_size": 32, "truncate": False, "token_logprobs": False},
    "embed": {"batch_size": 32, "truncate": True, "pooling": None, "normalize": None},
    "translate": {"batch_size": 32, "json": False, "beam_size": 0, "max_new_tokens": 0, "length_penalty": None,
                  "early_stopping": None, "no_repeat_ngram_size": None, "src_lang": None, "tgt_lang": None},
}
_MODEL_OPTIONS = {"tokenizer": None, "dtype": None, "compute_type": "f32", "threads": 1}


# ---- partitions -----------------------------------------------------------

def expand_inputs(inputs: Union[str, Sequence[str]]) -> List[str]:
    """A glob pattern or a list of paths (patterns in it expand, sorted)."""
    patterns = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    paths: List[str] = []
    for pattern in map(str, patterns):
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise FileNotFoundError(f"{pattern}: no input file matches")
        paths.extend(matches)
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: not a readable input file")
    return [os.path.abspath(path) for path in paths]


def split_lines(path: str, lines_per_partition: int) -> List[Dict]:
    """Partitions of one file: [{"path", "offset", "lines"}], each lines_per_partition
    whole lines (the last may have fewer). A last line without a newline is a line."""
    partitions, start, offset, count = [], 0, 0, 0
    with open(path, "rb") as file:
        for line in file:  # binary files split at b"\n" only
            offset += len(line)
            count += 1
            if count == lines_per_partition:
                partitions.append({"path": path, "offset": start, "lines": count})
                start, count = offset, 0
    if count:
        partitions.append({"path": path, "offset": start, "lines": count})
    return partitions


def read_partition(partition: Dict) -> List[bytes]:
    """The partition's lines without "\\n" (and without the "\\r" of CRLF, as the CLI reads them)."""
    lines = []
    with open(partition["path"], "rb") as file:
        file.seek(partition["offset"])
        for _ in range(partition["lines"]):
            line = file.readline()
            if line.endswith(b"\n"):
                line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
            lines.append(line)
    return lines


def first_line(paths: Sequence[str]) -> Optional[bytes]:
    """The first line of the concatenated inputs (it decides --input-format auto)."""
    for path in paths:
        with open(path, "rb") as file:
            line = file.readline()
        if line:
            return line.rstrip(b"\n").rstrip(b"\r")
    return None


# ---- the per-partition function ---------------------------------------------

_models: Dict[tuple, object] = {}
_loads = 0  # models this process has loaded, reported back so "once per worker" can be checked


def _model(path: str, tokenizer: Optional[str], dtype: Optional[str], compute_type: str, threads: int):
    global _loads
    key = (path, tokenizer, dtype, compute_type, threads)
    if key not in _models:
        import attn
        attn.set_threads(threads)
        _models[key] = attn.Model(path, tokenizer=tokenizer, dtype=dtype, compute_type=compute_type)
        _loads += 1
    return _models[key]


def _write_atomically(path: str, chunks) -> None:
    temporary = f"{os.path.join(os.path.dirname(path), '.' + os.path.basename(path))}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def process_partition(spec: Dict) -> Dict:
    """Runs one partition: spec = {"task", "model", "model_options", "options",
    "format", "partition", "output"}. Writes the output file atomically and
    returns {"output", "lines", "errors", "tokens", "pid", "loads"}."""
    model_options = {**_MODEL_OPTIONS, **spec["model_options"]}
    model = _model(spec["model"], model_options["tokenizer"], model_options["dtype"], model_options["compute_type"],
                   model_options["threads"])
    options = spec["options"]
    lines = read_partition(spec["partition"])
    batch_size = options["batch_size"]
    errors = tokens = 0
    chunks = []
    for start in range(0, len(lines), batch_size):
        records = model.process_records(spec["task"], lines[start:start + batch_size], format=spec["format"],
                                        **options)
        chunks.append(records.output)
        errors += records.errors
        tokens += records.tokens
    _write_atomically(spec["output"], chunks)
    return {"output": spec["output"], "lines": len(lines), "errors": errors, "tokens": tokens,
            "pid": os.getpid(), "loads": _loads}


# ---- the driver -------------------------------------------------------------

def _identity(task, model, model_options, options, input_format, lines_per_partition, paths) -> Dict:
    """What the output folder holds: re-running must ask for exactly this."""
    files = [{"path": p, "size": os.stat(p).st_size, "mtime_ns": os.stat(p).st_mtime_ns} for p in paths]
    return {"task": task, "model": os.path.abspath(model), "model_options": model_options, "options": options,
            "input_format": input_format, "lines_per_partition": lines_per_partition, "inputs": files}


def _claim_output_dir(output_dir: str, identity: Dict) -> None:
    os.makedirs(output_dir, exist_ok=True)
    manifest = os.path.join(output_dir, MANIFEST)
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as file:
            held = json.load(file).get("job")
        if held != identity:
            changed = sorted(k for k in set(held or {}) | set(identity) if (held or {}).get(k) != identity.get(k))
            raise ValueError(f"{output_dir} holds another job's output (differs in: {', '.join(changed)}); "
                             "use a new output folder or delete it")


def _write_manifest(output_dir: str, identity: Dict, partitions: List[Dict], outputs: List[str]) -> None:
    entries = [{**p, "output": os.path.basename(o)} for p, o in zip(partitions, outputs)]
    text = json.dumps({"job": identity, "partitions": entries}, indent=1) + "\n"
    _write_atomically(os.path.join(output_dir, MANIFEST), [text.encode("utf-8")])


def run_files(task: str, inputs, model: str, output_dir: str, client=None, lines_per_partition: int = 100_000,
              input_format: str = "auto", progress=sys.stderr, stats: Optional[List[Dict]] = None,
              **options) -> List[str]:
    """score_files / embed_files; stats, when a list, receives each processed partition's report."""
    if task not in _TASKS:
        raise ValueError(f"task: one of {_TASKS}, not {task!r}")
    if lines_per_partition < 1:
        raise ValueError("lines_per_partition: must be 1 or more")
    if input_format not in ("auto", "text", "jsonl"):
        raise ValueError(f"input_format: auto, text or jsonl, not {input_format!r}")
    model_options = {k: options.pop(k, default) for k, default in _MODEL_OPTIONS.items()}
    unknown = set(options) - set(_OPTIONS[task])
    if unknown:
        raise TypeError(f"{task}_files: unknown options {sorted(unknown)} (known: "
                        f"{sorted(_OPTIONS[task]) + sorted(_MODEL_OPTIONS)})")
    options = {**_OPTIONS[task], **options}
    if options["batch_size"] < 1:
        raise ValueError("batch_size: must be 1 or more")

    paths = expand_inputs(inputs)
    identity = _identity(task, model, model_options, options, input_format, lines_per_partition, paths)
    _claim_output_dir(output_dir, identity)
    first = first_line(paths)
    if input_format == "auto":
        from .model import detect_record_format
        input_format = detect_record_format(first) if first is not None else "text"
    partitions = [p for path in paths for p in split_lines(path, lines_per_partition)]
    suffix = ".txt" if task == "translate" and not options["json"] else ".jsonl"
    outputs = [os.path.join(os.path.abspath(output_dir), f"part-{i:06d}{suffix}") for i in range(len(partitions))]
    _write_manifest(output_dir, identity, partitions, outputs)
    for stale in glob.glob(os.path.join(glob.escape(output_dir), ".part-*.tmp")):
        os.unlink(stale)  # left by a killed worker; no task of this job runs yet

    todo = [{"task": task, "model": os.path.abspath(model), "model_options": model_options, "options": options,
             "format": input_format, "partition": p, "output": o}
            for p, o in zip(partitions, outputs) if not os.path.exists(o)]
    if todo:
        _run_on_cluster(client, todo, len(partitions) - len(todo), len(partitions), progress, stats)
    return outputs


def _run_on_cluster(client, todo, done_before, total, progress, stats) -> None:
    from dask.distributed import Client, LocalCluster, as_completed
    own = client is None
    if own:
        client = Client(LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True))
    try:
        futures = client.map(process_partition, todo, pure=False)
        start, lines, done = time.monotonic(), 0, done_before
        for future in as_completed(futures):
            report = future.result()  # a failed partition raises here, naming its error
            done += 1
            lines += report["lines"]
            if stats is not None:
                stats.append(report)
            if progress:
                rate = lines / max(time.monotonic() - start, 1e-9)
                print(f"attn.distributed: {done}/{total} partitions, {lines} lines, {rate:.1f} lines/s",
                      file=progress, flush=True)
    finally:
        if own:
            cluster = client.cluster
            client.close()
            cluster.close()


def translate_files(inputs, model, output_dir, client=None, lines_per_partition=100_000, **options) -> List[str]:
    """`attn translate` over files on a cluster (encoder-decoder models): one
    line of text per input line, or {"text","tokens","score"} with json=True.
    Options: batch_size, json, beam_size, max_new_tokens, length_penalty,
    early_stopping, no_repeat_ngram_size, src_lang, tgt_lang, input_format,
    dtype, compute_type, threads (per worker), tokenizer. Returns the output
    partition files in input order."""
    return run_files("translate", inputs, model, output_dir, client, lines_per_partition, **options)


def score_files(inputs, model, output_dir, client=None, lines_per_partition=100_000, **options) -> List[str]:
    """`attn score` over files on a cluster: log-likelihoods (decoders) or label
    scores (classifiers), one JSON line per input line. Options: batch_size,
    truncate, token_logprobs, input_format, dtype, compute_type, threads (per
    worker), tokenizer. Returns the output partition files in input order."""
    return run_files("score", inputs, model, output_dir, client, lines_per_partition, **options)


def embed_files(inputs, model, output_dir, client=None, lines_per_partition=100_000, **options) -> List[str]:
    """`attn embed` over files on a cluster: {"embedding":[...]} per input line.
    Options: batch_size, truncate, pooling, normalize, input_format, dtype,
    compute_type, threads (per worker), tokenizer. Returns the output partition files in input order."""
    return run_files("embed", inputs, model, output_dir, client, lines_per_partition, **options)


# ---- python3 -m attn.distributed --------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m attn.distributed",
                                     description="Score, embed or translate text files on a Dask cluster. "
                                                 "Exit status 1 when a line processed by this run is an error.")
    parser.add_argument("task", choices=_TASKS)
    parser.add_argument("inputs", nargs="+", help="input files or glob patterns")
    parser.add_argument("-m", "--model", required=True, help="model path, the same on every worker")
    parser.add_argument("-o", "--output-dir", required=True)
    parser.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786); default: a local cluster")
    parser.add_argument("--lines-per-partition", type=int, default=100_000)
    parser.add_argument("--input-format", choices=("auto", "text", "jsonl"), default="auto")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dtype", choices=("f32", "f16", "bf16", "int8", "q4_0", "q8_0", "q4_k", "q4_k_m", "q6_k"))
    parser.add_argument("--compute-type", choices=("f32", "bf16"), default="f32",
                        help="bf16: prefill matmuls in bf16 on CPUs with AVX512_BF16 (faster, less exact)")
    parser.add_argument("-t", "--threads", type=int, default=1, help="attn threads per worker process")
    parser.add_argument("--tokenizer")
    parser.add_argument("--truncate", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--token-logprobs", action="store_true", help="score: each token's log-probability")
    parser.add_argument("--pooling", choices=("mean", "cls", "max", "last"), help="embed")
    parser.add_argument("--normalize", action=argparse.BooleanOptionalAction, default=None, help="embed")
    parser.add_argument("--json", action="store_true", help="translate: JSON lines {text, tokens, score}")
    parser.add_argument("--beam-size", type=int, default=0, help="translate (default: the model's)")
    parser.add_argument("-n", "--max-new-tokens", type=int, default=0, help="translate (default: the model's)")
    parser.add_argument("--src-lang", help="translate")
    parser.add_argument("--tgt-lang", help="translate")
    parser.add_argument("--merge", metavar="FILE", help="also concatenate the partitions into FILE")
    args = parser.parse_args(argv)

    options = {"batch_size": args.batch_size, "input_format": args.input_format, "dtype": args.dtype,
               "compute_type": args.compute_type,
               "threads": args.threads, "tokenizer": args.tokenizer}
    if args.truncate is not None:
        options["truncate"] = args.truncate
    if args.task == "score":
        options["token_logprobs"] = args.token_logprobs
    elif args.task == "embed":
        options.update(pooling=args.pooling, normalize=args.normalize)
    else:
        options.update(json=args.json, beam_size=args.beam_size, max_new_tokens=args.max_new_tokens,
                       src_lang=args.src_lang, tgt_lang=args.tgt_lang)
    stats = []
    client = None
    if args.scheduler:
        from dask.distributed import Client
        client = Client(args.scheduler)
    try:
        outputs = run_files(args.task, args.inputs, args.model, args.output_dir, client,
                            args.lines_per_partition, stats=stats, **options)
    except (OSError, ValueError, TypeError) as error:
        print(f"attn.distributed: {error}", file=sys.stderr)
        return 1
    finally:
        if client is not None:
            client.close()
    if args.merge:
        _write_atomically(args.merge, (open(path, "rb").read() for path in outputs))
    errors = sum(report["errors"] for report in stats)
    print(f"attn.distributed: {len(outputs)} partitions in {args.output_dir}"
          + (f", merged into {args.merge}" if args.merge else ""), file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
