// attn tokenize: stdin lines -> JSON lines {"ids":[...]}; --decode reverses.
// Input is read as `attn score` reads it: plain lines, or JSON lines
// {"text": ...} whose other fields pass through to the output line.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "json_text.h"
#include "line_input.h"
#include "model_options.h"

namespace attn::cli {
namespace {

struct TokenizeArgs {
  ModelOptions model;
  bool decode = false;
  bool no_special = false;
};

// A model path names its tokenizer implicitly: a directory holds the files,
// a llama2.c checkpoint needs --tokenizer.
std::shared_ptr<const Tokenizer> open_tokenizer(const ModelOptions& options) {
  if (!options.tokenizer.empty()) return load_tokenizer(options.tokenizer);
  if (std::filesystem::path(options.model).extension() == ".bin") {
    throw Error(options.model + ": a llama2.c checkpoint has no tokenizer inside; pass --tokenizer PATH");
  }
  return load_tokenizer(options.model);
}

std::vector<TokenId> parse_ids(const std::string& line) {
  const auto json = nlohmann::json::parse(line, nullptr, false);
  const auto& ids = json.is_object() && json.contains("ids") ? json["ids"] : json;
  if (!ids.is_array()) throw Error("expected {\"ids\":[...]} or [...], got: " + excerpt(line, 80));
  std::vector<TokenId> out;
  for (const auto& id : ids) {
    // Checked before converting: 4294967297 must not wrap to id 1.
    const bool in_range = id.is_number_unsigned() ? id.get<uint64_t>() <= uint64_t{INT32_MAX}
                                                  : id.is_number_integer() && id.get<int64_t>() >= 0 &&
                                                        id.get<int64_t>() <= INT32_MAX;
    if (!in_range) throw Error("token ids must be integers in 0.." + std::to_string(INT32_MAX) + ", got: " + json_text(id));
    out.push_back(id.get<TokenId>());
  }
  return out;
}

// Returns false when any line failed (reported on stderr, output kept aligned).
bool run(const TokenizeArgs& args) {
  const auto tokenizer = open_tokenizer(args.model);
  bool ok = true;
  std::string line;
  RecordFormat format = RecordFormat::Text;
  for (size_t number = 1; read_line(std::cin, line); ++number) {
    if (number == 1 && !args.decode) format = detect_record_format(line);
    try {
      if (args.decode) {
        const auto ids = parse_ids(line);
        for (TokenId id : ids) {
          if (id < 0 || id >= tokenizer->vocab_size()) throw Error("token id " + std::to_string(id) + " is out of range");
        }
        std::printf("%s\n", tokenizer->decode(ids).c_str());
      } else {
        const TextRecord record = parse_text_record(line, format, false);
        if (!record.error.empty()) throw Error(record.error);
        nlohmann::ordered_json out = nlohmann::ordered_json::parse(record.fields);
        out["ids"] = tokenizer->encode(record.text, !args.no_special);
        std::printf("%s\n", json_text(out).c_str());
      }
    } catch (const Error& e) {
      std::fprintf(stderr, "attn: stdin line %zu: %s\n", number, e.what());
      if (args.decode) {
        std::printf("\n");
      } else {
        std::printf("{\"error\":%s}\n", json_text(nlohmann::json(e.what())).c_str());
      }
      ok = false;
    }
  }
  return ok;
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Tokenize stdin lines (or decode ids with --decode)");
  args->model.add_to(*cmd, false);
  cmd->add_flag("--decode", args->decode, "read JSON lines of ids, print text");
  cmd->add_flag("--no-special", args->no_special, "do not add special tokens (BOS, ...)");
  cmd->callback([args] {
    if (!run(*args)) throw Error("some lines could not be processed (see above)");
  });
}

}  // namespace attn::cli
