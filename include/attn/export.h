// ATTN_API marks what libattn.so exports (the library is built with hidden
// visibility). The C++ headers put it on namespace attn: everything they
// declare is the API; the same namespace elsewhere stays internal.
#pragma once

#ifndef ATTN_API
#if defined(__GNUC__) && !defined(_WIN32)
#define ATTN_API __attribute__((visibility("default")))
#else
#define ATTN_API
#endif
#endif
