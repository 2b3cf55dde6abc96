"""The Python bindings against the attn command line on the same fixtures:
greedy text, embeddings and scores must be equal. Run by ctest, which sets
ATTN_LIBRARY, ATTN_CLI, ATTN_SHARED_DIR and ATTN_FIXTURES_DIR."""

import json
import subprocess
import threading

import numpy as np
import pytest

import attn

from fixture_paths import BERT, CLASSIFIER, CLI, MARIAN, SHARED, STORIES, STORIES_ONNX

SENTENCES = ["The cat sat on the mat.", "Hello world", "A third, somewhat longer sentence about nothing."]
CHAT_TEMPLATE = SHARED / "chat_templates" / "deepseek-ai-DeepSeek-V3.1.jinja"
CONVERSATION = [{"role": "system", "content": "You tell short stories."}, {"role": "user", "content": "Hi there"},
                {"role": "assistant", "content": "Once upon a time"},
                {"role": "user", "content": "Tell me a story about a cat and a dog"}]
STORY_LINES = ["Once upon a time there was a girl.", "Lily and Tom went to the park.", "The sun was hot."]


def cli(*args, stdin=""):
    return subprocess.run([CLI, *args], input=stdin.encode(), capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def stories():
    with attn.Model(STORIES) as model:
        yield model


def test_version():
    assert attn.__version__.count(".") == 2


def test_greedy_text_equals_the_cli(stories):
    expected = json.loads(cli("generate", "-m", str(STORIES), "-p", "Once upon a time", "--max-new-tokens", "60",
                              "--temperature", "0", "--json"))
    generation = stories.generate("Once upon a time", max_tokens=60)
    pieces = list(generation)
    assert "".join(pieces) == expected["text"]
    assert generation.text == expected["text"]
    assert generation.stop_reason == expected["stop_reason"]
    assert generation.tokens == expected["tokens"]
    assert generation.prompt_tokens == len(expected["prompt_tokens"])


def test_onnx_greedy_text_equals_the_cli():
    # The shared library reads ONNX files as the attn command does (the
    # same weights as STORIES, exported by torch.onnx).
    expected = json.loads(cli("generate", "-m", str(STORIES_ONNX), "-p", "Once upon a time", "--max-length", "256",
                              "--temperature", "0", "--json"))
    assert len(expected["tokens"]) > 100
    with attn.Model(STORIES_ONNX) as model:
        assert model.architecture == "LlamaForCausalLM"
        generation = model.generate("Once upon a time", max_length=256)
        assert "".join(generation) == expected["text"]
        assert generation.tokens == expected["tokens"]
        assert generation.stop_reason == expected["stop_reason"]


def test_cache_types_equal_the_cli():
    for cache_k, cache_v in (("q8_0", "q8_0"), ("bf16", "f16")):
        expected = json.loads(cli("generate", "-m", str(STORIES), "-p", "Once upon a time", "--max-new-tokens", "40",
                                  "--temperature", "0", "-ctk", cache_k, "--cache-type-v", cache_v, "--json"))
        with attn.Model(STORIES, cache_type_k=cache_k, cache_type_v=cache_v) as model:
            generation = model.generate("Once upon a time", max_tokens=40)
            list(generation)
            assert generation.tokens == expected["tokens"]
    with pytest.raises(ValueError, match="cache_type_v"):
        attn.Model(STORIES, cache_type_v="q4_0")


def test_leaving_the_loop_aborts_and_keeps_the_tokens(stories):
    full = stories.generate("Once upon a time", max_length=0)
    everything = "".join(full)
    generation = stories.generate("Once upon a time", max_length=0)
    for i, _ in enumerate(generation):
        if i == 3:
            break
    generation.close()
    assert generation.stop_reason == "aborted"
    assert 4 <= len(generation.tokens) < len(full.tokens)
    assert generation.tokens == full.tokens[: len(generation.tokens)]
    assert everything.startswith(generation.text)


def test_stop_strings_and_sampling(stories):
    generation = stories.generate("Once upon a time", max_length=256, stop=["Lily"])
    text = "".join(generation)
    assert generation.stop_reason == "stop_string" and "Lily" not in text
    sampled = ["".join(stories.generate("Once", temperature=0.8, seed=7, max_tokens=20)) for _ in range(2)]
    assert sampled[0] == sampled[1]


def test_tokens_equal_the_cli(stories):
    expected = json.loads(cli("tokenize", "-m", str(STORIES), stdin="Once upon a time\n"))["ids"]
    assert stories.tokenize("Once upon a time") == expected
    assert stories.detokenize(expected) == "Once upon a time"
    assert stories.tokenize("Once", add_special=False) == expected[1:2]


def test_chat_template_equals_the_cli(stories, tmp_path):
    messages = tmp_path / "messages.json"
    messages.write_text(json.dumps(CONVERSATION))
    for add in (False, True):
        expected = cli("chat-template", "-m", str(STORIES), "--chat-template", str(CHAT_TEMPLATE), "--messages",
                       str(messages), *(["--add-generation-prompt"] if add else [])).decode()
        assert stories.chat_template(CONVERSATION, template=CHAT_TEMPLATE, add_generation_prompt=add) == expected


def test_chat_equals_the_cli(stories, tmp_path):
    messages = tmp_path / "messages.json"
    for conversation in (CONVERSATION, CONVERSATION[1:2]):
        messages.write_text(json.dumps(conversation))
        expected = json.loads(cli("generate", "-m", str(STORIES), "--chat-template", str(CHAT_TEMPLATE),
                                  "--messages", str(messages), "-n", "48", "--temp", "0", "--json"))
        answer = stories.chat(conversation, template=CHAT_TEMPLATE, max_tokens=48)
        assert "".join(answer) == expected["text"]
        assert answer.text == expected["text"]
        assert answer.tokens == expected["tokens"]
        assert answer.stop_reason == expected["stop_reason"]
        assert answer.prompt_tokens == len(expected["prompt_tokens"])
    # `attn chat` on a pipe answers a first turn the same way.
    chatted = cli("chat", "-m", str(STORIES), "--chat-template", str(CHAT_TEMPLATE), "-n", "48", "--temp", "0",
                  stdin="Hi there\n").decode()
    assert chatted == expected["text"] + "\n"


def test_chat_errors_name_the_problem(stories, tmp_path):
    with pytest.raises(attn.AttnError, match="no chat template"):
        list(stories.chat([{"role": "user", "content": "Hi"}]))
    with pytest.raises(attn.AttnError, match="no chat template"):
        stories.chat_template([{"role": "user", "content": "Hi"}])
    refusing = tmp_path / "refuses.jinja"
    refusing.write_text("{{ raise_exception('only users speak here') }}")
    with pytest.raises(attn.AttnError, match="only users speak here"):
        list(stories.chat(CONVERSATION, template=refusing))
    with pytest.raises(TypeError, match="messages\\[0\\]"):
        stories.chat([{"role": "user"}], template=CHAT_TEMPLATE)


def test_scores_equal_the_cli(stories):
    lines = cli("score", "-m", str(STORIES), "--token-logprobs", stdin="\n".join(STORY_LINES) + "\n").splitlines()
    expected = [json.loads(line) for line in lines]
    scores = stories.score(STORY_LINES, token_logprobs=True)
    for got, want in zip(scores, expected):
        assert got.error is None
        assert got.logprob == want["logprob"]
        assert got.tokens == want["tokens"]
        assert got.token_logprobs.tolist() == want["token_logprobs"]
        assert got.ppl == pytest.approx(want["ppl"], rel=1e-12)
    bad = stories.score(["", "The sun was hot."])
    assert bad[0].error and bad[1].error is None


def test_compute_type_reaches_the_engine_as_the_cli_s(stories):
    # Scoring runs the matmul path, where bf16 compute differs from f32.
    lines = cli("score", "-m", str(STORIES), "--token-logprobs", "--compute-type", "bf16",
                stdin="\n".join(STORY_LINES) + "\n").splitlines()
    expected = [json.loads(line) for line in lines]
    with attn.Model(STORIES, compute_type="bf16") as model:
        info = json.loads(cli("inspect", "-m", str(STORIES), "--compute-type", "bf16", "--json"))
        assert model.compute_type == info["compute_type"]
        scores = model.score(STORY_LINES, token_logprobs=True)
        for got, want in zip(scores, expected):
            assert got.token_logprobs.tolist() == want["token_logprobs"]
        exact = stories.score(STORY_LINES, token_logprobs=True)
        differ = any(a.token_logprobs.tolist() != b.token_logprobs.tolist() for a, b in zip(scores, exact))
        assert differ == (model.compute_type == "bf16")
    with pytest.raises(ValueError, match="compute_type: one of \\['bf16', 'f32'\\]"):
        attn.Model(STORIES, compute_type="f16")


def test_embeddings_equal_the_cli():
    raw = cli("embed", "-m", str(BERT), "--format", "f32", stdin="\n".join(SENTENCES) + "\n")
    with attn.Model(BERT) as model:
        expected = np.frombuffer(raw, dtype="<f4").reshape(len(SENTENCES), model.hidden_size)
        embeddings = model.embed(SENTENCES)
        assert embeddings.dtype == np.float32 and embeddings.shape == expected.shape
        np.testing.assert_array_equal(embeddings, expected)
        with pytest.raises(attn.AttnError, match="encoder"):
            list(model.generate("Hello"))


def test_classify_gives_a_distribution_per_input():
    with attn.Model(CLASSIFIER) as model:
        assert len(model.labels) > 1
        scores = model.classify(["I loved it.", "Is it raining?"], [None, "It is sunny."])
        assert scores.shape == (2, len(model.labels))
        np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)


def test_errors_name_the_problem(stories, tmp_path):
    with pytest.raises(attn.AttnError, match="nonexistent") as error:
        attn.Model(tmp_path / "nonexistent")
    assert error.value.status == "failed"
    with pytest.raises(attn.AttnError, match="not an encoder"):
        stories.embed(["x"])
    with pytest.raises(attn.AttnError, match="top_p"):
        list(stories.generate("Once", top_p=0))
    with pytest.raises(attn.AttnError, match="tokens\\[0\\]"):
        stories.detokenize([10**6])


def test_progress_reaches_loaded_and_can_cancel():
    seen = []
    attn.Model(STORIES, progress=lambda stage, fraction: seen.append((stage, fraction))).close()
    assert seen[-1] == ("loaded", 1.0)
    with pytest.raises(attn.Cancelled):
        attn.Model(STORIES, progress=lambda stage, fraction: False)


def test_a_model_is_shared_by_threads(stories):
    expected = "".join(stories.generate("Lily", max_tokens=30))
    results = [None] * 4

    def run(i):
        results[i] = "".join(stories.generate("Lily", max_tokens=30))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


# ---- record jobs: the exact lines of attn score / attn embed ----------------

RECORD_LINES = [b"Once upon a time there was a girl.", b"", b"\xff\xfe not UTF-8", b"Lily and Tom went to the park.",
                b"The sun was hot."]
JSON_LINES = [b'{"id": 1, "text": "Once upon a time"}', b'{"id": 2}', b'not json', b'{"text": "Lily went.", "x": [1]}']


def cli_bytes(*args, stdin=b""):
    """The CLI's stdout; exit status 1 is expected when some lines are errors."""
    run = subprocess.run([CLI, *args], input=stdin, capture_output=True)
    assert run.returncode in (0, 1), run.stderr
    return run.stdout


def test_detect_record_format():
    assert attn.detect_record_format(JSON_LINES[0]) == "jsonl"
    assert attn.detect_record_format(b'{"id": 2}') == "text"
    assert attn.detect_record_format(b"plain") == "text"


@pytest.mark.parametrize("lines,fmt", [(RECORD_LINES, "text"), (JSON_LINES, "jsonl")])
def test_score_records_equal_the_cli(stories, lines, fmt):
    expected = cli_bytes("score", "-m", str(STORIES), "--batch-size", "2", "--token-logprobs",
                         stdin=b"\n".join(lines) + b"\n")
    records = stories.process_records("score", lines, format=fmt, batch_size=2, token_logprobs=True)
    assert records.output == expected
    assert records.errors == sum(b'"error"' in line for line in expected.splitlines())
    assert records.errors >= 1 and records.tokens > 0


def test_embed_and_classify_records_equal_the_cli():
    lines = [s.encode() for s in SENTENCES] + [b"\xc3 broken"]
    with attn.Model(BERT) as bert:
        expected = cli_bytes("embed", "-m", str(BERT), stdin=b"\n".join(lines) + b"\n")
        assert bert.process_records("embed", lines).output == expected
    pairs = [b"A man is eating.\tA man eats food.", b"Nothing here"]
    with attn.Model(CLASSIFIER) as classifier:
        expected = cli_bytes("score", "-m", str(CLASSIFIER), stdin=b"\n".join(pairs) + b"\n")
        assert classifier.process_records("score", pairs).output == expected


def test_records_refuse_a_model_without_the_task(stories):
    with pytest.raises(attn.AttnError, match="not an encoder"):
        stories.process_records("embed", [b"text"])
    with pytest.raises(ValueError, match="NUL"):
        stories.process_records("score", [b"a\0b"])


@pytest.mark.parametrize("as_json", [False, True])
def test_translate_records_equal_the_cli(as_json):
    lines = [b"the cat sleeps", b"", b'a house is big', b"\xff bad"]
    flags = ["--beam-size", "2", "--batch-size", "3"] + (["--json"] if as_json else [])
    expected = cli_bytes("translate", "-m", str(MARIAN), *flags, stdin=b"\n".join(lines) + b"\n")
    with attn.Model(MARIAN) as marian:
        records = marian.process_records("translate", lines, beam_size=2, batch_size=3, json=as_json)
    assert records.output == expected
    assert records.errors == 2 and len(expected.splitlines()) == len(lines)
