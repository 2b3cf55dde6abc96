// Chat templates against python3-jinja2 configured as transformers'
// apply_chat_template configures it: every template in ../shared over the
// conversation corpus, each language feature on its own, and the
// `attn chat-template` command. Expected renders come from
// tests/fixtures/gen_chat_template_fixtures.py.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "attn/chat_template.h"
#include "chat_template/jinja_template.h"
#include "test_support.h"

using namespace attn::test;
using nlohmann::ordered_json;

namespace {

const std::filesystem::path kFixtures = fixtures_dir() / "chat_templates";

ordered_json load_json(const std::filesystem::path& path) { return ordered_json::parse(read_file(path)); }

// The shared template a fixture names, with the special tokens the generator used.
attn::ChatTemplate open_template(const std::string& name) {
  const auto jinja = shared_dir() / "chat_templates" / (name + ".jinja");
  if (std::filesystem::exists(jinja)) return attn::ChatTemplate::from_file(jinja);
  return attn::ChatTemplate::from_directory(shared_dir() / "tokenizers" / name);
}

std::string dump_or_empty(const ordered_json& value) { return value.is_null() ? std::string() : value.dump(); }

}  // namespace

TEST_CASE("every shared chat template renders the corpus byte for byte as Jinja2 does") {
  const ordered_json corpus = load_json(kFixtures / "corpus.json");
  std::map<std::string, ordered_json> cases;
  for (const auto& c : corpus) cases[c["name"]] = c;
  int compared = 0, templates = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures / "expected")) {
    if (entry.path().filename() == "features.json") continue;
    const ordered_json expected = load_json(entry.path());
    const std::string name = expected["template"];
    CAPTURE(name);
    REQUIRE_FALSE(expected.contains("compile_error"));
    const attn::ChatTemplate chat_template = open_template(name);
    ++templates;
    for (const auto& c : expected["cases"]) {
      const ordered_json& conversation = cases.at(c["case"]);
      attn::ChatTemplateOptions options;
      options.add_generation_prompt = c["add_generation_prompt"];
      options.tools_json = dump_or_empty(conversation.value("tools", ordered_json()));
      options.documents_json = dump_or_empty(conversation.value("documents", ordered_json()));
      ordered_json variables = expected["special_tokens"];
      const ordered_json extra = conversation.value("variables", ordered_json::object());
      for (const auto& [key, value] : extra.items()) variables[key] = value;
      options.variables_json = variables.dump();
      const std::string case_name = c["case"];
      CAPTURE(case_name);
      CAPTURE(options.add_generation_prompt);
      const std::string messages = conversation["messages"].dump();
      if (c.contains("output")) {
        CHECK(chat_template.apply_json(messages, options) == c["output"].get<std::string>());
      } else if (c.contains("raised")) {
        try {
          chat_template.apply_json(messages, options);
          FAIL("expected raise_exception: " << c["raised"].get<std::string>());
        } catch (const attn::ChatTemplateRaised& e) {
          CHECK(std::string(e.what()) == c["raised"].get<std::string>());
        }
      } else {
        // Jinja2 failed (a type error, an undefined attribute, ...): so must we.
        CHECK_THROWS_AS(chat_template.apply_json(messages, options), attn::Error);
      }
      ++compared;
    }
  }
  CHECK(templates >= 13);
  CHECK(compared >= 13 * 50);
}

TEST_CASE("each Jinja2 feature renders as Jinja2 renders it") {
  const ordered_json features = load_json(kFixtures / "features.json");
  const ordered_json expected = load_json(kFixtures / "expected" / "features.json");
  REQUIRE(features.size() == expected.size());
  for (size_t i = 0; i < features.size(); ++i) {
    const std::string name = features[i]["name"];
    const std::string source = features[i]["template"];
    CAPTURE(name);
    const ordered_json& want = expected[i];
    auto render = [&] { return attn::jinja::Template(source).render({}); };
    if (want.contains("output")) {
      CHECK(render() == want["output"].get<std::string>());
    } else if (want.contains("raised")) {
      CHECK_THROWS_WITH_AS(render(), want["raised"].get<std::string>().c_str(), attn::jinja::TemplateRaised);
    } else {
      CHECK_THROWS_AS(render(), attn::Error);
    }
  }
}

TEST_CASE("template errors name the template line") {
  const std::string source = "line one\n{% if true %}\n{{ missing.attribute }}\n{% endif %}";
  CHECK_THROWS_WITH(attn::jinja::Template(source).render({}), doctest::Contains("line 3: 'missing' is undefined"));
  CHECK_THROWS_WITH(attn::jinja::Template("a\nb\n{% for x in %}"), doctest::Contains("line 3"));
  CHECK_THROWS_WITH(attn::jinja::Template("\n{{ x | no_such_filter }}"), doctest::Contains("line 2: No filter named 'no_such_filter'"));
}

// A template comes from the model's files, so it is user input: what would
// exhaust the stack, memory or time fails with a clear error instead
// (chat_template/jinja_limits.h).
TEST_CASE("hostile templates: deep nesting, endless recursion, huge strings, endless loops, overflow") {
  const auto render = [](const std::string& source) { return attn::jinja::Template(source).render({}); };
  CHECK_THROWS_WITH(render("{{" + std::string(100000, '(') + "1" + std::string(100000, ')') + "}}"),
                    doctest::Contains("nested deeper than 256 levels"));
  CHECK_THROWS_WITH(render(std::string(1000, '-') + "{{" + std::string(100000, '-') + "1 }}"),
                    doctest::Contains("nested deeper than 256 levels"));
  CHECK_THROWS_WITH(render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"),
                    doctest::Contains("nests deeper than 500 levels"));
  // A chain as deep as it is long: built, rendered and freed without recursion.
  std::string chain = "{{ 1";
  for (int i = 0; i < 200000; ++i) chain += " ~ 1";
  CHECK(render(chain + " }}").size() == 200001);
  std::string sum = "{{ 1";
  for (int i = 0; i < 200000; ++i) sum += " + 1";
  CHECK_THROWS_WITH(render(sum + " }}"), doctest::Contains("nests deeper than 500 levels"));
  CHECK_THROWS_WITH(render("{{ 'a' * 3000000000 }}"), doctest::Contains("string of more than 16 MiB"));
  CHECK_THROWS_WITH(render("{{ [1] * 3000000000 }}"), doctest::Contains("list of more than 1048576 items"));
  CHECK_THROWS_WITH(render("{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}"
                           "{% endfor %}"),
                    doctest::Contains("string of more than 16 MiB"));
  CHECK_THROWS_WITH(render("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}"),
                    doctest::Contains("writes more than 16 MiB"));
  CHECK_THROWS_WITH(render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"),
                    doctest::Contains("runs more than 5000000 steps"));
  CHECK_THROWS_WITH(render("{{ 9223372036854775807 + 1 }}"), doctest::Contains("integer overflow in +"));
  CHECK_THROWS_WITH(render("{{ -9223372036854775807 - 2 }}"), doctest::Contains("integer overflow in -"));
  CHECK_THROWS_WITH(render("{{ 4294967296 * 4294967296 }}"), doctest::Contains("integer overflow in *"));
  // Found by fuzz_chat_template: std::out_of_range escaped from the lexer.
  CHECK_THROWS_WITH(render("{{ 99999999999999999999 }}"), doctest::Contains("does not fit in 64 bits"));
  CHECK(render("{{ 1e999 }} {{ 1e-999 }}") == "inf 0.0");  // as Python's float()
  // A macro held by the scope it was defined in (a cycle of shared pointers)
  // is freed with the render: LeakSanitizer checks it in fuzz_chat_template.
  CHECK(render("{% macro m() %}x{% endmacro %}{{ m() }}") == "x");
}

TEST_CASE("apply_chat_template reads tokenizer_config.json, and chat_template.jinja wins") {
  TempDir dir;
  write_file(dir / "tokenizer_config.json",
             R"({"bos_token": {"content": "<B>", "__type": "AddedToken"}, "eos_token": "<E>",
                 "chat_template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}"})");
  const std::vector<attn::ChatMessage> messages = {{"user", "hi"}, {"assistant", "yo"}};
  CHECK(attn::apply_chat_template(dir.path(), messages) == "<B>[user]hi<E>[assistant]yo<E>");
  write_file(dir / "chat_template.jinja", "{{ messages | length }}{{ eos_token }}\n");
  CHECK(attn::apply_chat_template(dir.path(), messages) == "2<E>");

  TempDir empty;
  write_file(empty / "tokenizer_config.json", R"({"eos_token": "<E>"})");
  CHECK_THROWS_WITH(attn::apply_chat_template(empty.path(), messages), doctest::Contains("no chat template"));
  CHECK_THROWS_WITH(attn::ChatTemplate::from_directory(dir.path()).apply_json(R"([{"content": "x"}])"),
                    doctest::Contains("needs a string \"role\""));
}

TEST_CASE("named templates: default, or tool_use when tools are given") {
  TempDir dir;
  write_file(dir / "tokenizer_config.json",
             R"({"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T{{ tools | length }}"}]})");
  const auto chat_template = attn::ChatTemplate::from_directory(dir.path());
  CHECK(chat_template.apply({{"user", "x"}}) == "D");
  attn::ChatTemplateOptions options;
  options.tools_json = R"([{"type": "function"}])";
  CHECK(chat_template.apply({{"user", "x"}}, options) == "T1");
  options.template_name = "nope";
  CHECK_THROWS_WITH(chat_template.apply({{"user", "x"}}, options), doctest::Contains("no chat template named 'nope'"));
}

TEST_CASE("attn chat-template prints the render exactly, or fails with the template's message") {
  TempDir dir;
  // A directory holding nothing but a tokenizer config, as scripts use it.
  write_file(dir / "tokenizer_config.json", read_file(shared_dir() / "tokenizers" / "qwen3" / "tokenizer_config.json"));
  write_file(dir / "messages.json", R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi ✓"}])");
  const std::string command = quote(cli_path()) + " chat-template -m " + quote(dir.path()) + " --messages " +
                              quote(dir / "messages.json");
  auto result = run_command(command + " --add-generation-prompt");
  CHECK(result.exit_code == 0);
  CHECK(result.out == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi ✓<|im_end|>\n<|im_start|>assistant\n");
  result = run_command(command);
  CHECK(result.out == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi ✓<|im_end|>\n");

  TempDir gemma;
  write_file(gemma / "tokenizer_config.json", read_file(shared_dir() / "tokenizers" / "gemma3" / "tokenizer_config.json"));
  write_file(gemma / "messages.json", R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])");
  result = run_command(quote(cli_path()) + " chat-template -m " + quote(gemma.path()) + " --messages " + quote(gemma / "messages.json"));
  CHECK(result.exit_code != 0);
  CHECK(result.out.empty());
  CHECK(result.err.find("Conversation roles must alternate user/assistant/user/assistant/...") != std::string::npos);

  result = run_command(quote(cli_path()) + " chat-template -m " + quote(dir.path()) + " --messages " + quote(dir / "missing.json"));
  CHECK(result.exit_code != 0);
  CHECK(result.err.find("missing.json") != std::string::npos);
}
