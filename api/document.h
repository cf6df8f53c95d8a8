// api/document.h
//
// Reading user documents: YAML (one or more `---`-separated documents) or JSON → JSON text, and JSON →
// YAML for printing. Untrusted input is bounded: size (kMaxDocumentBytes), nesting depth
// (kMaxNestingDepth) and node count after alias expansion (kMaxNodes); any violation, and any syntax
// error, is a one-line kInvalidArgument, never a crash. Strings must be valid UTF-8 (as JSON, and so
// Kubernetes, requires): a YAML scalar that is not is refused with its line and column.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace phalanx::api {

inline constexpr size_t kMaxDocumentBytes = 32u << 20;
inline constexpr int kMaxNestingDepth = 100;
inline constexpr size_t kMaxNodes = 2'000'000;

// Each non-empty document of `text` as compact JSON. JSON input (first non-blank character `{` or `[`)
// is parsed as JSON; anything else as YAML 1.2 (core schema: plain `true`, `12`, `null` resolve to
// bool, number, null; quoted scalars are strings).
absl::StatusOr<std::vector<std::string>> ParseDocuments(std::string_view text);

// Exactly one document: kInvalidArgument when there are none or several.
absl::StatusOr<std::string> ParseSingleDocument(std::string_view text);

// Block-style YAML for JSON text; strings that would read back as another type are quoted.
absl::StatusOr<std::string> JsonToYaml(std::string_view json);

// Pretty JSON (2-space indent) for JSON text.
absl::StatusOr<std::string> PrettyJson(std::string_view json);

}  // namespace phalanx::api
