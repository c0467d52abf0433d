// payload.h — the JSON-ish task document clw-worker receives, and its parser.
//
// BuildPayload stands in for the bytes that arrive from the dispatcher: a JSON object with an id, a
// key, nested attributes, a tag array and a text body, about `target_bytes` long. ParsePayload is a
// small, strict JSON parser that flattens the document into path → value pairs ("attrs.tenant",
// "tags[1]", "body"), the shape the handler works with. Both are pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "task.h"

namespace clw_worker {

// Flattened document: object members joined with '.', array elements as "[i]". Strings are
// unescaped; numbers, true, false and null keep their literal text.
using PayloadFields = std::map<std::string, std::string>;

std::string BuildPayload(const Task& task, std::size_t target_bytes);

// Returns false and sets *error (with the byte offset) when `text` is not one well-formed object.
bool ParsePayload(std::string_view text, PayloadFields* fields, std::string* error);

}  // namespace clw_worker
