// Each subcommand of the `attn` tool registers its options and its action.
#pragma once

#include <CLI/CLI.hpp>

namespace attn::cli {

void add_generate_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_embed_command(CLI::App& app);
void add_onnx_test_command(CLI::App& app);
void add_score_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_chat_template_command(CLI::App& app);
void add_chat_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_translate_command(CLI::App& app);

}  // namespace attn::cli
