# tokenizer.json pipelines need Unicode normalisation and categories
# (utf8proc) and Unicode-aware regular expressions such as \p{L} (PCRE2);
# Debian packages libutf8proc-dev and libpcre2-dev.
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
target_link_libraries(attn_tokenizer PRIVATE PkgConfig::UTF8PROC PkgConfig::PCRE2)
