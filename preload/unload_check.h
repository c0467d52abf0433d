// UnloadCheck: whether a dlclose must first have the stacks captured so far symbolized.
//
// dlclose may unmap an object and, with it, the symbols of every frame inside it, so runtime.cc
// asks the writer to symbolize every stack not yet symbolized before the real dlclose runs: a round
// trip to the writer thread, which beside threads that allocate (2 cores) halved the rate of a
// plugin host's dlopen/dlclose loop. Only objects that dlopen loaded can ever be unmapped; those
// loaded at start-up (the program, LD_PRELOAD, their DT_NEEDED closure, ld.so, the vDSO) stay
// until exit. So the extents of the objects listed when the capture starts are kept (that is
// inside the process's first allocation that reaches the sampled path, before a dlopen can have
// listed an object: dlopen allocates its link_map before listing it), and a dlclose needs the
// symbolization only when a stack interned since the last check has a frame outside all of them.
// With more start-up objects than the table holds, every dlclose asks, as before.
//
// Thread-safety: NoteStartupObjects once, at start-up, allocation-free; the others from any
// thread (dlclose), allocation-free; concurrent checks may scan the same stacks twice, no more.
#pragma once

#include <cstdint>

#include "stack_table.h"

namespace clwleak {

// Keeps the extents of the objects loaded now (inside StartCapture).
void NoteStartupObjects();

// Whether an address lies in an object noted at start-up (false when none were noted).
bool InStartupObject(uintptr_t address);

// Scans the stacks of `stacks` interned since the last check, up to *count (set here to the
// table's id count): true when one of them may have a frame in an object a dlclose could unmap
// (or is still being interned), so the caller must have them symbolized and then call
// NoteStacksSymbolized(*count); false when the check moved past them all.
bool StacksNeedSymbolsBeforeUnload(const StackTable& stacks, uint32_t* count);

// Every stack below `count` has been symbolized.
void NoteStacksSymbolized(uint32_t count);

}  // namespace clwleak
