// A byte buffer for socket input: readable bytes sit in [begin, end) of one heap block that is
// allocated on first use and can be released when empty, so idle keep-alive connections cost
// no buffer memory. Unlike std::string it never zero-fills the space it reads into.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace x0::net {

class Buffer {
 public:
  static constexpr size_t kDefaultBlock = 16 * 1024;

  const char* data() const { return block_.get() + begin_; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return end_ == begin_; }
  std::string_view view() const { return {data(), size()}; }

  // Space for at least `min_free` more bytes at the tail; moves data to the front or grows.
  char* prepare(size_t min_free) {
    if (!block_) {
      capacity_ = min_free > kDefaultBlock ? min_free : kDefaultBlock;
      block_ = capacity_ == kDefaultBlock ? take_block()
                                          : std::make_unique_for_overwrite<char[]>(capacity_);
    }
    if (capacity_ - end_ < min_free) {
      size_t used = size();
      if (begin_ > 0 && capacity_ - used >= min_free) {
        std::memmove(block_.get(), data(), used);
      } else {
        size_t grown = capacity_ * 2;
        while (grown - used < min_free) grown *= 2;
        auto bigger = std::make_unique_for_overwrite<char[]>(grown);
        std::memcpy(bigger.get(), data(), used);
        block_ = std::move(bigger);
        capacity_ = grown;
      }
      begin_ = 0;
      end_ = used;
    }
    return block_.get() + end_;
  }
  size_t free_space() const { return capacity_ - end_; }
  void commit(size_t n) { end_ += n; }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void append(std::string_view bytes) {
    std::memcpy(prepare(bytes.size()), bytes.data(), bytes.size());
    commit(bytes.size());
  }
  // Frees the block when nothing is buffered (idle connections).
  void release_if_empty() {
    if (empty() && block_) {
      if (capacity_ == kDefaultBlock) give_block(std::move(block_));
      block_.reset();
      capacity_ = begin_ = end_ = 0;
    }
  }

 private:
  // Default-size blocks are recycled per thread: a connection releases its block after every
  // response (idle connections then hold none) without a malloc/free pair per request.
  static constexpr size_t kMaxSpareBlocks = 256;
  static std::vector<std::unique_ptr<char[]>>& spare_blocks() {
    thread_local std::vector<std::unique_ptr<char[]>> spare;
    return spare;
  }
  static std::unique_ptr<char[]> take_block() {
    auto& spare = spare_blocks();
    if (spare.empty()) return std::make_unique_for_overwrite<char[]>(kDefaultBlock);
    std::unique_ptr<char[]> block = std::move(spare.back());
    spare.pop_back();
    return block;
  }
  static void give_block(std::unique_ptr<char[]> block) {
    auto& spare = spare_blocks();
    if (spare.size() < kMaxSpareBlocks) spare.push_back(std::move(block));
  }

  std::unique_ptr<char[]> block_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace x0::net
