// Line-oriented input for the batch subcommands.
#pragma once

#include <istream>
#include <string>

namespace attn::cli {

// std::getline that also drops the '\r' of a CRLF line ending, so files
// written on Windows give the same results as their Unix copies.
inline bool read_line(std::istream& in, std::string& line) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

}  // namespace attn::cli
