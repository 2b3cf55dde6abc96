// A read-only memory mapping of a whole file. Weights are views into it, so
// the page cache holds the only copy and processes share it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>

namespace attn {

class MappedFile {
 public:
  // Throws attn::Error naming the path when it cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  MappedFile(std::filesystem::path path, const std::byte* data, size_t size);
  std::filesystem::path path_;
  const std::byte* data_;
  size_t size_;
};

// Hands the whole pages of [data, data + bytes) back to the kernel, for
// memory that is no longer read (MADV_PAGEOUT). Their contents stay as they
// were: a mapped file's pages are read back on the next touch, anonymous
// memory's come back from swap (or stays resident without swap), so this
// is safe on any memory. Best effort: kernels before Linux 5.4 ignore it.
void release_pages(const void* data, size_t bytes);

}  // namespace attn
