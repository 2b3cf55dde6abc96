#include "chat_template/jinja_template.h"

#include <cmath>
#include <ctime>
#include <new>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "chat_template/jinja_ast.h"
#include "chat_template/jinja_builtins.h"
#include "chat_template/jinja_limits.h"
#include "chat_template/jinja_parser.h"
#include "chat_template/python_text.h"

namespace attn::jinja {
namespace {

struct Scope {
  std::unordered_map<std::string, Value> variables;
  std::shared_ptr<Scope> parent;

  const Value* lookup(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent.get()) {
      auto it = s->variables.find(name);
      if (it != s->variables.end()) return &it->second;
    }
    return nullptr;
  }
};
using ScopePtr = std::shared_ptr<Scope>;


enum class Flow { Normal, Break, Continue };

[[noreturn]] void fail_at(int line, const std::string& message) {
  throw Error("chat template line " + std::to_string(line) + ": " + message);
}

// Python's slice semantics for list[a:b:c] and str[a:b:c].
std::vector<size_t> slice_indices(size_t size, const Value& start_v, const Value& stop_v, const Value& step_v) {
  int64_t n = static_cast<int64_t>(size);
  int64_t step = step_v.is_none() || step_v.is_undefined() ? 1 : step_v.integer;
  if (step == 0) throw EvalError("slice step cannot be zero");
  auto clamp = [&](const Value& v, int64_t fallback, bool is_start) {
    if (v.is_none() || v.is_undefined()) return fallback;
    int64_t i = v.integer;
    if (i < 0) i += n;
    if (step > 0) return std::clamp<int64_t>(i, 0, n);
    (void)is_start;
    return std::clamp<int64_t>(i, -1, n - 1);
  };
  int64_t start = clamp(start_v, step > 0 ? 0 : n - 1, true);
  int64_t stop = clamp(stop_v, step > 0 ? n : -1, false);
  std::vector<size_t> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(static_cast<size_t>(i));
  return out;
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (op == "+") return add_values(a, b);
  if (op == "*") {
    const Value* seq = a.is_string() || a.is_sequence() ? &a : b.is_string() || b.is_sequence() ? &b : nullptr;
    const Value* count = seq == &a ? &b : &a;
    if (seq && (count->kind == K::Int || count->kind == K::Bool)) {
      int64_t times = std::max<int64_t>(count->integer, 0);
      const size_t unit = seq->is_string() ? seq->text.size() : seq->list->size();
      if (unit != 0 && static_cast<uint64_t>(times) > (seq->is_string() ? kMaxTextBytes : kMaxItems) / unit) {
        seq->is_string() ? check_text_size(kMaxTextBytes + 1) : check_item_count(kMaxItems + 1);
      }
      if (seq->is_string()) {
        std::string out;
        for (int64_t i = 0; i < times; ++i) out += seq->text;
        return Value::string(out);
      }
      List items;
      for (int64_t i = 0; i < times; ++i) items.insert(items.end(), seq->list->begin(), seq->list->end());
      return seq->kind == K::List ? Value::make_list(std::move(items)) : Value::make_tuple(std::move(items));
    }
  }
  if (!a.is_number() || !b.is_number())
    throw EvalError("unsupported operand type(s) for " + op + ": '" + python_type_name(a) + "' and '" +
                    python_type_name(b) + "'");
  bool floats = a.kind == K::Float || b.kind == K::Float;
  double x = a.as_double(), y = b.as_double();
  int64_t exact;
  if (op == "-") {
    if (floats) return Value::from_float(x - y);
    if (__builtin_sub_overflow(a.integer, b.integer, &exact)) throw EvalError("integer overflow in -");
    return Value::from_int(exact);
  }
  if (op == "*") {
    if (floats) return Value::from_float(x * y);
    if (__builtin_mul_overflow(a.integer, b.integer, &exact)) throw EvalError("integer overflow in *");
    return Value::from_int(exact);
  }
  if (op == "/") {
    if (y == 0) throw EvalError("division by zero");
    return Value::from_float(x / y);
  }
  if (op == "//" || op == "%") {
    if (y == 0) throw EvalError(op == "//" ? "integer division or modulo by zero" : "integer modulo by zero");
    if (floats) {
      double q = std::floor(x / y);
      return op == "//" ? Value::from_float(q) : Value::from_float(x - q * y);
    }
    int64_t q = a.integer / b.integer;
    if ((a.integer % b.integer != 0) && ((a.integer < 0) != (b.integer < 0))) --q;
    return op == "//" ? Value::from_int(q) : Value::from_int(a.integer - q * b.integer);
  }
  if (op == "**") {
    if (!floats && b.integer >= 0) {
      int64_t r = 1;
      for (int64_t i = 0; i < b.integer; ++i) r *= a.integer;
      return Value::from_int(r);
    }
    return Value::from_float(std::pow(x, y));
  }
  throw EvalError("unknown operator " + op);
}

class Renderer {
 public:
  // A macro is a value that holds the scope it was defined in, and is held
  // by it (or by a namespace in it): a cycle of shared pointers. Every scope
  // is emptied when rendering ends, so none outlives it.
  ~Renderer() {
    for (const std::weak_ptr<Scope>& created : scopes_) {
      if (const ScopePtr scope = created.lock()) scope->variables.clear();
    }
  }
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  ScopePtr child_scope(const ScopePtr& parent) {
    auto scope = std::make_shared<Scope>();
    scope->parent = parent;
    if (scopes_.size() % 4096 == 4095) {  // loops make a scope per iteration: drop those gone
      std::erase_if(scopes_, [](const std::weak_ptr<Scope>& created) { return created.expired(); });
    }
    scopes_.push_back(scope);
    return scope;
  }

  explicit Renderer(const Dict& variables) : globals_(std::make_shared<Scope>()) {
    add_globals();
    root_ = child_scope(globals_);
    for (const auto& [key, value] : variables) root_->variables[key.text] = value;
  }

  std::string run(const Node& root) {
    std::string out;
    exec_block(root, root_, out);
    return out;
  }

 private:
  void add_globals() {
    auto& g = globals_->variables;
    g["raise_exception"] = Value::function("raise_exception", [](CallArgs& args) -> Value {
      BoundArgs a("raise_exception", args, {"message"});
      throw TemplateRaised(python_str(a.get(0, Value::string(""))), 0);
    });
    g["strftime_now"] = Value::function("strftime_now", [](CallArgs& args) {
      BoundArgs a("strftime_now", args, {"format"});
      std::string format = python_str(a.get(0, Value::string("")));
      std::time_t now = std::time(nullptr);
      std::tm local{};
      localtime_r(&now, &local);
      char buffer[512];
      size_t n = std::strftime(buffer, sizeof buffer, format.c_str(), &local);
      return Value::string(std::string(buffer, n));
    });
    g["range"] = Value::function("range", [](CallArgs& args) {
      BoundArgs a("range", args, {"start", "stop", "step"});
      int64_t start = 0, stop, step = a.get(2, Value::from_int(1)).integer;
      if (a.has(1)) {
        start = a.get(0, Value::none()).integer;
        stop = a.get(1, Value::none()).integer;
      } else {
        stop = a.get(0, Value::from_int(0)).integer;
      }
      if (step == 0) throw EvalError("range() arg 3 must not be zero");
      List items;
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (items.size() >= 100000)
          throw EvalError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        items.push_back(Value::from_int(i));
      }
      return Value::make_list(std::move(items));
    });
    auto make_mapping = [](CallArgs& args, bool as_namespace) {
      Dict items;
      for (const Value& positional : args.positional) {
        if (!positional.is_mapping()) throw EvalError("namespace()/dict() take a mapping and keyword arguments");
        items.insert(items.end(), positional.dict->begin(), positional.dict->end());
      }
      for (auto& [k, v] : args.keywords) {
        bool replaced = false;
        for (auto& item : items)
          if (item.first.is_string() && item.first.text == k) {
            item.second = v;
            replaced = true;
          }
        if (!replaced) items.emplace_back(Value::string(k), v);
      }
      return as_namespace ? Value::make_namespace(std::move(items)) : Value::make_dict(std::move(items));
    };
    g["namespace"] = Value::function("namespace", [make_mapping](CallArgs& args) { return make_mapping(args, true); });
    g["dict"] = Value::function("dict", [make_mapping](CallArgs& args) { return make_mapping(args, false); });
  }

  // Counts a statement or expression evaluated, and its nesting while it
  // runs (jinja_limits.h).
  class Step {
   public:
    explicit Step(Renderer& renderer) : renderer_(renderer) {
      if (++renderer_.depth_ > kMaxEvalDepth) {
        --renderer_.depth_;
        throw EvalError("the template nests deeper than " + std::to_string(kMaxEvalDepth) +
                        " levels (recursion without end?)");
      }
      if (++renderer_.steps_ > kMaxSteps) {
        --renderer_.depth_;
        throw EvalError("the template runs more than " + std::to_string(kMaxSteps) + " steps");
      }
    }
    ~Step() { --renderer_.depth_; }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

   private:
    Renderer& renderer_;
  };

  Flow exec_block(const Node& block, const ScopePtr& scope, std::string& out) {
    for (const auto& child : block.children) {
      Flow flow = exec(*child, scope, out);
      if (flow != Flow::Normal) return flow;
    }
    return Flow::Normal;
  }

  Flow exec(const Node& node, const ScopePtr& scope, std::string& out) {
    const Step step = step_at(node.line);
    switch (node.kind) {
      case NodeKind::Text: return append(out, node.name, node.line);
      case NodeKind::Print: return append(out, python_str(eval(*node.children[0], scope)), node.line);
      case NodeKind::If: {
        size_t n = node.children.size() - (node.has_else ? 1 : 0);
        for (size_t i = 0; i < n; i += 2)
          if (eval(*node.children[i], scope).truthy()) return exec_block(*node.children[i + 1], scope, out);
        if (node.has_else) return exec_block(*node.children.back(), scope, out);
        return Flow::Normal;
      }
      case NodeKind::For: return exec_for(node, scope, out);
      case NodeKind::Set: exec_set(node, scope); return Flow::Normal;
      case NodeKind::SetBlock: {
        std::string captured;
        exec_block(*node.children[0], scope, captured);
        Value value = Value::string(captured);
        if (node.children[1]) {
          auto holder = child_scope(scope);
          holder->variables[""] = value;
          value = eval(*node.children[1], holder);
        }
        scope->variables[node.targets[0]] = value;
        return Flow::Normal;
      }
      case NodeKind::Macro: scope->variables[node.name] = make_macro(node, scope); return Flow::Normal;
      case NodeKind::CallBlock: {
        // {% call m(args) %}body{% endcall %} is m(args, caller=<body as a macro>).
        const Node& call = *node.children[0];
        try {
          Value callee = eval(*call.children[0], scope);
          CallArgs args;
          collect_args(call, scope, args);
          args.keywords.emplace_back("caller", make_macro(*node.children[1], scope));
          if (callee.kind != Value::Kind::Callable) fail_undefined(callee);
          out += python_str(callee.callable->call(args));
        } catch (const EvalError& e) {
          fail_at(node.line, e.what());
        }
        return Flow::Normal;
      }
      case NodeKind::Break: return Flow::Break;
      case NodeKind::Continue: return Flow::Continue;
      case NodeKind::Block: return exec_block(node, scope, out);
      default: fail_at(node.line, "internal error: expression used as a statement");
    }
  }

  void assign_targets(const Node& node, const std::vector<std::string>& targets, const Value& value, Scope& scope) {
    if (targets.size() == 1) {
      scope.variables[targets[0]] = value;
      return;
    }
    List items;
    try {
      items = iterate(value);
    } catch (const EvalError& e) {
      fail_at(node.line, std::string("cannot unpack non-iterable ") + type_description(value));
    }
    if (items.size() != targets.size())
      fail_at(node.line, items.size() < targets.size()
                             ? "not enough values to unpack (expected " + std::to_string(targets.size()) + ", got " + std::to_string(items.size()) + ")"
                             : "too many values to unpack (expected " + std::to_string(targets.size()) + ")");
    for (size_t i = 0; i < targets.size(); ++i) scope.variables[targets[i]] = items[i];
  }

  void exec_set(const Node& node, const ScopePtr& scope) {
    Value value = eval(*node.children[0], scope);
    if (!node.attribute.empty()) {
      const Value* target = scope->lookup(node.targets[0]);
      if (!target || target->kind != Value::Kind::Namespace)
        fail_at(node.line, "cannot assign attribute on non-namespace object");
      for (auto& [k, v] : *target->dict)
        if (k.is_string() && k.text == node.attribute) {
          v = value;
          return;
        }
      target->dict->emplace_back(Value::string(node.attribute), value);
      return;
    }
    assign_targets(node, node.targets, value, *scope);
  }

  Flow exec_for(const Node& node, const ScopePtr& scope, std::string& out) {
    if (node.recursive) fail_at(node.line, "recursive for loops are not supported");
    Value iterable = eval(*node.children[0], scope);
    List items;
    try {
      items = iterate(iterable);
    } catch (const EvalError& e) {
      fail_at(node.line, e.what());
    }
    const Node* filter = node.children[2].get();
    if (filter) {
      // The loop's `if` filters before loop.index/length are counted.
      List kept;
      for (const Value& item : items) {
        auto filter_scope = child_scope(scope);
        assign_targets(node, node.targets, item, *filter_scope);
        if (eval(*filter, filter_scope).truthy()) kept.push_back(item);
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      if (node.has_else) return exec_block(*node.children[3], scope, out);
      return Flow::Normal;
    }
    int64_t n = static_cast<int64_t>(items.size());
    auto changed_last = std::make_shared<std::optional<Value>>();
    for (int64_t i = 0; i < n; ++i) {
      const Step iteration = step_at(node.line);  // an empty body costs its iterations too
      // Each iteration starts from the enclosing scope again: what the body
      // sets lives until the iteration ends, as in Jinja2.
      auto loop_scope = child_scope(scope);
      assign_targets(node, node.targets, items[i], *loop_scope);
      Dict loop = {
          {Value::string("index"), Value::from_int(i + 1)},
          {Value::string("index0"), Value::from_int(i)},
          {Value::string("revindex"), Value::from_int(n - i)},
          {Value::string("revindex0"), Value::from_int(n - i - 1)},
          {Value::string("first"), Value::from_bool(i == 0)},
          {Value::string("last"), Value::from_bool(i == n - 1)},
          {Value::string("length"), Value::from_int(n)},
          {Value::string("depth"), Value::from_int(1)},
          {Value::string("depth0"), Value::from_int(0)},
      };
      if (i > 0) loop.emplace_back(Value::string("previtem"), items[i - 1]);
      if (i + 1 < n) loop.emplace_back(Value::string("nextitem"), items[i + 1]);
      loop.emplace_back(Value::string("cycle"), Value::function("cycle", [i](CallArgs& args) {
                          if (args.positional.empty()) throw EvalError("no items for cycling given");
                          return args.positional[i % args.positional.size()];
                        }));
      loop.emplace_back(Value::string("changed"), Value::function("changed", [changed_last](CallArgs& args) {
                          Value current = Value::make_tuple(args.positional);
                          bool differs = !changed_last->has_value() || !equals(**changed_last, current);
                          *changed_last = current;
                          return Value::from_bool(differs);
                        }));
      loop_scope->variables["loop"] = Value::make_namespace(std::move(loop));
      Flow flow = exec_block(*node.children[1], loop_scope, out);
      if (flow == Flow::Break) break;
    }
    return Flow::Normal;
  }

  // A macro (or a call block's caller) as a callable value. Its body runs
  // in a fresh scope under the one it was defined in.
  Value make_macro(const Node& node, const ScopePtr& defined_in) {
    const Node* macro = &node;
    return Value::function(node.name, [this, macro, defined_in](CallArgs& args) {
      auto scope = child_scope(defined_in);
      const auto& params = macro->params;
      if (args.positional.size() > params.size())
        throw EvalError("macro '" + macro->name + "' takes not more than " + std::to_string(params.size()) +
                        " argument(s)");
      std::vector<bool> given(params.size(), false);
      for (size_t i = 0; i < args.positional.size(); ++i) {
        scope->variables[params[i]] = args.positional[i];
        given[i] = true;
      }
      for (auto& [key, value] : args.keywords) {
        size_t index = std::find(params.begin(), params.end(), key) - params.begin();
        if (index == params.size()) {
          if (key == "caller") {
            scope->variables["caller"] = value;
            continue;
          }
          throw EvalError("macro '" + macro->name + "' takes no keyword argument '" + key + "'");
        }
        scope->variables[key] = value;
        given[index] = true;
      }
      for (size_t i = 0; i < params.size(); ++i) {
        if (given[i]) continue;
        const Node* fallback = macro->children[i + 1].get();
        scope->variables[params[i]] =
            fallback ? eval(*fallback, scope) : Value::undefined("parameter '" + params[i] + "' was not provided");
      }
      std::string out;
      exec_block(*macro->children[0], scope, out);
      return Value::string(out);
    });
  }

  void collect_args(const Node& node, const ScopePtr& scope, CallArgs& args) {
    size_t keyword_start = node.children.size() - node.keywords.size();
    for (size_t i = 1; i < keyword_start; ++i) args.positional.push_back(eval(*node.children[i], scope));
    for (size_t i = keyword_start; i < node.children.size(); ++i)
      args.keywords.emplace_back(node.keywords[i - keyword_start], eval(*node.children[i], scope));
  }

  Step step_at(int line) {
    try {
      return Step(*this);
    } catch (const EvalError& e) {
      fail_at(line, e.what());
    }
  }

  Flow append(std::string& out, const std::string& text, int line) {
    if (out.size() + text.size() > kMaxTextBytes) {
      fail_at(line, "the template writes more than " + std::to_string(kMaxTextBytes >> 20) + " MiB");
    }
    out += text;
    return Flow::Normal;
  }

  Value eval(const Node& node, const ScopePtr& scope) {
    const Step step = step_at(node.line);
    try {
      return eval_node(node, scope);
    } catch (const EvalError& e) {
      fail_at(node.line, e.what());
    } catch (TemplateRaised& e) {
      if (e.line == 0) e.line = node.line;
      throw;
    }
  }

  Value eval_node(const Node& node, const ScopePtr& scope) {
    switch (node.kind) {
      case NodeKind::Literal: return node.value;
      case NodeKind::Name: {
        const Value* found = scope->lookup(node.name);
        return found ? *found : Value::undefined("'" + node.name + "' is undefined");
      }
      case NodeKind::ListLiteral:
      case NodeKind::TupleLiteral: {
        List items;
        for (const auto& child : node.children) items.push_back(eval(*child, scope));
        return node.kind == NodeKind::ListLiteral ? Value::make_list(std::move(items)) : Value::make_tuple(std::move(items));
      }
      case NodeKind::DictLiteral: {
        Value dict = Value::make_dict();
        for (size_t i = 0; i < node.children.size(); i += 2) {
          Value key = eval(*node.children[i], scope);
          Value value = eval(*node.children[i + 1], scope);
          if (Value* existing = dict.find(key)) *existing = value;
          else dict.dict->emplace_back(std::move(key), std::move(value));
        }
        return dict;
      }
      case NodeKind::GetAttr: return get_attribute(eval(*node.children[0], scope), node.name);
      case NodeKind::GetItem: return get_item(eval(*node.children[0], scope), eval(*node.children[1], scope));
      case NodeKind::Slice: return eval_slice(node, scope);
      case NodeKind::Call: {
        Value callee = eval(*node.children[0], scope);
        CallArgs args;
        collect_args(node, scope, args);
        if (callee.is_undefined()) fail_undefined(callee);
        if (callee.kind != Value::Kind::Callable) throw EvalError("'" + type_description(callee) + "' is not callable");
        return callee.callable->call(args);
      }
      case NodeKind::Filter: {
        Value value = eval(*node.children[0], scope);
        CallArgs args;
        collect_args(node, scope, args);
        return apply_filter(node.name, value, args);
      }
      case NodeKind::Test: {
        Value value = eval(*node.children[0], scope);
        CallArgs args;
        collect_args(node, scope, args);
        return Value::from_bool(apply_test(node.name, value, args) != node.negated);
      }
      case NodeKind::Negate:
      case NodeKind::Plus: {
        Value value = eval(*node.children[0], scope);
        if (value.is_undefined()) fail_undefined(value);
        if (!value.is_number()) throw EvalError("bad operand type for unary " + std::string(node.kind == NodeKind::Negate ? "-" : "+") + ": '" + type_description(value) + "'");
        if (node.kind == NodeKind::Plus) return value.kind == Value::Kind::Bool ? Value::from_int(value.integer) : value;
        return value.kind == Value::Kind::Float ? Value::from_float(-value.number) : Value::from_int(-value.integer);
      }
      case NodeKind::Not: return Value::from_bool(!eval(*node.children[0], scope).truthy());
      case NodeKind::And: {
        Value left = eval(*node.children[0], scope);
        return left.truthy() ? eval(*node.children[1], scope) : left;
      }
      case NodeKind::Or: {
        Value left = eval(*node.children[0], scope);
        return left.truthy() ? left : eval(*node.children[1], scope);
      }
      case NodeKind::Binary: return arithmetic(node.name, eval(*node.children[0], scope), eval(*node.children[1], scope));
      case NodeKind::Compare: return eval_compare(node, scope);
      case NodeKind::Conditional:
        if (eval(*node.children[0], scope).truthy()) return eval(*node.children[1], scope);
        if (node.children[2]) return eval(*node.children[2], scope);
        return Value::undefined("the inline if-expression on line " + std::to_string(node.line) +
                                " evaluated to false and no else section was defined.");
      case NodeKind::Concat: {
        std::string out;
        for (const auto& child : node.children) {
          const std::string text = python_str(eval(*child, scope));
          check_text_size(out.size() + text.size());
          out += text;
        }
        return Value::string(out);
      }
      default: throw EvalError("internal error: statement used as an expression");
    }
  }

  Value eval_compare(const Node& node, const ScopePtr& scope) {
    Value left = eval(*node.children[0], scope);
    for (size_t i = 0; i < node.ops.size(); ++i) {
      Value right = eval(*node.children[i + 1], scope);
      const std::string& op = node.ops[i];
      bool result;
      if (op == "==") result = equals(left, right);
      else if (op == "!=") result = !equals(left, right);
      else if (op == "in") result = value_in(left, right);
      else if (op == "notin") result = !value_in(left, right);
      else {
        if (left.is_undefined()) fail_undefined(left);
        if (right.is_undefined()) fail_undefined(right);
        int c = compare_for_operators(left, right);
        result = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
      }
      if (!result) return Value::from_bool(false);
      left = std::move(right);
    }
    return Value::from_bool(true);
  }

  Value eval_slice(const Node& node, const ScopePtr& scope) {
    Value object = eval(*node.children[0], scope);
    auto part = [&](size_t i) { return node.children[i] ? eval(*node.children[i], scope) : Value::none(); };
    Value start = part(1), stop = part(2), step = part(3);
    if (object.is_undefined()) fail_undefined(object);
    if (object.is_string()) {
      std::u32string cps = to_code_points(object.text);
      std::u32string out;
      for (size_t i : slice_indices(cps.size(), start, stop, step)) out.push_back(cps[i]);
      return Value::string(to_utf8(out));
    }
    if (object.is_sequence()) {
      List out;
      for (size_t i : slice_indices(object.list->size(), start, stop, step)) out.push_back((*object.list)[i]);
      return object.kind == Value::Kind::List ? Value::make_list(std::move(out)) : Value::make_tuple(std::move(out));
    }
    throw EvalError("'" + type_description(object) + "' is not subscriptable");
  }

  ScopePtr globals_;
  ScopePtr root_;
  std::vector<std::weak_ptr<Scope>> scopes_;
  int depth_ = 0;
  int64_t steps_ = 0;
};

}  // namespace

Template::Template(std::string_view source) : root_(parse_template(source)) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::render(const Dict& variables) const {
  try {
    return Renderer(variables).run(*root_);
  } catch (const std::bad_alloc&) {
    // What jinja_limits.h does not bound (a filter's result, say) can still
    // ask for more memory than there is.
    throw Error("chat template: rendering needs more memory than is available");
  } catch (const std::length_error&) {
    throw Error("chat template: rendering builds a string or list too long to hold");
  }
}

}  // namespace attn::jinja
