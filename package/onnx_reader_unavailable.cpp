// libattn.so's stand-in for loaders/onnx/onnx_reader.cpp. The ONNX messages
// need protobuf-lite 3.21, which Debian ships as a shared library (whose
// symbols clash with the protobuf 3.14 libsentencepiece.so exports, see
// loaders/CMakeLists.txt) or as a static archive that is not
// position-independent (local-exec TLS) and cannot go into a shared object.
// So the shared library says so instead of reading ONNX files; the attn
// command and libattn.a read them.
#include "attn/error.h"
#include "loaders/onnx/onnx_reader.h"

namespace attn {
namespace {

[[noreturn]] void unavailable(const std::filesystem::path& path) {
  throw Error(path.string() + ": libattn.so cannot read ONNX files (Debian's protobuf-lite cannot be linked into a "
              "shared library without clashing with sentencepiece's); use the attn command or link libattn.a");
}

}  // namespace

std::shared_ptr<const interpreter::ModelIR> read_onnx_model(const std::filesystem::path& path) { unavailable(path); }

interpreter::Array read_onnx_tensor(const std::filesystem::path& path) { unavailable(path); }

}  // namespace attn
