#include "option_suggestions.h"

#include <algorithm>

namespace attn::cli {

std::vector<std::string> llama_cpp_spellings(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (std::string& arg : args) {
    if (arg == "-sys") arg = "--system";
    else if (arg == "-cnv") arg = "--chat";
    else if (arg == "-np") arg = "--parallel";
    else if (arg == "-ctk") arg = "--cache-type-k";
    else if (arg == "-ctv") arg = "--cache-type-v";
  }
  return args;
}

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The options of the subcommand on the command line (or the app's).
std::vector<std::string> option_names(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* command = &app;
  for (size_t i = 1; i < args.size(); ++i) {
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      if (sub->get_name() == args[i]) command = sub;
    if (command != &app) break;
  }
  std::vector<std::string> names;
  for (const CLI::Option* option : command->get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

}  // namespace

std::vector<std::string> suggest_options(const CLI::App& app, const std::vector<std::string>& args,
                                         const CLI::ParseError& error) {
  std::vector<std::string> hints;
  if (error.get_exit_code() != static_cast<int>(CLI::ExitCodes::ExtrasError)) return hints;
  const std::vector<std::string> names = option_names(app, args);
  for (const std::string& arg : args) {
    if (arg.size() < 2 || arg[0] != '-' || std::find(names.begin(), names.end(), arg) != names.end()) continue;
    const std::string flag = arg.substr(0, arg.find('='));
    if (std::string(error.what()).find(flag) == std::string::npos) continue;
    std::string best;
    size_t best_distance = 4;  // farther than this is not a typo
    for (const std::string& name : names) {
      const size_t d = edit_distance(flag, name);
      if (d < best_distance) {
        best_distance = d;
        best = name;
      }
    }
    if (!best.empty()) hints.push_back("attn: unknown option " + flag + ": did you mean " + best + "?");
  }
  return hints;
}

}  // namespace attn::cli
