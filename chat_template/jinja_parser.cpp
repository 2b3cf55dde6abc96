#include "chat_template/jinja_parser.h"

#include <set>
#include <utility>
#include <vector>

#include "attn/error.h"
#include "chat_template/jinja_builtins.h"
#include "chat_template/jinja_limits.h"

namespace attn::jinja {
namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  NodePtr parse() {
    auto body = parse_body({});
    if (!at(TokenType::End)) fail("unexpected '" + current().text + "'");
    return body;
  }

 private:
  const Token& current() const { return tokens_[pos_]; }
  const Token& peek(size_t ahead = 1) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  bool at(TokenType type) const { return current().type == type; }
  bool at_op(const char* op) const { return current().type == TokenType::Operator && current().text == op; }
  bool at_name(const char* name) const { return current().type == TokenType::Name && current().text == name; }
  const Token& advance() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  // Held by the parse functions that recurse (jinja_limits.h's kMaxNesting).
  class Nesting {
   public:
    explicit Nesting(Parser& parser) : parser_(parser) {
      if (++parser_.nesting_ > kMaxNesting) {
        --parser_.nesting_;
        parser_.fail("expressions or blocks nested deeper than " + std::to_string(kMaxNesting) + " levels");
      }
    }
    ~Nesting() { --parser_.nesting_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    Parser& parser_;
  };

  [[noreturn]] void fail(const std::string& message) const {
    throw Error("chat template line " + std::to_string(current().line) + ": " + message);
  }

  std::string describe_current() const {
    switch (current().type) {
      case TokenType::End: return "end of template";
      case TokenType::BlockEnd: return "end of statement block";
      case TokenType::VariableEnd: return "end of print statement";
      case TokenType::Text: return "template data";
      default: return "'" + current().text + "'";
    }
  }

  void expect_op(const char* op) {
    if (!at_op(op)) fail(std::string("expected '") + op + "', got " + describe_current());
    advance();
  }
  std::string expect_name() {
    if (!at(TokenType::Name)) fail("expected a name, got " + describe_current());
    return advance().text;
  }
  void expect_block_end() {
    if (!at(TokenType::BlockEnd)) fail("expected end of statement block, got " + describe_current());
    advance();
  }

  // Statements until a block tag named in `end_tags` (left unconsumed after
  // its {% so the caller reads it) or the end of the template.
  NodePtr parse_body(const std::set<std::string>& end_tags) {
    const Nesting nesting(*this);
    auto block = make_node(NodeKind::Block, current().line);
    while (!at(TokenType::End)) {
      if (at(TokenType::Text)) {
        auto text = make_node(NodeKind::Text, current().line);
        text->name = advance().text;
        block->children.push_back(std::move(text));
      } else if (at(TokenType::VariableBegin)) {
        int line = advance().line;
        auto print = make_node(NodeKind::Print, line);
        print->children.push_back(parse_tuple(true));
        if (!at(TokenType::VariableEnd)) fail("expected end of print statement, got " + describe_current());
        advance();
        block->children.push_back(std::move(print));
      } else {  // BlockBegin
        const Token& name = peek();
        if (name.type == TokenType::Name && end_tags.count(name.text)) {
          advance();
          return block;
        }
        advance();
        block->children.push_back(parse_statement());
      }
    }
    if (!end_tags.empty()) {
      std::string expected;
      for (const auto& tag : end_tags) expected += (expected.empty() ? "'" : " or '") + tag + "'";
      fail("unexpected end of template; Jinja was looking for " + expected);
    }
    return block;
  }

  NodePtr parse_statement() {
    if (!at(TokenType::Name)) fail("tag name expected");
    std::string tag = current().text;
    if (tag == "if") return parse_if();
    if (tag == "for") return parse_for();
    if (tag == "set") return parse_set();
    if (tag == "macro") return parse_macro();
    if (tag == "call") return parse_call_block();
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail("'" + tag + "' outside of a loop");
      auto node = make_node(tag == "break" ? NodeKind::Break : NodeKind::Continue, advance().line);
      expect_block_end();
      return node;
    }
    fail("encountered unknown tag '" + tag + "'");
  }

  NodePtr parse_if() {
    auto node = make_node(NodeKind::If, advance().line);
    while (true) {
      node->children.push_back(parse_tuple(false));
      expect_block_end();
      node->children.push_back(parse_body({"elif", "else", "endif"}));
      std::string tag = advance().text;
      if (tag == "elif") continue;
      if (tag == "else") {
        expect_block_end();
        node->children.push_back(parse_body({"endif"}));
        node->has_else = true;
        advance();
      }
      expect_block_end();
      return node;
    }
  }

  std::vector<std::string> parse_targets() {
    std::vector<std::string> targets;
    bool parens = at_op("(");
    if (parens) advance();
    do {
      targets.push_back(expect_name());
    } while (at_op(",") && (advance(), at(TokenType::Name)));
    if (parens) expect_op(")");
    return targets;
  }

  NodePtr parse_for() {
    auto node = make_node(NodeKind::For, advance().line);
    node->targets = parse_targets();
    if (!at_name("in")) fail("expected 'in', got " + describe_current());
    advance();
    node->children.push_back(parse_tuple(false, /*with_condexpr=*/false));
    NodePtr filter;
    if (at_name("if")) {
      advance();
      filter = parse_expression();
    }
    if (at_name("recursive")) {
      advance();
      node->recursive = true;
    }
    expect_block_end();
    ++loop_depth_;
    node->children.push_back(parse_body({"endfor", "else"}));
    --loop_depth_;
    node->children.push_back(std::move(filter));
    if (advance().text == "else") {
      expect_block_end();
      node->children.push_back(parse_body({"endfor"}));
      node->has_else = true;
      advance();
    } else {
      node->children.push_back(nullptr);
    }
    expect_block_end();
    return node;
  }

  NodePtr parse_set() {
    int line = advance().line;
    std::string first = expect_name();
    if (at_op(".")) {
      advance();
      auto node = make_node(NodeKind::Set, line);
      node->targets = {first};
      node->attribute = expect_name();
      expect_op("=");
      node->children.push_back(parse_tuple(false));
      expect_block_end();
      return node;
    }
    std::vector<std::string> targets = {first};
    while (at_op(",")) {
      advance();
      if (!at(TokenType::Name)) break;
      targets.push_back(expect_name());
    }
    if (at_op("=")) {
      advance();
      auto node = make_node(NodeKind::Set, line);
      node->targets = targets;
      node->children.push_back(parse_tuple(false));
      expect_block_end();
      return node;
    }
    if (targets.size() != 1) fail("expected '=', got " + describe_current());
    auto node = make_node(NodeKind::SetBlock, line);
    node->targets = targets;
    // {% set x | filter %}: the filters apply to the captured text, held in
    // a placeholder name the evaluator binds.
    NodePtr filters;
    if (at_op("|")) {
      filters = make_node(NodeKind::Name, line);
      filters->name = "";
      filters = parse_filters(std::move(filters));
    }
    expect_block_end();
    node->children.push_back(parse_body({"endset"}));
    advance();
    expect_block_end();
    node->children.push_back(std::move(filters));
    return node;
  }

  // (a, b=default, ...) of a macro or a call block's caller.
  void parse_signature(Node& node) {
    expect_op("(");
    while (!at_op(")")) {
      if (!node.params.empty()) expect_op(",");
      if (at_op(")")) break;
      node.params.push_back(expect_name());
      if (at_op("=")) {
        advance();
        node.children.push_back(parse_expression());
      } else {
        node.children.push_back(nullptr);
      }
    }
    advance();
  }

  NodePtr parse_macro() {
    auto node = make_node(NodeKind::Macro, advance().line);
    node->name = expect_name();
    node->children.push_back(nullptr);  // body, filled below; defaults follow it
    parse_signature(*node);
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    node->children[0] = parse_body({"endmacro"});
    loop_depth_ = saved;
    advance();
    if (at(TokenType::Name)) advance();  // {% endmacro name %}
    expect_block_end();
    return node;
  }

  NodePtr parse_call_block() {
    auto node = make_node(NodeKind::CallBlock, advance().line);
    auto caller = make_node(NodeKind::Macro, node->line);
    caller->name = "caller";
    caller->children.push_back(nullptr);
    if (at_op("(")) parse_signature(*caller);
    NodePtr call = parse_expression();
    if (call->kind != NodeKind::Call) fail("expected call");
    expect_block_end();
    caller->children[0] = parse_body({"endcall"});
    advance();
    expect_block_end();
    node->children.push_back(std::move(call));
    node->children.push_back(std::move(caller));
    return node;
  }

  // Expressions, by increasing precedence, as in jinja2/parser.py.

  NodePtr parse_tuple(bool allow_empty_end, bool with_condexpr = true, bool explicit_parens = false) {
    int line = current().line;
    auto parse_one = [&] { return with_condexpr ? parse_expression() : parse_or(); };
    std::vector<NodePtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) {
        expect_op(",");
        is_tuple = true;
      }
      if (at(TokenType::BlockEnd) || at(TokenType::VariableEnd) || at_op(")") || at_name("in") ||
          at_name("if") || at_name("recursive"))
        break;
      items.push_back(parse_one());
      if (!at_op(",")) break;
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) fail("expected an expression, got " + describe_current());
    }
    auto node = make_node(NodeKind::TupleLiteral, line);
    node->children = std::move(items);
    return node;
  }

  NodePtr parse_expression() {
    const Nesting nesting(*this);
    NodePtr expr = parse_or();
    while (at_name("if")) {
      auto node = make_node(NodeKind::Conditional, advance().line);
      node->children.push_back(parse_or());
      node->children.push_back(std::move(expr));
      if (at_name("else")) {
        advance();
        node->children.push_back(parse_expression());
      } else {
        node->children.push_back(nullptr);
      }
      expr = std::move(node);
    }
    return expr;
  }

  NodePtr binary(NodeKind kind, NodePtr left, NodePtr right, int line, std::string op = {}) {
    auto node = make_node(kind, line);
    node->name = std::move(op);
    node->children.push_back(std::move(left));
    node->children.push_back(std::move(right));
    return node;
  }

  NodePtr parse_or() {
    NodePtr left = parse_and();
    while (at_name("or")) {
      int line = advance().line;
      left = binary(NodeKind::Or, std::move(left), parse_and(), line);
    }
    return left;
  }

  NodePtr parse_and() {
    NodePtr left = parse_not();
    while (at_name("and")) {
      int line = advance().line;
      left = binary(NodeKind::And, std::move(left), parse_not(), line);
    }
    return left;
  }

  NodePtr parse_not() {
    const Nesting nesting(*this);
    if (at_name("not")) {
      auto node = make_node(NodeKind::Not, advance().line);
      node->children.push_back(parse_not());
      return node;
    }
    return parse_compare();
  }

  NodePtr parse_compare() {
    int line = current().line;
    NodePtr expr = parse_math1();
    NodePtr compare;
    while (true) {
      std::string op;
      if (current().type == TokenType::Operator &&
          (at_op("==") || at_op("!=") || at_op("<") || at_op(">") || at_op("<=") || at_op(">="))) {
        op = advance().text;
      } else if (at_name("in")) {
        advance();
        op = "in";
      } else if (at_name("not") && peek().type == TokenType::Name && peek().text == "in") {
        advance();
        advance();
        op = "notin";
      } else {
        break;
      }
      if (!compare) {
        compare = make_node(NodeKind::Compare, line);
        compare->children.push_back(std::move(expr));
      }
      compare->ops.push_back(op);
      compare->children.push_back(parse_math1());
    }
    return compare ? std::move(compare) : std::move(expr);
  }

  NodePtr parse_math1() {
    NodePtr left = parse_concat();
    while (at_op("+") || at_op("-")) {
      const Token& op = advance();
      left = binary(NodeKind::Binary, std::move(left), parse_concat(), op.line, op.text);
    }
    return left;
  }

  NodePtr parse_concat() {
    int line = current().line;
    NodePtr first = parse_math2();
    if (!at_op("~")) return first;
    auto node = make_node(NodeKind::Concat, line);
    node->children.push_back(std::move(first));
    while (at_op("~")) {
      advance();
      node->children.push_back(parse_math2());
    }
    return node;
  }

  NodePtr parse_math2() {
    NodePtr left = parse_pow();
    while (at_op("*") || at_op("/") || at_op("//") || at_op("%")) {
      const Token& op = advance();
      left = binary(NodeKind::Binary, std::move(left), parse_pow(), op.line, op.text);
    }
    return left;
  }

  NodePtr parse_pow() {
    NodePtr left = parse_unary(true);
    while (at_op("**")) {
      const Token& op = advance();
      left = binary(NodeKind::Binary, std::move(left), parse_unary(true), op.line, op.text);
    }
    return left;
  }

  NodePtr parse_unary(bool with_filter) {
    const Nesting nesting(*this);
    NodePtr node;
    if (at_op("-") || at_op("+")) {
      bool minus = at_op("-");
      node = make_node(minus ? NodeKind::Negate : NodeKind::Plus, advance().line);
      node->children.push_back(parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filters(std::move(node));
    return node;
  }

  NodePtr parse_primary() {
    const Token& token = current();
    int line = token.line;
    switch (token.type) {
      case TokenType::Name: {
        advance();
        auto node = make_node(NodeKind::Literal, line);
        if (token.text == "true" || token.text == "True") node->value = Value::from_bool(true);
        else if (token.text == "false" || token.text == "False") node->value = Value::from_bool(false);
        else if (token.text == "none" || token.text == "None") node->value = Value::none();
        else {
          node->kind = NodeKind::Name;
          node->name = token.text;
        }
        return node;
      }
      case TokenType::String: {
        std::string text;
        while (at(TokenType::String)) text += advance().text;
        auto node = make_node(NodeKind::Literal, line);
        node->value = Value::string(std::move(text));
        return node;
      }
      case TokenType::Integer:
      case TokenType::Float: {
        advance();
        auto node = make_node(NodeKind::Literal, line);
        node->value = token.type == TokenType::Integer ? Value::from_int(token.integer) : Value::from_float(token.number);
        return node;
      }
      case TokenType::Operator:
        if (token.text == "(") {
          advance();
          NodePtr inner = parse_tuple(false, true, true);
          expect_op(")");
          return inner;
        }
        if (token.text == "[") return parse_list();
        if (token.text == "{") return parse_dict();
        break;
      default: break;
    }
    fail("unexpected " + describe_current());
  }

  NodePtr parse_list() {
    auto node = make_node(NodeKind::ListLiteral, advance().line);
    while (!at_op("]")) {
      if (!node->children.empty()) expect_op(",");
      if (at_op("]")) break;
      node->children.push_back(parse_expression());
    }
    advance();
    return node;
  }

  NodePtr parse_dict() {
    auto node = make_node(NodeKind::DictLiteral, advance().line);
    while (!at_op("}")) {
      if (!node->children.empty()) expect_op(",");
      if (at_op("}")) break;
      node->children.push_back(parse_expression());
      expect_op(":");
      node->children.push_back(parse_expression());
    }
    advance();
    return node;
  }

  NodePtr parse_postfix(NodePtr node) {
    while (true) {
      if (at_op(".")) {
        int line = advance().line;
        if (at(TokenType::Integer)) {
          auto item = make_node(NodeKind::GetItem, line);
          auto key = make_node(NodeKind::Literal, line);
          key->value = Value::from_int(advance().integer);
          item->children.push_back(std::move(node));
          item->children.push_back(std::move(key));
          node = std::move(item);
        } else {
          auto attr = make_node(NodeKind::GetAttr, line);
          attr->name = expect_name();
          attr->children.push_back(std::move(node));
          node = std::move(attr);
        }
      } else if (at_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (at_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  NodePtr parse_subscript(NodePtr node) {
    int line = advance().line;
    NodePtr parts[3];
    int part = 0;
    bool slice = false;
    while (!at_op("]")) {
      if (at_op(":")) {
        advance();
        slice = true;
        if (++part > 2) fail("expected ']'");
        continue;
      }
      if (parts[part]) fail("expected ']', got " + describe_current());
      parts[part] = parse_expression();
    }
    advance();
    if (!slice && !parts[0]) fail("expected an expression in []");
    auto item = make_node(slice ? NodeKind::Slice : NodeKind::GetItem, line);
    item->children.push_back(std::move(node));
    item->children.push_back(std::move(parts[0]));
    if (slice) {
      item->children.push_back(std::move(parts[1]));
      item->children.push_back(std::move(parts[2]));
    }
    return item;
  }

  // Arguments: positional first, then name=value; appended to node.
  void parse_arguments(Node& node) {
    expect_op("(");
    while (!at_op(")")) {
      if (node.children.size() > 1 || !node.keywords.empty()) expect_op(",");
      if (at_op(")")) break;
      if (at(TokenType::Name) && peek().type == TokenType::Operator && peek().text == "=") {
        node.keywords.push_back(advance().text);
        advance();
        node.children.push_back(parse_expression());
      } else {
        if (!node.keywords.empty()) fail("positional argument after a keyword argument");
        node.children.push_back(parse_expression());
      }
    }
    advance();
  }

  NodePtr parse_call(NodePtr callee) {
    auto node = make_node(NodeKind::Call, current().line);
    node->children.push_back(std::move(callee));
    parse_arguments(*node);
    return node;
  }

  NodePtr parse_filters(NodePtr node) {
    while (true) {
      if (at_op("|")) {
        int line = advance().line;
        auto filter = make_node(NodeKind::Filter, line);
        filter->name = expect_name();
        filter->children.push_back(std::move(node));
        if (at_op("(")) parse_arguments(*filter);
        node = std::move(filter);
      } else if (at_name("is")) {
        int line = advance().line;
        auto test = make_node(NodeKind::Test, line);
        if (at_name("not")) {
          advance();
          test->negated = true;
        }
        test->name = expect_name();
        test->children.push_back(std::move(node));
        if (at_op("(")) {
          parse_arguments(*test);
        } else if ((at(TokenType::Name) || at(TokenType::String) || at(TokenType::Integer) ||
                    at(TokenType::Float) || at_op("[") || at_op("{")) &&
                   !at_name("else") && !at_name("or") && !at_name("and")) {
          if (at_name("is")) fail("You cannot chain multiple tests with is");
          test->children.push_back(parse_postfix(parse_primary()));
        }
        node = std::move(test);
      } else if (at_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  std::vector<Token> tokens_;
  int nesting_ = 0;
  size_t pos_ = 0;
  int loop_depth_ = 0;
};

// Jinja2 refuses an unknown filter or test when it compiles the template,
// except inside an if statement or an inline if-expression ("soft" frames),
// where the error waits until the line runs. Loops, macros and set blocks
// open strict frames again.
void check_names(const Node& root) {
  // An explicit stack: expression chains nest as deep as they are long.
  std::vector<std::pair<const Node*, bool>> pending{{&root, false}};
  while (!pending.empty()) {
    const auto [node, soft] = pending.back();
    pending.pop_back();
    if (!soft && node->kind == NodeKind::Filter && !is_filter(node->name))
      throw Error("chat template line " + std::to_string(node->line) + ": No filter named '" + node->name + "'.");
    if (!soft && node->kind == NodeKind::Test && !is_test(node->name))
      throw Error("chat template line " + std::to_string(node->line) + ": No test named '" + node->name + "'.");
    for (size_t i = node->children.size(); i-- > 0;) {  // the first child on top: errors in source order
      const Node* child = node->children[i].get();
      if (!child) continue;
      bool child_soft = soft;
      switch (node->kind) {
        case NodeKind::If:
        case NodeKind::Conditional: child_soft = true; break;
        case NodeKind::For: child_soft = (i == 0 || i == 2) ? soft : false; break;  // iterable, filter
        case NodeKind::Macro:
        case NodeKind::SetBlock: child_soft = false; break;
        default: break;
      }
      pending.emplace_back(child, child_soft);
    }
  }
}

}  // namespace

NodePtr parse_template(std::string_view source, const LexerOptions& options) {
  NodePtr root = Parser(tokenize_template(source, options)).parse();
  check_names(*root);
  return root;
}

}  // namespace attn::jinja
