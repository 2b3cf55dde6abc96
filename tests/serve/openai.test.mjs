// attn serve through the official OpenAI client library: answers equal the
// `attn` command's on the fixtures (greedy and seeded sampling), streamed
// or not; embeddings equal `attn embed`'s; errors are OpenAI's.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BERT, CLI, STORIES, TEMPLATE, cliGenerate, metrics, openaiClient, startServer } from "./helpers.mjs";

const MODEL = "stories260K-hf";
const CONVERSATION = [
  { role: "system", content: "You tell short stories." },
  { role: "user", content: "Tell me a story about a cat and a dog" },
];
let server, client, tmp;

before(async () => {
  server = await startServer(["-m", STORIES, "--chat-template", TEMPLATE, "--parallel", "4"]);
  client = openaiClient(server.url);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "attn-serve-"));
});

after(async () => {
  assert.equal(await server.stop(), 0);
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function chatReference(messages, extra = []) {
  const file = path.join(tmp, `messages-${Math.random()}.json`);
  fs.writeFileSync(file, JSON.stringify(messages));
  return cliGenerate(["--chat-template", TEMPLATE, "--messages", file, ...extra]);
}

test("chat, not streamed: the text `attn generate --messages` gives, with usage", async () => {
  const expected = await chatReference(CONVERSATION, ["-n", "48", "--temp", "0"]);
  const r = await client.chat.completions.create({ model: MODEL, messages: CONVERSATION, max_tokens: 48, temperature: 0 });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.model, MODEL);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(r.choices[0].message.content, expected.text);
  assert.equal(r.choices[0].finish_reason, expected.stop_reason === "max_length" ? "length" : "stop");
  assert.equal(r.usage.prompt_tokens, expected.prompt_tokens.length);
  assert.equal(r.usage.completion_tokens, expected.tokens.length);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test("chat, streamed: the same text in chunks, a finish_reason and the usage chunk", async () => {
  const expected = await chatReference(CONVERSATION, ["-n", "200", "--temp", "0"]);
  const stream = await client.chat.completions.create({
    model: MODEL, messages: CONVERSATION, max_tokens: 200, temperature: 0, stream: true,
    stream_options: { include_usage: true },
  });
  let text = "", roles = [], finish = null, usage = null, chunks = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    if (chunk.usage) usage = chunk.usage;
    if (chunk.choices.length === 0) continue;
    const delta = chunk.choices[0].delta;
    if (delta.role) roles.push(delta.role);
    text += delta.content ?? "";
    if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
    ++chunks;
  }
  assert.deepEqual(roles, ["assistant"]);
  assert.ok(chunks > 3);
  assert.equal(text, expected.text);
  assert.equal(finish, expected.stop_reason === "eos" ? "stop" : "length");
  assert.equal(usage.completion_tokens, expected.tokens.length);
  assert.equal(usage.prompt_tokens, expected.prompt_tokens.length);
});

test("completions, streamed and not: the text `attn generate -p` gives; stop strings as --stop", async () => {
  const expected = await cliGenerate(["-p", "Once upon a time", "-n", "80", "--temp", "0"]);
  const r = await client.completions.create({ model: MODEL, prompt: "Once upon a time", max_tokens: 80, temperature: 0 });
  assert.equal(r.object, "text_completion");
  assert.equal(r.choices[0].text, expected.text);
  assert.equal(r.usage.prompt_tokens, expected.prompt_tokens.length);
  let streamed = "";
  for await (const chunk of await client.completions.create({
    model: MODEL, prompt: "Once upon a time", max_tokens: 80, temperature: 0, stream: true,
  })) streamed += chunk.choices[0]?.text ?? "";
  assert.equal(streamed, expected.text);

  const stopped = await cliGenerate(["-p", "Once upon a time", "-n", "200", "--temp", "0", "--stop", "Lily", "--stop", "park"]);
  const s = await client.completions.create({
    model: MODEL, prompt: "Once upon a time", max_tokens: 200, temperature: 0, stop: ["Lily", "park"],
  });
  assert.equal(s.choices[0].text, stopped.text);
  assert.equal(s.choices[0].finish_reason, "stop");
});

test("seeded sampling gives what `attn generate -s SEED` gives with the same settings", async () => {
  const expected = await cliGenerate(["-p", "Lily went", "-n", "60", "--temp", "0.9", "--top-k", "0", "--top-p", "0.9", "-s", "1234"]);
  const ask = () => client.completions.create({
    model: MODEL, prompt: "Lily went", max_tokens: 60, temperature: 0.9, top_p: 0.9, seed: 1234,
  });
  const [a, b] = await Promise.all([ask(), ask()]);
  assert.equal(a.choices[0].text, expected.text);
  assert.equal(b.choices[0].text, expected.text);
});

test("logprobs: one entry per token, the greedy token is the most likely, alternatives sorted", async () => {
  const r = await client.chat.completions.create({
    model: MODEL, messages: CONVERSATION, max_tokens: 20, temperature: 0, logprobs: true, top_logprobs: 3,
  });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, r.usage.completion_tokens);
  for (const entry of content) {
    assert.ok(entry.logprob <= 0);
    assert.equal(entry.top_logprobs.length, 3);
    assert.equal(entry.top_logprobs[0].token, entry.token);
    assert.equal(entry.top_logprobs[0].logprob, entry.logprob);
    assert.ok(entry.top_logprobs[0].logprob >= entry.top_logprobs[1].logprob);
    assert.deepEqual(entry.bytes, [...Buffer.from(entry.token)]);
  }
  const c = await client.completions.create({ model: MODEL, prompt: "Once", max_tokens: 10, temperature: 0, logprobs: 2 });
  const lp = c.choices[0].logprobs;
  assert.equal(lp.tokens.length, c.usage.completion_tokens);
  assert.equal(lp.token_logprobs.length, lp.tokens.length);
  assert.equal(Object.keys(lp.top_logprobs[0]).length <= 2, true);
});

test("a shared system prompt is prefilled once: the next request reuses the cached prefix", async () => {
  const system = { role: "system", content: "You tell short stories about animals who live in a big green forest near a river." };
  const first = await client.chat.completions.create({
    model: MODEL, messages: [system, { role: "user", content: "A fox" }], max_tokens: 8, temperature: 0,
  });
  const second = await client.chat.completions.create({
    model: MODEL, messages: [system, { role: "user", content: "An owl" }], max_tokens: 8, temperature: 0,
  });
  assert.ok(second.usage.prompt_tokens_details.cached_tokens >= 20, JSON.stringify(second.usage));
  const expected = await chatReference([system, { role: "user", content: "An owl" }], ["-n", "8", "--temp", "0"]);
  assert.equal(second.choices[0].message.content, expected.text);
  assert.ok(first.usage.prompt_tokens > 20);
});

test("models, health and metrics", async () => {
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  assert.deepEqual(models, [MODEL]);
  assert.deepEqual(await (await fetch(`${server.url}/health`)).json(), { status: "ok" });
  const m = await metrics(server.url);
  assert.equal(m.attn_slots, 4);
  assert.equal(m.attn_slots_busy, 0);
  assert.equal(m.attn_queue_depth, 0);
  assert.ok(m.attn_generated_tokens_total > 0);
  assert.ok(m['attn_requests_total{endpoint="/v1/chat/completions",status="200"}'] >= 2);
});

test("errors: unknown model, bad fields, n > 1, a prompt longer than the context", async () => {
  const expectError = async (body, status, param, code) => {
    await assert.rejects(client.chat.completions.create({ model: MODEL, messages: CONVERSATION, ...body }), (e) => {
      assert.equal(e.status, status, e.message);
      assert.equal(e.error.type, "invalid_request_error");
      if (param !== undefined) assert.equal(e.param, param);
      if (code !== undefined) assert.equal(e.code, code);
      return true;
    });
  };
  await expectError({ model: "gpt-4o" }, 400, "model", "model_not_found");
  await expectError({ temperature: "hot" }, 400, "temperature");
  await expectError({ temperature: 5 }, 400, "temperature");
  await expectError({ max_tokens: 1.5 }, 400, "max_tokens");
  await expectError({ stop: [1, 2] }, 400, "stop");
  await expectError({ n: 2 }, 400, "n");
  await expectError({ top_logprobs: 2 }, 400, "top_logprobs");
  await expectError({ messages: "hello" }, 400, "messages");
  await expectError({ messages: [{ role: "user", content: "word ".repeat(2000) }] }, 400, "messages", "context_length_exceeded");
  await assert.rejects(client.embeddings.create({ model: MODEL, input: "x" }), (e) => e.status === 400);
});

test("embeddings: `attn embed`'s vectors, as floats and as base64", async () => {
  const bert = await startServer(["-m", BERT, "--parallel", "2"], { name: "bert" });
  try {
    const c = openaiClient(bert.url);
    const texts = ["The cat sat on the mat.", "Hello world", "A third, somewhat longer sentence about nothing."];
    const embedding = promisify(execFile)(CLI, ["embed", "-m", BERT, "--format", "f32"], { encoding: "buffer" });
    embedding.child.stdin.end(texts.join("\n") + "\n");
    const raw = (await embedding).stdout;
    const expected = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    const width = expected.length / texts.length;
    for (const encoding_format of ["float", "base64", undefined]) {
      const r = await c.embeddings.create({ model: "bert", input: texts, ...(encoding_format ? { encoding_format } : {}) });
      assert.equal(r.data.length, texts.length);
      r.data.forEach((d, i) => {
        assert.equal(d.index, i);
        // The client decodes base64 itself only when it chose the format (unspecified).
        let vector = d.embedding;
        if (encoding_format === "base64") {
          const bytes = Buffer.from(vector, "base64");
          vector = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
        }
        assert.deepEqual(Array.from(vector), Array.from(expected.subarray(i * width, (i + 1) * width)));
      });
      assert.ok(r.usage.prompt_tokens > texts.length);
    }
    await assert.rejects(c.chat.completions.create({ model: "bert", messages: CONVERSATION }), (e) => e.status === 400);
    await assert.rejects(c.embeddings.create({ model: "bert", input: [""] }), (e) => e.status === 400 && e.param === "input");
  } finally {
    assert.equal(await bert.stop(), 0);
  }
});
