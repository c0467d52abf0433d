// Attribution helpers (analyzer/lib/attribution.h): which modules are the runtime, and which
// demangled names are standard-library templates that a site is not named after.
#include "attribution.h"

#include <gtest/gtest.h>

namespace clwleak::analysis {
namespace {

TEST(Attribution, RuntimeModules) {
  EXPECT_TRUE(IsRuntimeModule("/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_TRUE(IsRuntimeModule("/usr/lib/x86_64-linux-gnu/libstdc++.so.6"));
  EXPECT_TRUE(IsRuntimeModule("/lib64/ld-linux-x86-64.so.2"));
  EXPECT_TRUE(IsRuntimeModule("/opt/clwleak/lib/libclwleak.so"));
  EXPECT_FALSE(IsRuntimeModule("/srv/worker/lib/libclient.so"));
  EXPECT_FALSE(IsRuntimeModule("/srv/worker/bin/clw-worker"));
}

TEST(Attribution, StandardLibraryFunctionsWhateverTheirReturnType) {
  EXPECT_TRUE(IsStandardLibraryFunction(
      "void std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::"
      "_M_construct<char const*>(char const*, char const*, std::forward_iterator_tag) [clone .isra.0]"));
  EXPECT_TRUE(IsStandardLibraryFunction("std::vector<int, std::allocator<int> >::_M_realloc_insert"));
  EXPECT_TRUE(IsStandardLibraryFunction("__gnu_cxx::new_allocator<char>::allocate(unsigned long, void const*)"));
  EXPECT_TRUE(IsStandardLibraryFunction("operator new(unsigned long)"));
  EXPECT_FALSE(IsStandardLibraryFunction(
      "clw_worker::LruCache::Put(std::basic_string_view<char, std::char_traits<char> >)"));
  EXPECT_FALSE(IsStandardLibraryFunction("std_like_but_not::f()"));
  EXPECT_FALSE(IsStandardLibraryFunction("client_session_cache_response"));
  EXPECT_FALSE(IsStandardLibraryFunction(""));
}

}  // namespace
}  // namespace clwleak::analysis
