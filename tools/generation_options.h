// The generation options `generate` and `chat` share, spelled as llama.cpp
// spells them: -n/--n-predict, --temp, -s/--seed, -c/--ctx-size, ...
#pragma once

#include <optional>
#include <random>
#include <string>

#include <CLI/CLI.hpp>

#include "attn/attn.h"
#include "validators.h"

namespace attn::cli {

struct GenerationOptions {
  GenerateOptions options;
  std::optional<uint64_t> seed;  // none: a random seed, reported so a run can be repeated
  int context_length = 0;

  void add_to(CLI::App& cmd, bool with_max_length) {
    SamplerConfig& s = options.sampling;
    // Messages name an option by its first long name.
    cmd.add_option("-n,--max-new-tokens,--n-predict", options.max_new_tokens,
                   "tokens to generate (-1 = until end of text or the context is full)")
        ->default_val(-1)->check(number_in(-1, 1e9, ">= 0, or -1 for no limit"));
    if (with_max_length) {
      cmd.add_option("--max-length", options.max_length,
                     "max tokens of prompt + continuation, BOS not counted (llama2.c's -n); 0 = context")
          ->default_val(0)->check(non_negative());
    }
    cmd.add_option("--temperature,--temp", s.temperature, "0 = greedy")->default_val(0.8)->check(non_negative());
    cmd.add_option("--top-k", s.top_k, "0 = off")->default_val(40)->check(non_negative());
    cmd.add_option("--top-p", s.top_p, "1 = off")->default_val(0.95)->check(probability());
    cmd.add_option("--min-p", s.min_p, "0 = off")->default_val(0.0)->check(probability());
    cmd.add_option("--repeat-penalty", s.repeat_penalty, "1 = off")->default_val(1.0)->check(positive());
    cmd.add_option("--repeat-last-n", s.repeat_last_n, "tokens the penalty looks back")->default_val(64)
        ->check(non_negative());
    cmd.add_option("-s,--seed", seed, "random seed (default: a random one, reported by --json)");
    cmd.add_option("--stop", options.stop_strings, "stop before this string (repeatable)");
    cmd.add_option("-c,--ctx-size", context_length, "context length (default: 4096, or the model's if smaller; at most the model's)")->check(non_negative());
  }

  // Fixes the seed: the one given, or a fresh random one.
  void resolve_seed() {
    if (!seed) seed = std::random_device{}() | (static_cast<uint64_t>(std::random_device{}()) << 32);
    options.sampling.seed = *seed;
  }
};

}  // namespace attn::cli
