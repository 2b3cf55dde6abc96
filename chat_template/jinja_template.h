// A compiled Jinja2 template: parse once, render with variables. Renders
// byte-for-byte what Jinja2 renders in the environment transformers'
// apply_chat_template uses (ImmutableSandboxedEnvironment, trim_blocks,
// lstrip_blocks, loopcontrols, its tojson, raise_exception, strftime_now).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "attn/error.h"
#include "chat_template/jinja_value.h"

namespace attn::jinja {

struct Node;

// The template called raise_exception(message): what() is the message
// exactly, as the template wrote it.
class TemplateRaised : public Error {
 public:
  TemplateRaised(const std::string& message, int line) : Error(message), line(line) {}
  int line;
};

class Template {
 public:
  // Throws attn::Error naming the line on a syntax error or an unknown
  // filter or test.
  explicit Template(std::string_view source);
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Renders with `variables` (name -> value) beside the globals. Throws
  // TemplateRaised for raise_exception, attn::Error naming the line for
  // any other failure (an undefined value used, a type error, ...).
  std::string render(const Dict& variables) const;

 private:
  std::unique_ptr<Node> root_;
};

}  // namespace attn::jinja
