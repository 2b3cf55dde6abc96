// ONNX Runtime side of the `attn embed` comparison (issue 4): embeds token id
// lines with the model.onnx that tests/fixtures/gen_family_fixtures.py
// --benchmark exports from the same weights as the attn directory.
//
//   node scripts/bench_embed_ort.mjs MODEL.onnx IDS.jsonl THREADS [BATCH] [OUT.jsonl]
//
// Run it from a directory where `npm install --ignore-scripts onnxruntime-node`
// was done (the package bundles its CPU library; its install script only
// fetches GPU libraries from GitHub).
//
// IDS.jsonl: `attn tokenize` output ({"ids":[...]} per line), so both engines
// see identical tokens; tokenization is not timed here (attn's figure
// includes it). Batches keep the input order and are padded to their longest
// sentence with an attention mask, the standard way to batch for ORT.
// Prints sentences/s on stderr; with OUT.jsonl, writes {"embedding":[...]} lines.
import fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const ort = require("onnxruntime-node");
const [modelPath, idsPath, threads, batchArg, outPath] = process.argv.slice(2);
const batchSize = Number(batchArg ?? 32);
const sentences = fs.readFileSync(idsPath, "utf8").trim().split("\n").map((l) => JSON.parse(l).ids);

const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: "sequential",
  graphOptimizationLevel: "all",
});

async function embedBatch(batch) {
  const length = Math.max(...batch.map((s) => s.length));
  const ids = new BigInt64Array(batch.length * length);
  const mask = new BigInt64Array(batch.length * length);
  batch.forEach((s, b) => s.forEach((id, i) => { ids[b * length + i] = BigInt(id); mask[b * length + i] = 1n; }));
  const dims = [batch.length, length];
  const out = await session.run({ input_ids: new ort.Tensor("int64", ids, dims),
                                  attention_mask: new ort.Tensor("int64", mask, dims) });
  return out.embedding;
}

await embedBatch(sentences.slice(0, batchSize));  // warm-up, as attn's session plans once
const start = process.hrtime.bigint();
const rows = [];
for (let i = 0; i < sentences.length; i += batchSize) {
  const e = await embedBatch(sentences.slice(i, i + batchSize));
  const width = e.dims[1];
  for (let b = 0; b < e.dims[0]; ++b) rows.push(Array.from(e.data.subarray(b * width, (b + 1) * width)));
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.error(`onnxruntime ${ort.env.versions?.common ?? ""}: ${sentences.length} sentences in ${seconds.toFixed(3)} s ` +
              `(${(sentences.length / seconds).toFixed(1)} sentences/s, ${threads} threads, batch ${batchSize})`);
if (outPath) fs.writeFileSync(outPath, rows.map((r) => JSON.stringify({ embedding: r })).join("\n") + "\n");
