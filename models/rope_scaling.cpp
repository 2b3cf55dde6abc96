#include "models/rope_scaling.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace attn {
namespace {

// rope_scaling's fields, each read with an error naming the key.
class ScalingReader {
 public:
  ScalingReader(const ConfigReader& config, const nlohmann::json& scaling, std::string type)
      : config_(config), scaling_(scaling), type_(std::move(type)) {}

  bool has(const char* key) const { return scaling_.contains(key) && !scaling_[key].is_null(); }

  double number(const char* key) const {
    if (!has(key)) fail(key, "is missing");
    if (!scaling_[key].is_number()) fail(key, "must be a number");
    return scaling_[key].get<double>();
  }

  double number(const char* key, double fallback) const { return has(key) ? number(key) : fallback; }

  bool flag(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!scaling_[key].is_boolean()) fail(key, "must be true or false");
    return scaling_[key].get<bool>();
  }

  std::vector<double> numbers(const char* key, size_t count) const {
    if (!has(key)) fail(key, "is missing");
    const auto& list = scaling_[key];
    if (!list.is_array() || list.size() != count ||
        !std::all_of(list.begin(), list.end(), [](const nlohmann::json& v) { return v.is_number() && v.get<double>() > 0; })) {
      fail(key, "must be a list of " + std::to_string(count) + " positive numbers (rotary_dim / 2)");
    }
    return list.get<std::vector<double>>();
  }

  [[noreturn]] void fail(const char* key, const std::string& problem) const {
    config_.fail("rope_scaling." + std::string(key) + " " + problem + " (rope_type '" + type_ + "')");
  }

 private:
  const ConfigReader& config_;
  const nlohmann::json& scaling_;
  std::string type_;
};

std::string rope_type(const ConfigReader& config, const nlohmann::json& scaling) {
  if (!scaling.is_object()) config.fail("rope_scaling must be an object or null");
  for (const char* key : {"rope_type", "type"}) {  // "type" is the older spelling
    if (scaling.contains(key)) {
      if (!scaling[key].is_string()) config.fail(std::string("rope_scaling.") + key + " must be a string");
      return scaling[key].get<std::string>();
    }
  }
  config.fail("rope_scaling has no rope_type");
}

// Meta's Llama 3.1 scaling: low frequencies divided by `factor`, high ones
// kept, a smooth blend between.
void llama3(RopeFrequencies& f, const ScalingReader& s) {
  const double factor = s.number("factor"), low = s.number("low_freq_factor"), high = s.number("high_freq_factor");
  const double old_context = s.number("original_max_position_embeddings");
  if (high <= low) s.fail("high_freq_factor", "must be greater than low_freq_factor");
  for (double& inv : f.inv_freq) {
    const double wavelen = 2 * std::numbers::pi / inv;
    if (wavelen > old_context / low) {
      inv /= factor;
    } else if (wavelen >= old_context / high) {
      const double smooth = (old_context / wavelen - low) / (high - low);
      inv = (1 - smooth) * inv / factor + smooth * inv;
    }
  }
}

// YaRN: frequencies interpolated by `factor` below a ramp over the
// dimensions, extrapolated above it; cos/sin scaled by the attention factor.
void yarn(RopeFrequencies& f, const ScalingReader& s, double theta, int max_positions) {
  const double original = s.number("original_max_position_embeddings", max_positions);
  const double factor = s.number("factor", max_positions / original);
  const auto mscale = [](double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
  if (s.has("attention_factor")) {
    f.attention_factor = s.number("attention_factor");
  } else if (s.has("mscale") && s.has("mscale_all_dim") && s.number("mscale") != 0 && s.number("mscale_all_dim") != 0) {
    f.attention_factor = mscale(factor, s.number("mscale")) / mscale(factor, s.number("mscale_all_dim"));
  } else {
    f.attention_factor = mscale(factor, 1.0);
  }
  const int dim = f.rotary_dim;
  const auto correction_dim = [&](double rotations) {
    return dim * std::log(original / (rotations * 2 * std::numbers::pi)) / (2 * std::log(theta));
  };
  double low = correction_dim(s.number("beta_fast", 32)), high = correction_dim(s.number("beta_slow", 1));
  if (s.flag("truncate", true)) low = std::floor(low), high = std::ceil(high);
  low = std::max(low, 0.0);
  high = std::min(high, dim - 1.0);
  if (low == high) high += 0.001;  // as transformers: no division by zero
  for (size_t i = 0; i < f.inv_freq.size(); ++i) {
    const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
    f.inv_freq[i] = f.inv_freq[i] / factor * ramp + f.inv_freq[i] * (1 - ramp);
  }
}

// LongRoPE (Phi-3/3.5/4): per-frequency rescale factors, the short ones
// within the original context and the long ones beyond it.
void longrope(RopeFrequencies& f, const ConfigReader& config, const ScalingReader& s, int max_positions) {
  const auto& json = config.json();
  const bool top_level = json.contains("original_max_position_embeddings");
  const double original = top_level ? config.get_int("original_max_position_embeddings", max_positions)
                                    : s.number("original_max_position_embeddings", max_positions);
  // Phi-3 keeps the original length at the top level; transformers then
  // derives the factor from the two lengths.
  const double factor = top_level || !s.has("factor") ? max_positions / original : s.number("factor");
  f.attention_factor = s.has("attention_factor") ? s.number("attention_factor")
                       : factor <= 1.0           ? 1.0
                                                 : std::sqrt(1 + std::log(factor) / std::log(original));
  const std::vector<double> shorter = s.numbers("short_factor", f.inv_freq.size());
  const std::vector<double> longer = s.numbers("long_factor", f.inv_freq.size());
  const std::vector<double> base = f.inv_freq;
  for (size_t i = 0; i < base.size(); ++i) {
    f.inv_freq[i] = base[i] / shorter[i];
    f.long_inv_freq.push_back(base[i] / longer[i]);
  }
  f.long_after = static_cast<int>(original);
}

}  // namespace

// Far above any real head (64-576 today): a damaged config.json or GGUF fails
// here at once instead of after seconds spent sizing tables from it.
constexpr int kMaxHeadDim = 1 << 14;

RopeFrequencies rope_frequencies(const ConfigReader& config, int head_dim, double theta, bool scaling) {
  if (head_dim > kMaxHeadDim) {
    config.fail("a head of " + std::to_string(head_dim) + " dimensions (head_dim, or hidden_size / num_attention_heads) " +
                "is implausible; at most " + std::to_string(kMaxHeadDim) + " is accepted");
  }
  const double partial = config.get_double("partial_rotary_factor", 1.0);
  const int rotary_dim = static_cast<int>(head_dim * partial);
  if (!(partial > 0 && partial <= 1) || rotary_dim < 2 || rotary_dim % 2 != 0) {
    config.fail("partial_rotary_factor " + std::to_string(partial) + " gives " + std::to_string(rotary_dim) +
                " rotary dimensions of a " + std::to_string(head_dim) + "-wide head; it must give an even number >= 2");
  }
  RopeFrequencies f = RopeFrequencies::standard(theta, rotary_dim);
  if (!scaling || config.is_null_or_absent("rope_scaling")) return f;

  const nlohmann::json& json = config.json()["rope_scaling"];
  const std::string type = rope_type(config, json);
  const ScalingReader s(config, json, type);
  const int max_positions = config.get_int("max_position_embeddings", 2048);
  if (type == "default") {
  } else if (type == "linear") {
    const double factor = s.number("factor");
    for (double& inv : f.inv_freq) inv /= factor;
  } else if (type == "dynamic") {
    // NTK-aware scaling changes the base only for sequences longer than
    // max_position_embeddings, and attn's context never exceeds it: within
    // it transformers uses the plain frequencies, and so does attn.
    s.number("factor");
  } else if (type == "llama3") {
    llama3(f, s);
  } else if (type == "yarn") {
    yarn(f, s, theta, max_positions);
  } else if (type == "longrope") {
    longrope(f, config, s, max_positions);
  } else {
    config.fail("rope_scaling.rope_type '" + type +
                "' is not supported; supported: default, linear, dynamic, llama3, yarn, longrope");
  }
  return f;
}

}  // namespace attn
