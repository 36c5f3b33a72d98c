// clang 14 (our fuzz and libFuzzer builds) cannot compile libstdc++ 12's <expected> (it needs
// P0848 conditionally trivial special members), so when the library provides no
// std::expected this header supplies the small part of std::expected / std::unexpected the
// project uses. g++ builds have __cpp_lib_expected and never compile the fallback. Remove
// once the fuzz toolchain is clang >= 16.
#pragma once

#include <expected>

#if !defined(__cpp_lib_expected)
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace std {

template <class E>
class unexpected {
 public:
  explicit unexpected(E e) : error_(std::move(e)) {}
  const E& error() const& { return error_; }
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};
template <class E>
unexpected(E) -> unexpected<E>;

template <class T, class E>
class expected {
 public:
  template <class U = T>
  requires std::is_constructible_v<T, U&&> expected(U&& v)
      : v_(std::in_place_index<0>, std::forward<U>(v)) {}
  template <class G>
  expected(unexpected<G> u) : v_(std::in_place_index<1>, std::move(u).error()) {}
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  const E& error() const& { return std::get<1>(v_); }
  E& error() & { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

template <class E>
class expected<void, E> {
 public:
  expected() = default;
  template <class G>
  expected(unexpected<G> u) : error_(std::in_place, std::move(u).error()) {}
  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const E& error() const& { return *error_; }

 private:
  std::optional<E> error_;
};

}  // namespace std
#endif
