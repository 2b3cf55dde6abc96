// Builds the syntax tree of a template from its tokens, with Jinja2's
// grammar and operator precedence. Like Jinja2, it refuses unknown filters
// and tests when the template is compiled, not when the line runs.
#pragma once

#include <string_view>

#include "chat_template/jinja_ast.h"
#include "chat_template/jinja_lexer.h"

namespace attn::jinja {

// The template's statements as one Block node. Throws attn::Error naming the
// line on a syntax error.
NodePtr parse_template(std::string_view source, const LexerOptions& options = {});

}  // namespace attn::jinja
