// attn: the command-line client. Everything it does goes through the public
// API in include/attn, so an application can do the same.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "attn/error.h"
#include "commands.h"
#include "option_suggestions.h"

int main(int argc, char** argv) {
  CLI::App app{"attn: run pretrained Transformer models on CPUs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "attn 0.1.0");
  attn::cli::add_generate_command(app);
  attn::cli::add_chat_command(app);
  attn::cli::add_chat_template_command(app);
  attn::cli::add_serve_command(app);
  attn::cli::add_tokenize_command(app);
  attn::cli::add_inspect_command(app);
  attn::cli::add_bench_command(app);
  attn::cli::add_embed_command(app);
  attn::cli::add_onnx_test_command(app);
  attn::cli::add_score_command(app);
  attn::cli::add_translate_command(app);
  attn::cli::add_quantize_command(app);
  std::vector<std::string> args = attn::cli::llama_cpp_spellings(argc, argv);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "attn: error: %s\n", e.what());
    for (const std::string& hint : attn::cli::suggest_options(app, args, e)) std::fprintf(stderr, "%s\n", hint.c_str());
    std::fprintf(stderr, "(run with --help for the options)\n");
    return 1;
  } catch (const attn::Error& e) {
    std::fprintf(stderr, "attn: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attn: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
