// transformers.js side of scripts/bench_tokenizers.sh: encodes the same
// paragraphs with the same tokenizers and prints MB/s (one thread).
//   NODE_DEPS=/tmp/tjs node scripts/bench_tokenizers.mjs TEXT_FILE
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const deps = createRequire(path.join(process.env.NODE_DEPS ?? "/tmp/tjs", "package.json"));
const tjs = await import(pathToFileURL(deps.resolve("@huggingface/transformers")).href);
tjs.env.allowRemoteModels = false;
tjs.env.localModelPath = path.resolve(here, "../../shared/tokenizers") + "/";

const bytes = fs.readFileSync(process.argv[2]);
const paragraphs = bytes.toString("utf8").split("\n\n");
for (const [name, label] of [["gpt2", "byte-level BPE"], ["bert-base-uncased", "WordPiece"]]) {
  const tokenizer = await tjs.AutoTokenizer.from_pretrained(name);
  const start = process.hrtime.bigint();
  let tokens = 0;
  for (const text of paragraphs) tokens += tokenizer.encode(text, { add_special_tokens: false }).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`transformers.js ${name} (${label}): ${(bytes.length / 1e6 / seconds).toFixed(2)} MB/s (${tokens} tokens, ${seconds.toFixed(2)} s)`);
}
