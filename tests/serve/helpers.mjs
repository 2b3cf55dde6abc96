// Starting `attn serve` on a free loopback port, and the reference answers
// of the `attn` command for the same requests.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { once } from "node:events";
import path from "node:path";
import OpenAI from "openai";

export const CLI = process.env.ATTN_CLI ?? "attn";
export const SHARED = process.env.ATTN_SHARED_DIR ?? path.resolve("../../../shared");
export const FIXTURES = process.env.ATTN_FIXTURES_DIR ?? path.resolve("..", "fixtures");
export const STORIES = path.join(SHARED, "models", "stories260K-hf");
export const TEMPLATE = path.join(SHARED, "chat_templates", "deepseek-ai-DeepSeek-V3.1.jinja");
export const BERT = path.join(FIXTURES, "family", "bert");

// The official client pointed at a server. It is given Node's own fetch: the
// node-fetch it uses by default reports "Premature close" for a correctly
// ended chunked stream on Node 18.20 (Debian 12's), node-fetch issue #1576.
export function openaiClient(url, options = {}) {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0, fetch: globalThis.fetch, ...options });
}

// Starts a server (port 0: the kernel picks a free one) and resolves once it
// listens. stop() sends SIGTERM and resolves with the exit code.
export async function startServer(args, { name = "stories260K-hf" } = {}) {
  const child = spawn(CLI, ["serve", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  let stdout = "";
  const url = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      stdout += d;
      const m = stdout.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`attn serve exited (${code}) before listening: ${stderr}`)));
  });
  return {
    url,
    name,
    child,
    stderr: () => stderr,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, "exit");
      return code;
    },
  };
}

// `attn generate ... --json` for the same request: the reference answer.
// Asynchronous: a blocked event loop would keep the client from noticing
// that the server closed an idle keep-alive connection.
export async function cliGenerate(args) {
  const { stdout } = await promisify(execFile)(CLI, ["generate", "-m", STORIES, "--json", ...args], { maxBuffer: 1 << 26 });
  return JSON.parse(stdout);
}

export async function metrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^(attn_[a-z_]+(?:\{[^}]*\})?) (\S+)$/);
    if (m) values[m[1]] = Number(m[2]);
  }
  return values;
}

// Polls until `check()` holds (bounded), for state that settles a moment after a response.
export async function eventually(check, what, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
