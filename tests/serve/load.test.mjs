// Continuous batching under load: 16 concurrent streaming clients with
// different prompts and lengths (some past the prefill chunk, some sharing a
// prefix) against 8 slots. Every greedy answer equals the serial `attn
// generate` answer byte for byte, whatever else was in the batch; no request
// is lost; the slots are all free at the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { STORIES, TEMPLATE, cliGenerate, eventually, metrics, openaiClient, startServer } from "./helpers.mjs";

const STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. ";

function requests() {
  const list = [];
  for (let i = 0; i < 16; ++i) {
    const maxTokens = 20 + ((i * 37) % 150);
    if (i % 3 === 2) {
      list.push({ chat: true, maxTokens, messages: [{ role: "system", content: STORY }, { role: "user", content: `Tell me story number ${i}` }] });
    } else {
      // Lengths from a few tokens to well past the 64-token prefill chunk; a shared opening.
      list.push({ chat: false, maxTokens, prompt: STORY.repeat(i % 4) + `Tom and the dog ${i}` });
    }
  }
  return list;
}

test("16 concurrent streaming clients get the serial answers byte for byte", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "attn-load-"));
  const list = requests();
  const expected = [];
  for (const [i, r] of list.entries()) {  // one after the other: the serial answers
    let args = ["-p", r.prompt];
    if (r.chat) {
      const file = path.join(tmp, `m${i}.json`);
      fs.writeFileSync(file, JSON.stringify(r.messages));
      args = ["--chat-template", TEMPLATE, "--messages", file];
    }
    expected.push((await cliGenerate([...args, "-n", String(r.maxTokens), "--temp", "0"])).text);
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  const server = await startServer(["-m", STORIES, "--chat-template", TEMPLATE, "--parallel", "8"]);
  try {
    const client = openaiClient(server.url, { timeout: 120000 });
    const run = async (r) => {
      let text = "";
      if (r.chat) {
        const stream = await client.chat.completions.create({
          model: "stories260K-hf", messages: r.messages, max_tokens: r.maxTokens, temperature: 0, stream: true,
        });
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
      } else {
        const stream = await client.completions.create({
          model: "stories260K-hf", prompt: r.prompt, max_tokens: r.maxTokens, temperature: 0, stream: true,
        });
        for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
      }
      return text;
    };
    const answers = await Promise.all(list.map(run));
    answers.forEach((answer, i) => assert.equal(answer, expected[i], `request ${i} (${JSON.stringify(list[i]).slice(0, 80)})`));

    await eventually(async () => (await metrics(server.url)).attn_slots_busy === 0, "the slots to be free");
    const m = await metrics(server.url);
    assert.equal(m.attn_queue_depth, 0);
    assert.equal(m.attn_completions_total, 16);
    assert.equal(m.attn_completions_cancelled_total, 0);
    assert.ok(m.attn_prompt_tokens_cached_total > 0, "the shared openings came from the prefix cache");
    // Several sequences shared decode steps.
    assert.ok(m.attn_decode_steps_total < m.attn_generated_tokens_total, JSON.stringify(m));
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
