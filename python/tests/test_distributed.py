"""attn.distributed on a LocalCluster of 2 worker processes: the partition
files, concatenated, equal the single-process CLI output byte for byte; each
worker loads the model once; a re-run skips what is done, also after a worker
was killed mid-run; a re-run with other options is refused."""

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

import dask.distributed as distributed_dask  # python3-distributed, installed by install-deps.sh
from attn import distributed
from fixture_paths import BERT, CLI, MARIAN, STORIES

WORDS = "once upon a time there was a little girl named lily she liked to play in the park with her dog".split()


def story_lines(count, seed):
    """Deterministic lines of different lengths, some of them errors (empty, invalid UTF-8)."""
    lines = []
    for i in range(count):
        n = 3 + (i * 7 + seed) % 23
        line = " ".join(WORDS[(i + j * seed) % len(WORDS)] for j in range(n)).encode()
        if i % 17 == 5:
            line = b"\xff broken " + line
        if i % 19 == 7:
            line = b""
        lines.append(line)
    return lines


def write(path, lines, newline_at_end=True):
    path.write_bytes(b"\n".join(lines) + (b"\n" if newline_at_end else b""))
    return path


def cli_output(*args, input_path):
    run = subprocess.run([CLI, *args, "-i", str(input_path)], capture_output=True)
    assert run.returncode in (0, 1), run.stderr
    return run.stdout


def concatenated(paths):
    return b"".join(Path(p).read_bytes() for p in paths)


@pytest.fixture(scope="module")
def client():
    cluster = distributed_dask.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                            dashboard_address=":0")
    with distributed_dask.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    first = write(folder / "a.txt", story_lines(41, 3))
    second = write(folder / "b.txt", [b"\r".join([b"", b""])] + story_lines(30, 5), newline_at_end=False)
    whole = folder / "whole.txt"
    whole.write_bytes(first.read_bytes() + second.read_bytes())
    return [first, second], whole


def test_score_files_equal_the_cli_and_load_the_model_once_per_worker(client, inputs, tmp_path):
    paths, whole = inputs
    stats = []
    outputs = distributed.score_files([str(p) for p in paths], str(STORIES), str(tmp_path / "out"), client=client,
                                      lines_per_partition=9, batch_size=4, token_logprobs=True, stats=stats,
                                      progress=None)
    assert len(outputs) == 5 + 4  # 41 lines in 9s, 31 lines in 9s, in input order
    expected = cli_output("score", "-m", str(STORIES), "--token-logprobs", "--batch-size", "32", input_path=whole)
    assert concatenated(outputs) == expected
    assert sorted(s["output"] for s in stats) == sorted(outputs)
    loads = {}
    for s in stats:
        loads[s["pid"]] = max(loads.get(s["pid"], 0), s["loads"])
    assert set(loads.values()) == {1}, loads

    before = {p: os.stat(p).st_mtime_ns for p in outputs}
    again = []
    assert distributed.score_files([str(p) for p in paths], str(STORIES), str(tmp_path / "out"), client=client,
                                   lines_per_partition=9, batch_size=4, token_logprobs=True, stats=again,
                                   progress=None) == outputs
    assert again == [] and {p: os.stat(p).st_mtime_ns for p in outputs} == before

    with pytest.raises(ValueError, match="another job.*batch|options"):
        distributed.score_files([str(p) for p in paths], str(STORIES), str(tmp_path / "out"), client=client,
                                lines_per_partition=9, batch_size=8, progress=None)


def test_embed_files_of_json_lines_equal_the_cli(client, tmp_path):
    lines = [f'{{"id": {i}, "text": "{" ".join(WORDS[i % 7: i % 7 + 2 + i % 5])}"}}'.encode() for i in range(23)]
    lines[4] = b'{"id": 4}'  # no text: an error line that keeps its id
    source = write(tmp_path / "sentences.jsonl", lines)
    outputs = distributed.embed_files(str(tmp_path / "*.jsonl"), str(BERT), str(tmp_path / "out"), client=client,
                                      lines_per_partition=5, batch_size=3, progress=None)
    assert concatenated(outputs) == cli_output("embed", "-m", str(BERT), input_path=source)


def test_a_worker_killed_mid_run_loses_nothing(client, tmp_path):
    source = write(tmp_path / "many.txt", story_lines(400, 11))
    out = tmp_path / "out"
    stats, failure = [], []

    def run():
        try:
            distributed.score_files(str(source), str(STORIES), str(out), client=client, lines_per_partition=10,
                                    batch_size=2, stats=stats, progress=None)
        except Exception as error:  # a task may exhaust its retries; the re-run below must finish it
            failure.append(error)

    job = threading.Thread(target=run)
    job.start()
    deadline = time.monotonic() + 120
    while not list(out.glob("part-*.jsonl")) and time.monotonic() < deadline:
        time.sleep(0.05)
    victim = next(iter(client.run(os.getpid).values()))
    os.kill(victim, signal.SIGKILL)
    assert len(list(out.glob("part-*.jsonl"))) < 40, "the job ended before the kill"
    job.join(timeout=600)
    assert not job.is_alive()
    client.wait_for_workers(2, timeout=120)
    assert victim not in client.run(os.getpid).values()

    rerun = []
    outputs = distributed.score_files(str(source), str(STORIES), str(out), client=client, lines_per_partition=10,
                                      batch_size=2, stats=rerun, progress=None)
    assert concatenated(outputs) == cli_output("score", "-m", str(STORIES), input_path=source)
    done = [s["output"] for s in stats + rerun]
    assert len(done) == len(set(done)), "a finished partition was processed again"
    assert not list(out.glob(".*.tmp")), "the re-run left a killed worker's temporary file behind"


def test_bad_calls_are_refused_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="no input file matches"):
        distributed.score_files(str(tmp_path / "*.none"), str(STORIES), str(tmp_path / "out"))
    with pytest.raises(TypeError, match="unknown options.*pooling"):
        distributed.score_files([], str(STORIES), str(tmp_path / "out"), pooling="mean")
    with pytest.raises(ValueError, match="lines_per_partition"):
        distributed.embed_files([], str(BERT), str(tmp_path / "out"), lines_per_partition=0)


def test_the_command_line_entry_merges_and_reports_errors(client, inputs, tmp_path):
    paths, whole = inputs
    merged = tmp_path / "merged.jsonl"
    run = subprocess.run(["/usr/bin/python3", "-m", "attn.distributed", "score", *map(str, paths), "-m", str(STORIES),
                          "-o", str(tmp_path / "out"), "--scheduler", client.scheduler.address,
                          "--lines-per-partition", "16", "--merge", str(merged)], capture_output=True, text=True)
    assert run.returncode == 1, run.stderr  # some input lines are errors, as the CLI's exit status says
    assert "partitions" in run.stderr
    assert merged.read_bytes() == cli_output("score", "-m", str(STORIES), input_path=whole)


def test_translate_files_equal_the_cli(client, tmp_path):
    lines = [b"the cat sleeps", b"a house is big", b"", b"the dog runs to the house", b"big cat"] * 3
    source = write(tmp_path / "source.txt", lines)
    for as_json in (False, True):
        outputs = distributed.translate_files(str(source), str(MARIAN), str(tmp_path / f"out{as_json}"),
                                              client=client, lines_per_partition=4, batch_size=3, beam_size=2,
                                              json=as_json, progress=None)
        flags = ["--beam-size", "2"] + (["--json"] if as_json else [])
        assert concatenated(outputs) == cli_output("translate", "-m", str(MARIAN), *flags, input_path=source)
        assert all(p.endswith(".jsonl" if as_json else ".txt") for p in outputs)
