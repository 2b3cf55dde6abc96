// attn's ONNX decoding (loaders/onnx/onnx_messages.h, no protobuf library)
// against python3-onnx (protobuf's own parser) on every .onnx and .pb file
// of the test data: the ONNX fixtures, stories260K's export and Debian's
// libonnx-testdata (~4300 files). fixtures/onnx/gen_onnx_messages_reference.py
// wrote, per file, a CRC-32 of a canonical dump of the decoded fields (or
// "error" when protobuf refused the file); dump() below writes the same
// text from attn's structs, so any difference in a name, dim, attribute
// value, type, external-data entry or tensor byte changes the digest.
#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "attn/error.h"
#include "loaders/onnx/onnx_messages.h"
#include "test_support.h"

using namespace attn;
using namespace attn::test;
namespace fs = std::filesystem;

namespace {

// zlib's CRC-32 (reflected polynomial 0xEDB88320), as Python's zlib.crc32.
uint32_t crc32(const void* data, size_t size) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string hex32(uint32_t value) {
  char out[9];
  std::snprintf(out, sizeof out, "%08x", value);
  return out;
}

std::string crc(const void* data, size_t size) { return hex32(crc32(data, size)); }

// The generator's dump, field for field (keep the two in step).
std::string text(const std::string& s) { return std::to_string(s.size()) + ":" + s; }
std::string f32_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return hex32(bits);
}

template <typename T>
std::string typed(const char* name, const std::vector<T>& values) {
  return std::string(name) + " " + std::to_string(values.size()) + " " + crc(values.data(), values.size() * sizeof(T)) + "\n";
}

template <typename T, typename F>
std::string joined(const std::vector<T>& values, const char* separator, F&& format) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? separator : "") + format(values[i]);
  return out;
}

std::string dump(const onnx::Tensor& t) {
  std::string out = "tensor " + text(t.name) + " type=" + std::to_string(t.data_type) +
                    " dims=" + joined(t.dims, ",", [](int64_t d) { return std::to_string(d); }) +
                    " location=" + std::to_string(static_cast<int>(t.data_location)) + "\n";
  out += t.raw_data ? "raw " + std::to_string(t.raw_data->size()) + ":" + crc(t.raw_data->data(), t.raw_data->size()) + "\n"
                    : "raw absent\n";
  out += typed("float_data", t.float_data) + typed("int32_data", t.int32_data) + typed("int64_data", t.int64_data) +
         typed("double_data", t.double_data) + typed("uint64_data", t.uint64_data);
  for (const auto& e : t.external_data) out += "external " + text(e.key) + " " + text(e.value) + "\n";
  return out + "end tensor\n";
}

std::string dump(const onnx::ValueInfo& v) {
  std::string out = text(v.name);
  if (const auto& tensor = v.type.tensor_type) {
    out += " tensor " + std::to_string(tensor->elem_type) + " [" +
           joined(tensor->dim, ",", [](const onnx::Dimension& d) { return d.dim_value ? std::to_string(*d.dim_value) : "?"; }) +
           "]";
  }
  return out + "\n";
}

std::string dump(const onnx::Graph& g);

std::string dump(const onnx::Attribute& a) {
  std::string out = "attribute " + text(a.name) + " type=" + std::to_string(static_cast<int>(a.type)) +
                    " f=" + f32_bits(a.f) + " i=" + std::to_string(a.i) + " s=" + text(a.s) + "\n";
  out += "floats";
  for (float f : a.floats) out += " " + f32_bits(f);
  out += "\nints";
  for (int64_t i : a.ints) out += " " + std::to_string(i);
  out += "\nstrings";
  for (const auto& s : a.strings) out += " " + text(s);
  out += "\n" + dump(a.t);
  return out + (a.g ? dump(*a.g) : "no graph\n");
}

std::string dump(const onnx::Node& n) {
  std::string out = "node " + text(n.name) + " " + text(n.op_type) + " " + text(n.domain) + "\ninputs";
  for (const auto& x : n.input) out += " " + text(x);
  out += "\noutputs";
  for (const auto& x : n.output) out += " " + text(x);
  out += "\n";
  for (const auto& a : n.attribute) out += dump(a);
  return out;
}

std::string dump(const onnx::Graph& g) {
  std::string out = "graph " + text(g.name) + "\n";
  for (const auto& t : g.initializer) out += "initializer " + dump(t);
  for (const auto& v : g.input) out += "input " + dump(v);
  for (const auto& v : g.output) out += "output " + dump(v);
  for (const auto& n : g.node) out += dump(n);
  return out + "end graph\n";
}

std::string dump(const onnx::Model& m) {
  std::string out = "model\n";
  for (const auto& o : m.opset_import) out += "opset " + text(o.domain) + " " + std::to_string(o.version) + "\n";
  return out + (m.graph ? dump(*m.graph) : "no graph\n");
}

}  // namespace

TEST_CASE("every .onnx and .pb file of the test data decodes to what python3-onnx reads") {
  const auto reference = nlohmann::json::parse(read_file(fixtures_dir() / "onnx/onnx_messages_reference.json"));
  const std::map<std::string, fs::path> roots{{"fixtures", fixtures_dir()},
                                              {"shared", shared_dir() / "models"},
                                              {"libonnx-testdata", "/usr/share/libonnx-testdata/data"}};
  REQUIRE_MESSAGE(fs::is_directory(roots.at("libonnx-testdata")), "install libonnx-testdata (scripts/install-deps.sh)");
  std::map<std::string, int> checked;  // per root
  int mismatches = 0;
  for (const auto& [key, digest] : reference.at("files").items()) {
    const auto colon = key.find(':');
    const fs::path path = roots.at(key.substr(0, colon)) / key.substr(colon + 1);
    INFO(path.string());
    const std::string bytes = read_file(path);
    const auto span = std::as_bytes(std::span(bytes.data(), bytes.size()));
    std::string decoded, error;
    try {
      decoded = path.extension() == ".pb" ? dump(onnx::decode_tensor(span, path.string())) : dump(onnx::decode_model(span, path.string()));
    } catch (const Error& e) {
      error = e.what();
    }
    const std::string actual = error.empty() ? crc(decoded.data(), decoded.size()) : "error";
    INFO(error);
    CHECK(actual == digest.get<std::string>());
    if (actual != digest.get<std::string>() && error.empty() && ++mismatches <= 3) {
      const fs::path out = fs::temp_directory_path() / ("attn-onnx-messages-" + std::to_string(mismatches) + ".txt");
      write_file(out, decoded);
      MESSAGE("attn's dump is in " << out.string() << "; compare it with /usr/bin/python3 "
              "tests/fixtures/onnx/gen_onnx_messages_reference.py --dump " << path.string());
    }
    ++checked[key.substr(0, colon)];
  }
  // Every root contributes: the fixtures and exports, stories260K, and the backend tests' models and tensors.
  CHECK(checked["fixtures"] >= 100);
  CHECK(checked["shared"] >= 1);
  CHECK(checked["libonnx-testdata"] >= 4000);
}
