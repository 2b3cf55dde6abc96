#include "tokenizer/nllb_tokenizer.h"

#include <sentencepiece_processor.h>

#include <array>
#include <charconv>
#include <map>
#include <string_view>

#include "attn/error.h"
#include "tokenizer/hf_added_tokens.h"
#include "tokenizer/hf_decoders.h"
#include "tokenizer/hf_tokenizer_config.h"

namespace attn {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 4> kFairseqSpecials = {"<s>", "<pad>", "</s>", "<unk>"};

// transformers' FAIRSEQ_LANGUAGE_CODES for NLLB, in their order (which fixes the ids).
constexpr std::array<std::string_view, 202> kNllbCodes = {
    "ace_Arab", "ace_Latn", "acm_Arab", "acq_Arab", "aeb_Arab", "afr_Latn", "ajp_Arab", "aka_Latn", "amh_Ethi",
    "apc_Arab", "arb_Arab", "ars_Arab", "ary_Arab", "arz_Arab", "asm_Beng", "ast_Latn", "awa_Deva", "ayr_Latn",
    "azb_Arab", "azj_Latn", "bak_Cyrl", "bam_Latn", "ban_Latn", "bel_Cyrl", "bem_Latn", "ben_Beng", "bho_Deva",
    "bjn_Arab", "bjn_Latn", "bod_Tibt", "bos_Latn", "bug_Latn", "bul_Cyrl", "cat_Latn", "ceb_Latn", "ces_Latn",
    "cjk_Latn", "ckb_Arab", "crh_Latn", "cym_Latn", "dan_Latn", "deu_Latn", "dik_Latn", "dyu_Latn", "dzo_Tibt",
    "ell_Grek", "eng_Latn", "epo_Latn", "est_Latn", "eus_Latn", "ewe_Latn", "fao_Latn", "pes_Arab", "fij_Latn",
    "fin_Latn", "fon_Latn", "fra_Latn", "fur_Latn", "fuv_Latn", "gla_Latn", "gle_Latn", "glg_Latn", "grn_Latn",
    "guj_Gujr", "hat_Latn", "hau_Latn", "heb_Hebr", "hin_Deva", "hne_Deva", "hrv_Latn", "hun_Latn", "hye_Armn",
    "ibo_Latn", "ilo_Latn", "ind_Latn", "isl_Latn", "ita_Latn", "jav_Latn", "jpn_Jpan", "kab_Latn", "kac_Latn",
    "kam_Latn", "kan_Knda", "kas_Arab", "kas_Deva", "kat_Geor", "knc_Arab", "knc_Latn", "kaz_Cyrl", "kbp_Latn",
    "kea_Latn", "khm_Khmr", "kik_Latn", "kin_Latn", "kir_Cyrl", "kmb_Latn", "kon_Latn", "kor_Hang", "kmr_Latn",
    "lao_Laoo", "lvs_Latn", "lij_Latn", "lim_Latn", "lin_Latn", "lit_Latn", "lmo_Latn", "ltg_Latn", "ltz_Latn",
    "lua_Latn", "lug_Latn", "luo_Latn", "lus_Latn", "mag_Deva", "mai_Deva", "mal_Mlym", "mar_Deva", "min_Latn",
    "mkd_Cyrl", "plt_Latn", "mlt_Latn", "mni_Beng", "khk_Cyrl", "mos_Latn", "mri_Latn", "zsm_Latn", "mya_Mymr",
    "nld_Latn", "nno_Latn", "nob_Latn", "npi_Deva", "nso_Latn", "nus_Latn", "nya_Latn", "oci_Latn", "gaz_Latn",
    "ory_Orya", "pag_Latn", "pan_Guru", "pap_Latn", "pol_Latn", "por_Latn", "prs_Arab", "pbt_Arab", "quy_Latn",
    "ron_Latn", "run_Latn", "rus_Cyrl", "sag_Latn", "san_Deva", "sat_Beng", "scn_Latn", "shn_Mymr", "sin_Sinh",
    "slk_Latn", "slv_Latn", "smo_Latn", "sna_Latn", "snd_Arab", "som_Latn", "sot_Latn", "spa_Latn", "als_Latn",
    "srd_Latn", "srp_Cyrl", "ssw_Latn", "sun_Latn", "swe_Latn", "swh_Latn", "szl_Latn", "tam_Taml", "tat_Cyrl",
    "tel_Telu", "tgk_Cyrl", "tgl_Latn", "tha_Thai", "tir_Ethi", "taq_Latn", "taq_Tfng", "tpi_Latn", "tsn_Latn",
    "tso_Latn", "tuk_Latn", "tum_Latn", "tur_Latn", "twi_Latn", "tzm_Tfng", "uig_Arab", "ukr_Cyrl", "umb_Latn",
    "urd_Arab", "uzn_Latn", "vec_Latn", "vie_Latn", "war_Latn", "wol_Latn", "xho_Latn", "ydd_Hebr", "yor_Latn",
    "yue_Hant", "zho_Hans", "zho_Hant", "zul_Latn"};

hf::AddedToken special_token(std::string_view content, TokenId id) {
  return {.id = id, .content = std::string(content), .special = true, .normalized = false};
}

// NllbTokenizer's own layout: the fairseq specials, the codes, then <mask>
// (which, as a word, swallows the space before it).
std::vector<hf::AddedToken> fairseq_layout(TokenId first_added, const std::string& mask) {
  std::vector<hf::AddedToken> tokens;
  for (size_t i = 0; i < kFairseqSpecials.size(); ++i) tokens.push_back(special_token(kFairseqSpecials[i], static_cast<TokenId>(i)));
  for (size_t i = 0; i < kNllbCodes.size(); ++i) tokens.push_back(special_token(kNllbCodes[i], first_added + static_cast<TokenId>(i)));
  hf::AddedToken mask_token = special_token(mask, first_added + static_cast<TokenId>(kNllbCodes.size()));
  mask_token.lstrip = mask_token.normalized = true;
  tokens.push_back(mask_token);
  return tokens;
}

// tokenizer_config.json's added_tokens_decoder ({"id": {"content": ...}}):
// the fairseq specials at 0-3 and special tokens right after the pieces.
std::vector<hf::AddedToken> listed_layout(const nlohmann::json& listed, TokenId first_added, const std::string& where) {
  if (!listed.is_object()) throw Error(where + ": \"added_tokens_decoder\" must be an object of id -> token");
  std::map<TokenId, hf::AddedToken> by_id;
  for (const auto& [key, entry] : listed.items()) {
    TokenId id = -1;
    const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (error != std::errc() || end != key.data() + key.size() || id < 0) {
      throw Error(where + ": \"added_tokens_decoder\" key '" + key + "' is not a token id");
    }
    hf::AddedToken token = hf::read_added_token(entry);
    token.id = id;
    const std::string named = "added token " + key + " '" + token.content + "'";
    if (id < static_cast<TokenId>(kFairseqSpecials.size())) {
      if (token.content != kFairseqSpecials[id]) {
        throw Error(where + ": " + named + ": NLLB's dictionary has '" + std::string(kFairseqSpecials[id]) + "' there");
      }
    } else if (id < first_added) {
      throw Error(where + ": " + named + " would replace a SentencePiece piece; attn reads added tokens after the pieces only");
    } else if (!token.special) {
      throw Error(where + ": " + named + " is not special; attn reads NLLB's special added tokens only");
    }
    by_id[id] = token;
  }
  std::vector<hf::AddedToken> tokens;
  TokenId next = first_added;
  for (const auto& [id, token] : by_id) {
    if (id >= first_added && id != next++) {
      throw Error(where + ": added token ids must follow the " + std::to_string(first_added) + " ids of the pieces without a gap; " +
                  std::to_string(next - 1) + " is missing");
    }
    tokens.push_back(token);
  }
  return tokens;
}

}  // namespace

bool is_nllb_tokenizer_directory(const fs::path& directory) {
  std::error_code error;
  if (!fs::is_regular_file(directory / "sentencepiece.bpe.model", error)) return false;
  const nlohmann::json config = read_tokenizer_config_object(directory);
  return config.contains("tokenizer_class") && config["tokenizer_class"].is_string() &&
         config["tokenizer_class"].get<std::string>().starts_with("Nllb");
}

NllbTokenizer::NllbTokenizer(const fs::path& directory) : LanguageCodeTokenizer(directory / "sentencepiece.bpe.model") {
  const fs::path config_path = directory / "tokenizer_config.json";
  const std::string where = config_path.string();
  const hf::TokenizerConfig config = hf::read_tokenizer_config(directory);
  clean_up_spaces_ = config.clean_up_tokenization_spaces;
  first_added_ = static_cast<TokenId>(processor_->GetPieceSize()) + 1;  // fairseq_offset
  std::vector<hf::AddedToken> tokens;
  std::string mask;
  try {
    mask = hf::special_token_content(config.json, "mask_token").value_or("<mask>");
    tokens = hf::has(config.json, "added_tokens_decoder")
                 ? listed_layout(config.json.at("added_tokens_decoder"), first_added_, where)
                 : fairseq_layout(first_added_, mask);
    if (hf::has(config.json, "legacy_behaviour") && config.json.at("legacy_behaviour").get<bool>()) layout_ = Layout::CodeLast;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": " + e.what());
  }
  std::map<std::string, TokenId> languages;
  for (const hf::AddedToken& token : tokens) {
    if (token.id < first_added_) continue;
    added_.push_back(token.content);
    if (token.content != mask) languages[token.content] = token.id;
  }
  splitter_ = std::make_unique<hf::AddedVocabulary>(std::move(tokens), nullptr);
  set_languages(std::move(languages), config_string(config.json, "src_lang", "eng_Latn", config_path), config_path);
}

NllbTokenizer::~NllbTokenizer() = default;

// _convert_token_to_id: SentencePiece's id + 1, its <unk> (0) fairseq's <unk>.
std::vector<TokenId> NllbTokenizer::piece_ids(std::string_view text) const {
  std::vector<TokenId> ids;
  for (const int id : encode_piece_ids(text)) ids.push_back(id == 0 ? unk_ : id + 1);
  return ids;
}

std::vector<TokenId> NllbTokenizer::text_ids(std::string_view text) const {
  std::vector<TokenId> ids;
  for (const hf::Segment& segment : splitter_->split(text, nullptr)) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
    } else {
      const std::vector<TokenId> pieces = piece_ids(segment.text);
      ids.insert(ids.end(), pieces.begin(), pieces.end());
    }
  }
  return ids;
}

// convert_tokens_to_string: "".join(tokens).replace("▁", " ").strip().
std::string NllbTokenizer::decode(std::span<const TokenId> ids) const {
  std::string joined;
  for (const TokenId id : ids) {
    const std::string token = token_text(id);  // throws outside the vocabulary
    if (id >= static_cast<TokenId>(kFairseqSpecials.size()) && id < first_added_) joined += token;
  }
  std::string text;
  constexpr std::string_view kUnderline = "\xe2\x96\x81";
  for (size_t i = 0; i < joined.size();) {
    if (joined.compare(i, kUnderline.size(), kUnderline) == 0) {
      text += ' ';
      i += kUnderline.size();
    } else {
      text += joined[i++];
    }
  }
  text = strip_whitespace(text);
  return clean_up_spaces_ ? hf::clean_up_tokenization(std::move(text)) : text;
}

std::string NllbTokenizer::token_text(TokenId id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(vocab_size() - 1) + ")");
  }
  if (id < static_cast<TokenId>(kFairseqSpecials.size())) return std::string(kFairseqSpecials[id]);
  if (id < first_added_) return processor_->IdToPiece(id - 1);
  return added_[id - first_added_];
}

}  // namespace attn
