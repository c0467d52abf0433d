// Output path templates and safe creation (preload/output_file.h).
#include "output_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clwleak {
namespace {

TEST(OutputFile, TemplateDirectives) {
  EXPECT_EQ(ExpandOutputTemplate("clwleak.%e.%p.pb", 42, "clw-worker", "host1", 1700000000),
            "clwleak.clw-worker.42.pb");
  EXPECT_EQ(ExpandOutputTemplate("/d/%h-%t-%%-%q%", 1, "x", "h", 17), "/d/h-17-%-%q%");
}

TEST(OutputFile, TakenNamesGetASuffixAndFilesArePrivate) {
  char directory[] = "/tmp/clwleak-output-XXXXXX";
  ASSERT_NE(mkdtemp(directory), nullptr);
  const std::string path = std::string(directory) + "/f.pb";
  std::string first, second;
  int a = CreateOutputFile(path, &first);
  int b = CreateOutputFile(path, &second);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  EXPECT_EQ(first, path);
  EXPECT_EQ(second, path + ".1");
  struct stat info;
  ASSERT_EQ(fstat(a, &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  close(a);
  close(b);
}

}  // namespace
}  // namespace clwleak
