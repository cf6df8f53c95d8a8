// tests/testing/status_matchers.h
//
// EXPECT_OK / ASSERT_OK / ASSERT_OK_AND_ASSIGN and the StatusIs(code) matcher: neither gtest 1.12 nor
// Abseil 20220623 ships them.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace phalanx::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER_P(StatusIs, code, "") {
  const absl::Status& s = ::phalanx::testing::GetStatus(arg);
  if (s.code() == code) return true;
  *result_listener << "status is " << s;
  return false;
}

}  // namespace phalanx::testing

#define EXPECT_OK(expr) EXPECT_TRUE(::phalanx::testing::GetStatus(expr).ok()) << ::phalanx::testing::GetStatus(expr)
#define ASSERT_OK(expr) ASSERT_TRUE(::phalanx::testing::GetStatus(expr).ok()) << ::phalanx::testing::GetStatus(expr)

#define PHALANX_TESTING_CONCAT_INNER(a, b) a##b
#define PHALANX_TESTING_CONCAT(a, b) PHALANX_TESTING_CONCAT_INNER(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(PHALANX_TESTING_CONCAT(statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  ASSERT_TRUE(tmp.ok()) << tmp.status();          \
  lhs = std::move(tmp).value()
