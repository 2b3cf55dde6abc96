// Command-line help for people coming from llama.cpp: its multi-letter
// single-dash options (-sys, -cnv), and "did you mean" for unknown options.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace attn::cli {

// argv with llama.cpp's -sys and -cnv spelled as attn's --system and --chat.
std::vector<std::string> llama_cpp_spellings(int argc, char** argv);

// "did you mean --temp?" lines for the unknown options of a parse error.
std::vector<std::string> suggest_options(const CLI::App& app, const std::vector<std::string>& args,
                                         const CLI::ParseError& error);

}  // namespace attn::cli
