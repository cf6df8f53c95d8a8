// common/status_macros.h
//
// PHALANX_RETURN_IF_ERROR and PHALANX_ASSIGN_OR_RETURN: early return on a non-OK absl::Status or
// absl::StatusOr. Abseil 20220623 ships neither macro, so the project keeps its own.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PHALANX_STATUS_CONCAT_INNER(a, b) a##b
#define PHALANX_STATUS_CONCAT(a, b) PHALANX_STATUS_CONCAT_INNER(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if not OK.
#define PHALANX_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status phalanx_status_ = (expr);           \
    if (!phalanx_status_.ok()) return phalanx_status_; \
  } while (0)

// `lhs` = value of `expr` (an absl::StatusOr<T>), or returns its status from the enclosing function.
#define PHALANX_ASSIGN_OR_RETURN(lhs, expr) \
  PHALANX_ASSIGN_OR_RETURN_IMPL(PHALANX_STATUS_CONCAT(phalanx_statusor_, __LINE__), lhs, expr)

#define PHALANX_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()
