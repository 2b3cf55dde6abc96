// attn serve's edges: API keys, body limits, malformed JSON, the raw SSE
// format (curl), a full queue (503 + Retry-After), a client that goes away
// mid-stream (its slot is freed), and SIGTERM (requests in flight finish).
// The slow cases run a synthetic model (ATTN_SERVE_SYNTHETIC, made by run.sh)
// whose random weights never end a text early, so a generation is long
// enough to act while it runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import http from "node:http";
import { once } from "node:events";
import { STORIES, TEMPLATE, eventually, metrics, openaiClient, startServer } from "./helpers.mjs";

const SYNTHETIC = process.env.ATTN_SERVE_SYNTHETIC;

// One request through `agent` (node:http, so the connection it uses is
// known). A body is sent 100 ms after the headers, in its own TCP segment:
// what a server that answers from the headers alone has not read yet.
function rawRequest(url, agent, method, path, body, headers) {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { "Content-Length": Buffer.byteLength(body) };
    const req = http.request(`${url}${path}`, { method, agent, headers: { "Content-Type": "application/json", ...length, ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, body: text, reusedSocket: req.reusedSocket }));
    });
    req.on("error", reject);
    if (body === undefined) return req.end();
    req.flushHeaders();
    setTimeout(() => req.end(body), 100);
  });
}

async function firstChunk(iterator) {
  const { value } = await iterator.next();
  assert.ok(value);
  return value;
}

test("--api-key: 401 without the key or with another, 200 with it; /health stays open", async () => {
  const server = await startServer(["-m", STORIES, "--api-key", "sesame"]);
  try {
    const body = { model: "stories260K-hf", prompt: "Once", max_tokens: 3, temperature: 0 };
    for (const apiKey of ["wrong", undefined]) {
      const client = openaiClient(server.url, { apiKey: apiKey ?? "" });
      await assert.rejects(client.completions.create(body), (e) => e.status === 401 && e.code === "invalid_api_key");
    }
    const bare = await fetch(`${server.url}/v1/models`);
    assert.equal(bare.status, 401);
    assert.equal((await bare.json()).error.code, "invalid_api_key");
    const client = openaiClient(server.url, { apiKey: "sesame" });
    assert.equal((await client.completions.create(body)).usage.completion_tokens, 3);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    // A refused request's body must not be left on a keep-alive connection
    // for the next request there to be parsed after it (that one was a 400).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await rawRequest(server.url, agent, "POST", "/v1/completions", JSON.stringify(body), {});
      assert.equal(refused.status, 401);
      await new Promise((r) => setTimeout(r, 200));  // the body has reached the server
      const next = await rawRequest(server.url, agent, "GET", "/v1/models", undefined, { Authorization: "Bearer sesame" });
      assert.ok(next.reusedSocket, "the second request reuses the keep-alive connection");
      assert.equal(next.status, 200, next.body);
      assert.equal(JSON.parse(next.body).data[0].id, "stories260K-hf");
    } finally {
      agent.destroy();
    }
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("malformed JSON is a 400, a body over --max-body-mib a 413, an unknown path a 404, all as OpenAI JSON", async () => {
  const server = await startServer(["-m", STORIES, "--max-body-mib", "0.01"]);
  try {
    const post = (path, body) => fetch(`${server.url}${path}`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
    let r = await post("/v1/completions", '{"model": "stories260K-hf", "prompt": ');
    assert.equal(r.status, 400);
    let error = (await r.json()).error;
    assert.equal(error.type, "invalid_request_error");
    assert.match(error.message, /not valid JSON/);
    // A number too large for a double is bad JSON too, not a 500.
    r = await post("/v1/completions", '{"model": "stories260K-hf", "prompt": "x", "temperature": 1e5360}');
    assert.equal(r.status, 400);
    assert.match((await r.json()).error.message, /not valid JSON.*number overflow/);
    r = await post("/v1/completions", JSON.stringify({ model: "stories260K-hf", prompt: "x".repeat(20000) }));
    assert.equal(r.status, 413);
    assert.match((await r.json()).error.message, /larger than 10485 bytes/);
    r = await post("/v1/nothing", "{}");
    assert.equal(r.status, 404);
    assert.match((await r.json()).error.message, /no such endpoint/);
    r = await post("/v1/chat/completions", JSON.stringify({ model: "stories260K-hf", messages: [{ role: "user", content: "hi" }] }));
    assert.equal(r.status, 400, "no chat template: chat is refused with a reason");
    assert.match((await r.json()).error.message, /--chat-template/);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("curl sees the raw server-sent events: data lines, blank-line separated, ending with [DONE]", async () => {
  const server = await startServer(["-m", STORIES, "--chat-template", TEMPLATE]);
  try {
    const body = JSON.stringify({
      model: "stories260K-hf", messages: [{ role: "user", content: "Hi" }], max_tokens: 12, temperature: 0, stream: true,
    });
    const raw = execFileSync("curl", ["-sN", "-D", "-", "-H", "Content-Type: application/json", "-d", body,
                                      `${server.url}/v1/chat/completions`]).toString();
    const [head, events] = raw.split("\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 200 OK/);
    assert.match(head, /Content-Type: text\/event-stream/i);
    assert.match(head, /Transfer-Encoding: chunked/i);
    assert.ok(events.endsWith("data: [DONE]\n\n"));
    const blocks = events.split("\n\n").filter((b) => b !== "");
    let text = "";
    for (const block of blocks.slice(0, -1)) {
      if (block.startsWith(":")) continue;  // comments keep a waiting stream alive
      assert.match(block, /^data: \{.*\}$/);
      const chunk = JSON.parse(block.slice(6));
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    const client = openaiClient(server.url);
    const whole = await client.chat.completions.create({
      model: "stories260K-hf", messages: [{ role: "user", content: "Hi" }], max_tokens: 12, temperature: 0,
    });
    assert.equal(text, whole.choices[0].message.content);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("a full queue answers 503 with Retry-After; a client that leaves mid-stream frees its slot", async () => {
  assert.ok(SYNTHETIC, "ATTN_SERVE_SYNTHETIC: the synthetic model (run.sh makes it)");
  const server = await startServer(["-m", SYNTHETIC, "--alias", "synthetic", "--parallel", "1", "--max-queue", "1"], { name: "synthetic" });
  try {
    const client = openaiClient(server.url);
    // The leaving client is node:http, whose destroy() closes the socket.
    // (An aborted fetch may keep reading the rest of the body to reuse its
    // connection, and the server rightly streams on to a reader.) 8000
    // tokens run for 10 s or more, long after the client has gone.
    const leaving = http.request(`${server.url}/v1/completions`, { method: "POST", headers: { "Content-Type": "application/json" } });
    leaving.end(JSON.stringify({ model: "synthetic", prompt: "Once upon a time", max_tokens: 8000, temperature: 0, stream: true }));
    const [response] = await once(leaving, "response");
    assert.equal(response.statusCode, 200);
    await once(response, "data");  // it holds the only slot now
    const queued = client.completions.create({ model: "synthetic", prompt: "Lily", max_tokens: 2, temperature: 0 });
    await eventually(async () => (await metrics(server.url)).attn_queue_depth === 1, "the second request to queue");
    const refused = await fetch(`${server.url}/v1/completions`, {
      method: "POST", body: JSON.stringify({ model: "synthetic", prompt: "Tom", max_tokens: 2 }),
    });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal((await refused.json()).error.code, "server_busy");

    response.on("error", () => {});
    leaving.on("error", () => {});
    leaving.destroy();  // mid-stream: thousands of tokens still to go
    assert.equal((await queued).usage.completion_tokens, 2, "the queued request gets the freed slot");
    await eventually(async () => (await metrics(server.url)).attn_slots_busy === 0, "the slot to be free");
    const m = await metrics(server.url);
    assert.equal(m.attn_completions_cancelled_total, 1);
    assert.ok(m.attn_generated_tokens_total < 8000, "the stream stopped early");
    assert.equal(m['attn_requests_total{endpoint="/v1/completions",status="503"}'], 1);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("SIGTERM: the stream in flight finishes, new requests get 503, then the server exits 0", async () => {
  assert.ok(SYNTHETIC, "ATTN_SERVE_SYNTHETIC: the synthetic model (run.sh makes it)");
  const server = await startServer(["-m", SYNTHETIC, "--alias", "synthetic", "--parallel", "2"], { name: "synthetic" });
  let exited;
  try {
    const client = openaiClient(server.url);
    const stream = await client.completions.create({
      model: "synthetic", prompt: "Once upon a time", max_tokens: 40, temperature: 0, stream: true,
      stream_options: { include_usage: true },
    });
    const iterator = stream[Symbol.asyncIterator]();
    await firstChunk(iterator);
    exited = server.stop("SIGTERM");
    await eventually(async () => (await fetch(`${server.url}/health`)).ok &&
                                 (await (await fetch(`${server.url}/health`)).json()).status === "shutting down",
                     "the server to start draining");
    const late = await fetch(`${server.url}/v1/completions`, {
      method: "POST", body: JSON.stringify({ model: "synthetic", prompt: "Tom", max_tokens: 2 }),
    });
    assert.equal(late.status, 503);
    assert.equal((await late.json()).error.code, "shutting_down");
    let usage = null, finish = null;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      if (r.value.usage) usage = r.value.usage;
      if (r.value.choices[0]?.finish_reason) finish = r.value.choices[0].finish_reason;
    }
    assert.equal(finish, "length");
    assert.equal(usage.completion_tokens, 40);
    assert.equal(await exited, 0);
  } finally {
    if (!exited) await server.stop();
  }
});
