// The syntax tree the parser builds and the evaluator walks: one Node type
// for expressions and statements, told apart by `kind`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chat_template/jinja_value.h"

namespace attn::jinja {

struct Node;
using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

enum class NodeKind {
  // expressions
  Literal,      // value
  Name,         // name
  ListLiteral,  // children
  TupleLiteral, // children
  DictLiteral,  // children: key, value, key, value...
  GetAttr,      // children[0] . name
  GetItem,      // children[0] [ children[1] ]
  Slice,        // children[0] [ children[1] : children[2] : children[3] ] (null parts omitted)
  Call,         // children[0] ( children[1..] ), keywords
  Filter,       // children[0] | name ( children[1..] ), keywords
  Test,         // children[0] is [not] name ( children[1..] ), negated
  Negate,       // - children[0]
  Plus,         // + children[0]
  Not,          // not children[0]
  Binary,       // children[0] op children[1]
  And,
  Or,
  Compare,      // children[0] ops[i] children[i+1]...
  Conditional,  // children[1] if children[0] else children[2] (children[2] may be null)
  Concat,       // children joined with ~
  // statements
  Text,         // name holds the text
  Print,        // {{ children[0] }}
  If,           // children: cond, body, cond, body, ..., [else body]; has_else
  For,          // targets; children: iterable, body, filter (or null), else body (or null)
  Set,          // targets (or attribute: name . attribute); children[0] value
  SetBlock,     // targets[0]; children[0] body; filters applied: children[1] (Filter chain on a Name placeholder) or null
  Macro,        // name, params; children: body, then defaults aligned to params (null when none)
  CallBlock,    // children[0] the call, children[1] body; params: caller's parameters
  Break,
  Continue,
  Block,        // children: statements in order
};

struct Node {
  NodeKind kind;
  int line = 0;
  Value value;
  std::string name;
  std::string attribute;  // Set: the namespace attribute written, if any
  std::vector<std::string> targets;
  std::vector<std::string> params;
  std::vector<std::string> keywords;  // names of the last children passed by keyword
  std::vector<std::string> ops;
  bool negated = false;
  bool has_else = false;
  bool recursive = false;
  NodeList children;

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Frees the subtree one node at a time, not recursively: a chain such as
  // a ~ b ~ c ~ ... nests as deep as it is long.
  ~Node() {
    NodeList pending = std::move(children);
    while (!pending.empty()) {
      NodePtr node = std::move(pending.back());
      pending.pop_back();
      if (!node) continue;
      for (NodePtr& child : node->children) pending.push_back(std::move(child));
      node->children.clear();
    }
  }
};

inline NodePtr make_node(NodeKind kind, int line) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  node->line = line;
  return node;
}

}  // namespace attn::jinja
