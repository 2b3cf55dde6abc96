#include "loaders/llama2c.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "attn/error.h"
#include "engine/mapped_file.h"

namespace attn {
namespace {

namespace fs = std::filesystem;

// The first int32 of llama2.c's newer (version >= 1) exports, "ak42" in ASCII.
constexpr int32_t kVersionedMagic = 0x616b3432;
constexpr size_t kHeaderBytes = 7 * sizeof(int32_t);

struct Geometry {
  int64_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
  bool shared_classifier;  // a negative vocab_size in the header means an extra wcls block
  int64_t head_size() const { return dim / n_heads; }
  int64_t kv_dim() const { return dim * n_kv_heads / n_heads; }
};

std::string describe(const Geometry& g) {
  return "dim=" + std::to_string(g.dim) + " hidden_dim=" + std::to_string(g.hidden_dim) +
         " n_layers=" + std::to_string(g.n_layers) + " n_heads=" + std::to_string(g.n_heads) +
         " n_kv_heads=" + std::to_string(g.n_kv_heads) +
         " vocab_size=" + std::to_string(g.shared_classifier ? g.vocab_size : -g.vocab_size) +
         " seq_len=" + std::to_string(g.seq_len);
}

[[noreturn]] void bad_header(const fs::path& path, const Geometry& g, const std::string& problem) {
  throw Error(path.string() + ": header {" + describe(g) + "} is invalid: " + problem +
              "; the file is corrupt or not a llama2.c checkpoint");
}

Geometry read_geometry(const MappedFile& file) {
  if (file.size() < kHeaderBytes) {
    throw Error(file.path().string() + ": file has " + std::to_string(file.size()) +
                " bytes, fewer than the 28-byte llama2.c header; the file is truncated");
  }
  int32_t h[7];
  std::memcpy(h, file.data(), kHeaderBytes);
  if (h[0] == kVersionedMagic) {
    throw Error(file.path().string() + ": this is a llama2.c version-" + std::to_string(h[1]) +
                " export; attn reads the legacy version-0 format that run.c reads, re-export it with "
                "llama2.c's `export.py --version 0`");
  }
  // Widen before negating: -INT32_MIN does not fit in int32.
  const int64_t vocab = h[5];
  Geometry g{h[0], h[1], h[2], h[3], h[4], std::abs(vocab), h[6], vocab > 0};

  for (int64_t value : {g.dim, g.hidden_dim, g.n_layers, g.n_heads, g.n_kv_heads, g.vocab_size, g.seq_len}) {
    if (value <= 0) bad_header(file.path(), g, "every size must be positive");
  }
  if (g.dim % g.n_heads != 0) bad_header(file.path(), g, "dim is not a multiple of n_heads");
  if (g.n_heads % g.n_kv_heads != 0) bad_header(file.path(), g, "n_heads is not a multiple of n_kv_heads");
  if (g.head_size() % 2 != 0) bad_header(file.path(), g, "the head size dim/n_heads is odd, RoPE needs pairs");
  return g;
}

// One run of f32 values in file order: `copies` consecutive tensors of
// `shape`. Per-layer weights are one run of n_layers copies, stored
// layer-major, so each copy is one layer's tensor. An empty name is skipped.
struct Section {
  std::string name;
  Shape shape;
  int64_t copies = 1;
  bool per_layer = false;
};

// The file layout after the header, as run.c's memory_map_weights reads it.
std::vector<Section> file_layout(const Geometry& g) {
  const int64_t L = g.n_layers;
  std::vector<Section> layout = {
      {"model.embed_tokens.weight", {g.vocab_size, g.dim}},
      {"input_layernorm.weight", {g.dim}, L, true},
      {"self_attn.q_proj.weight", {g.dim, g.dim}, L, true},
      {"self_attn.k_proj.weight", {g.kv_dim(), g.dim}, L, true},
      {"self_attn.v_proj.weight", {g.kv_dim(), g.dim}, L, true},
      {"self_attn.o_proj.weight", {g.dim, g.dim}, L, true},
      {"post_attention_layernorm.weight", {g.dim}, L, true},
      {"mlp.gate_proj.weight", {g.hidden_dim, g.dim}, L, true},  // w1
      {"mlp.down_proj.weight", {g.dim, g.hidden_dim}, L, true},  // w2
      {"mlp.up_proj.weight", {g.hidden_dim, g.dim}, L, true},    // w3
      {"model.norm.weight", {g.dim}},
      // Legacy freq_cis_real and freq_cis_imag tables, unused: RoPE is computed.
      {"", {g.seq_len, g.head_size() / 2}, 2},
  };
  if (!g.shared_classifier) layout.push_back({"lm_head.weight", {g.vocab_size, g.dim}});
  return layout;
}

// 128-bit so that no header, however corrupt, can overflow the sum (each
// section is at most 2^31 * 2^31 * 2^31 values).
unsigned __int128 expected_file_size(const std::vector<Section>& layout) {
  unsigned __int128 bytes = kHeaderBytes;
  for (const Section& s : layout) {
    unsigned __int128 values = static_cast<uint64_t>(s.copies);
    for (int64_t dim : s.shape) values *= static_cast<uint64_t>(dim);
    bytes += values * sizeof(float);
  }
  return bytes;
}

std::string to_string(unsigned __int128 value) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value != 0);
  return digits;
}

void check_file_size(const MappedFile& file, const Geometry& g, const std::vector<Section>& layout) {
  const unsigned __int128 expected = expected_file_size(layout);
  if (expected == file.size()) return;
  throw Error(file.path().string() + ": header {" + describe(g) + "} implies " + to_string(expected) +
              " bytes but the file has " + std::to_string(file.size()) + " bytes; the file is " +
              (expected > file.size() ? "truncated" : "too long") + " or not a llama2.c checkpoint");
}

void map_weights(const std::shared_ptr<const MappedFile>& file, const std::vector<Section>& layout,
                 WeightStore& weights) {
  // The header is 28 bytes, so the floats are 4-byte aligned in the page-aligned mapping.
  const float* next = reinterpret_cast<const float*>(file->data() + kHeaderBytes);
  for (const Section& s : layout) {
    for (int64_t copy = 0; copy < s.copies; ++copy, next += shape_numel(s.shape)) {
      if (s.name.empty()) continue;
      std::string name = s.per_layer ? "model.layers." + std::to_string(copy) + "." + s.name : s.name;
      weights.add(std::move(name), Tensor(DType::F32, s.shape, next, file), file->path().string());
    }
  }
}

// The Hugging Face LlamaForCausalLM config equivalent to the header.
nlohmann::json make_config(const Geometry& g) {
  return {
      {"architectures", {"LlamaForCausalLM"}},
      {"model_type", "llama"},
      {"hidden_size", g.dim},
      {"intermediate_size", g.hidden_dim},
      {"num_hidden_layers", g.n_layers},
      {"num_attention_heads", g.n_heads},
      {"num_key_value_heads", g.n_kv_heads},
      {"vocab_size", g.vocab_size},
      {"max_position_embeddings", g.seq_len},
      {"hidden_act", "silu"},
      {"rms_norm_eps", 1e-5},
      {"rope_theta", 10000.0},
      {"tie_word_embeddings", g.shared_classifier},
      {"bos_token_id", 1},
      {"eos_token_id", 2},
      // attn's own key: llama2.c rotates adjacent pairs (HF rotates halves),
      // because its q/k rows are not permuted the way HF exports are.
      {"rope_interleaved", true},
      // run.c stops when the model emits BOS, which delimits stories.
      {"generation", {{"eos_token_id", {2, 1}}}},
  };
}

}  // namespace

Checkpoint load_llama2c(const fs::path& path) {
  const auto file = MappedFile::open(path);
  const Geometry geometry = read_geometry(*file);
  const std::vector<Section> layout = file_layout(geometry);
  check_file_size(*file, geometry, layout);

  Checkpoint checkpoint;
  checkpoint.path = path;
  checkpoint.format = "llama2.c";
  checkpoint.config = make_config(geometry);
  map_weights(file, layout, checkpoint.weights);
  const fs::path tokenizer = path.parent_path() / "tokenizer.model";
  std::error_code ignored;  // an unreadable neighbour just means no tokenizer was found
  if (fs::is_regular_file(tokenizer, ignored)) checkpoint.tokenizer = tokenizer;
  return checkpoint;
}

}  // namespace attn
