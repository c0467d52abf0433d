// UnwinderMemoryProbe: libunwind's check that an address is readable, done without a descriptor.
//
// libunwind (x86-64, 1.6 and later) checks memory before it reads a frame it has no unwind table
// for by writing one byte of it into a pipe that it opens once and keeps (its "mem_validate_pipe"),
// and draining the pipe with a one-byte read. A host that closes every descriptor (a daemon does)
// and opens files of its own gets those numbers; libunwind then reads a byte of the host's file
// or socket, writes a byte of memory into another, or closes the host's descriptor when its read
// fails. The preload's unwinding runs inside the host's malloc, so that is the preload corrupting
// the host's data.
//
// So libunwind's own calls of pipe2, read, write, close and syscall (its GOT slots, nothing else
// in the process) are bound to functions here: pipe2 hands out two numbers that are never valid
// descriptors, and the probe write on them asks the kernel to read the address without any
// descriptor (rt_sigprocmask with an invalid `how` copies the mask from the address first: EFAULT
// when unreadable, EINVAL and nothing changed otherwise). Every other call goes to the C library.
//
// Called once, from InitUnwinder, before libunwind's first use opens the pipe. If the host itself
// used libunwind before the preload started, the pipe it opened stays as it was.
#pragma once

namespace clwleak {

// Rebinds libunwind's calls as above. False when libunwind's object or a slot could not be
// changed (then its pipe is used as before).
bool RedirectUnwinderDescriptorCalls();

}  // namespace clwleak
