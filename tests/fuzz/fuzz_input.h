// FuzzInput: reads choices and strings from a fuzz input, front to back.
// Reading past the end yields zeros and empty strings, so a target never
// needs to check the length, and a short input still means something.
#ifndef ORB_TESTS_FUZZ_FUZZ_INPUT_H_
#define ORB_TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace orb::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  size_t remaining() const { return empty() ? 0 : size_ - pos_; }

  uint8_t Byte() { return empty() ? 0 : data_[pos_++]; }
  bool Bool() { return (Byte() & 1) != 0; }
  // A number in [0, n); 0 when n is 0.
  size_t Below(size_t n) {
    if (n == 0) return 0;
    const uint32_t v = static_cast<uint32_t>(Byte()) | (static_cast<uint32_t>(Byte()) << 8);
    return v % n;
  }
  template <typename T>
  const T& Pick(const std::vector<T>& choices) {
    return choices[Below(choices.size())];
  }
  // A string of up to `max` bytes: a length byte, then that many bytes.
  std::string Bytes(size_t max) {
    size_t n = Byte();
    if (n > max) n = max;
    if (n > remaining()) n = remaining();
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  // Everything not read yet.
  std::string Rest() {
    std::string out = empty() ? std::string()
                              : std::string(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_);
    pos_ = size_;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Reports a finding and aborts, so that libFuzzer (or the replay test)
// records the input.
[[noreturn]] inline void Finding(const std::string& what) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace orb::fuzz

#endif  // ORB_TESTS_FUZZ_FUZZ_INPUT_H_
