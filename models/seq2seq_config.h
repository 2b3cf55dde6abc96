// What an encoder-decoder model's config says about generating: the decoder
// start token and the generate() defaults (config.json, with
// generation_config.json's keys winning, as in Hugging Face).
#pragma once

#include "attn/model.h"
#include "models/config_reader.h"

namespace attn {

Seq2SeqConfig read_seq2seq_config(const ConfigReader& config, int source_positions);

}  // namespace attn
