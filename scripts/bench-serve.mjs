// Aggregate decode tokens/s of `attn serve` at 1, 4, 8, 16 concurrent
// streaming clients, and time to first token, against a running server:
//   node scripts/bench-serve.mjs URL MODEL [TOKENS_PER_CLIENT]
// Not a test: run it on a quiet machine (scripts/bench-serve.sh starts the server).
const [url, model, tokensArg] = process.argv.slice(2);
const tokens = Number(tokensArg ?? 64);

async function one(i) {
  const start = performance.now();
  const res = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model, prompt: `Once upon a time, client ${i} said`, max_tokens: tokens, temperature: 0, stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = "", firstToken = null, generated = 0;
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: {")) continue;
      const chunk = JSON.parse(event.slice(6));
      if (chunk.usage) generated = chunk.usage.completion_tokens;
      if (firstToken === null && chunk.choices[0]?.text) firstToken = performance.now() - start;
    }
  }
  return { generated, firstToken, seconds: (performance.now() - start) / 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await one(0);  // warm-up: plans the buffers
let single = null;
console.log("clients  tokens/s  vs-1-client  ttft-median-ms  ttft-max-ms");
for (const clients of [1, 4, 8, 16]) {
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: clients }, (_, i) => one(i)));
  const seconds = (performance.now() - start) / 1000;
  const rate = results.reduce((s, r) => s + r.generated, 0) / seconds;
  single ??= rate;
  const ttft = results.map((r) => r.firstToken);
  console.log(`${String(clients).padStart(7)}  ${rate.toFixed(1).padStart(8)}  ${(rate / single).toFixed(2).padStart(11)}` +
              `  ${median(ttft).toFixed(0).padStart(14)}  ${Math.max(...ttft).toFixed(0).padStart(11)}`);
}
