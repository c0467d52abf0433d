// Resolving a dlopen name as its caller would; see dlopen_path.h.
#include "dlopen_path.h"

#include <ctype.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "real_functions.h"
#include "thread_state.h"

namespace clwleak {
namespace {

// The object whose code is at `address`; glibc takes the main program when there is none (JIT
// code).
link_map* ObjectAt(const void* address) {
  Dl_info info;
  link_map* object = nullptr;
  if (dladdr1(address, &info, reinterpret_cast<void**>(&object), RTLD_DL_LINKMAP) != 0 &&
      object != nullptr) {
    return object;
  }
  return _r_debug.r_map;
}

bool Append(char (&buffer)[kCallerPathCapacity], size_t* used, const char* text, size_t length) {
  if (*used + length >= kCallerPathCapacity) return false;
  memcpy(buffer + *used, text, length);
  *used += length;
  buffer[*used] = '\0';
  return true;
}

// `file` with each $ORIGIN / ${ORIGIN} replaced by the caller's directory; `file` when it has none
// or the result does not fit.
const char* ExpandOrigin(const char* file, const void* caller,
                         char (&buffer)[kCallerPathCapacity]) {
  if (strstr(file, "$ORIGIN") == nullptr && strstr(file, "${ORIGIN}") == nullptr) return file;
  char origin[kCallerPathCapacity];
  if (dlinfo(ObjectAt(caller), RTLD_DI_ORIGIN, origin) != 0) return file;
  size_t used = 0;
  for (const char* c = file; *c != '\0';) {
    size_t token = 0;
    if (strncmp(c, "${ORIGIN}", 9) == 0) {
      token = 9;
    } else if (strncmp(c, "$ORIGIN", 7) == 0 && !(c[7] == '_' || isalnum(c[7]))) {
      token = 7;
    }
    const bool fits =
        token != 0 ? Append(buffer, &used, origin, strlen(origin)) : Append(buffer, &used, c, 1);
    if (!fits) return file;
    c += token != 0 ? token : 1;
  }
  return buffer;
}

// dlinfo's search list for `object`, malloc'ed (free() it), or null.
Dl_serinfo* SearchList(link_map* object) {
  Dl_serinfo size;
  if (dlinfo(object, RTLD_DI_SERINFOSIZE, &size) != 0) return nullptr;
  auto* list = static_cast<Dl_serinfo*>(malloc(size.dls_size));
  if (list == nullptr) return nullptr;
  list->dls_size = size.dls_size;
  list->dls_cnt = size.dls_cnt;
  if (dlinfo(object, RTLD_DI_SERINFO, list) != 0) {
    free(list);
    return nullptr;
  }
  return list;
}

// What glibc's open_verify accepts: an ELF file of this machine's class and architecture.
bool IsLoadableElf(const char* path) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ElfW(Ehdr) header;
  const bool whole = read(fd, &header, sizeof(header)) == static_cast<ssize_t>(sizeof(header));
  close(fd);
  return whole && memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 &&
         header.e_ident[EI_CLASS] == ELFCLASS64 && header.e_machine == EM_X86_64;
}

const char* SearchLikeCaller(const char* file, const void* caller,
                             char (&buffer)[kCallerPathCapacity]) {
  // Loaded already under this name: dlopen finds it by name before any search.
  void* loaded = g_loader.dlopen(file, RTLD_LAZY | RTLD_NOLOAD);
  if (loaded != nullptr) {
    g_real.dlclose(loaded);
    return file;
  }
  Dl_serinfo* theirs = SearchList(ObjectAt(caller));
  Dl_serinfo* ours = SearchList(ObjectAt(reinterpret_cast<const void*>(&SearchLikeCaller)));
  const char* found = file;
  if (theirs != nullptr && ours != nullptr) {
    unsigned shared = 0;  // trailing directories both lists end with
    while (shared < theirs->dls_cnt && shared < ours->dls_cnt &&
           strcmp(theirs->dls_serpath[theirs->dls_cnt - 1 - shared].dls_name,
                  ours->dls_serpath[ours->dls_cnt - 1 - shared].dls_name) == 0) {
      ++shared;
    }
    for (unsigned i = 0; i + shared < theirs->dls_cnt && found == file; ++i) {
      const char* directory = theirs->dls_serpath[i].dls_name;
      size_t used = 0;
      if (Append(buffer, &used, directory, strlen(directory)) && Append(buffer, &used, "/", 1) &&
          Append(buffer, &used, file, strlen(file)) && IsLoadableElf(buffer)) {
        found = buffer;
      }
    }
  }
  free(theirs);
  free(ours);
  return found;
}

}  // namespace

const char* PathForCaller(const char* file, const void* caller,
                          char (&buffer)[kCallerPathCapacity]) {
  BusyScope busy;  // dlinfo's lists are the preload's own allocations
  if (strchr(file, '/') != nullptr) return ExpandOrigin(file, caller, buffer);
  return SearchLikeCaller(file, caller, buffer);
}

}  // namespace clwleak
