// The tokenizer layouts that predate tokenizer.json, turned into the
// tokenizer.json document transformers' converters would write for them:
//   GPT-2 style: vocab.json + merges.txt (byte-level BPE),
//   BERT style:  vocab.txt (WordPiece),
// with the options tokenizer_config.json gives (add_prefix_space,
// add_bos_token, do_lower_case, special tokens, ...).
#pragma once

#include <filesystem>

#include "tokenizer/hf_json.h"
#include "tokenizer/hf_tokenizer_config.h"

namespace attn::hf {

Json gpt2_tokenizer_json(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
                         const TokenizerConfig& config);

Json bert_tokenizer_json(const std::filesystem::path& vocab_txt, const TokenizerConfig& config);

}  // namespace attn::hf
