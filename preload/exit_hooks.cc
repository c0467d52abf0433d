// The exported immediate exits: _exit, _Exit, and syscall() of SYS_exit_group. They end the process
// without running destructors, so the final snapshot that runtime.cc's destructor writes at a
// normal exit would be lost (a short-lived process would leave a file with a header and nothing
// else). Each writes it first (FinishBeforeImmediateExit: not in a vfork child, not in a signal
// handler), then forwards.
//
// What cannot be seen: an exit_group or exit system call made without glibc's syscall() (inline
// assembly, a statically linked helper, Go's runtime), glibc's own internal calls of _exit (after
// exit() has run our destructor anyway, or in posix_spawn's child), death by a signal (SIGKILL
// from the OOM killer, abort()): there the file ends with the last interval snapshot.
//
// syscall() is forwarded by a few instructions of assembly that compare the number and jump, so
// every other system call is exactly the call the program made (clone and vfork return twice; no
// frame of ours may be on the stack then). This file is compiled without link-time optimization:
// its assembly calls the hook by name.
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base.h"
#include "capture.h"
#include "real_functions.h"

#if defined(__x86_64__)

namespace {

[[noreturn]] void ForwardExit(int status) {
  if (clwleak::EnsureLoaderFunctions()) clwleak::g_loader.exit(status);
  __builtin_trap();  // no _exit after us: impossible with a dynamic libc
}

}  // namespace

extern "C" {

// The next syscall(), once found; read by the assembly stub.
__attribute__((visibility("hidden"), used)) void* clwleak_next_syscall = nullptr;

// Called by the stub for SYS_exit_group, or while the next syscall() is not yet known. Returns it.
__attribute__((visibility("hidden"), used)) void* clwleak_syscall_hook(long number) {
  if (number == SYS_exit_group) clwleak::FinishBeforeImmediateExit();
  if (!clwleak::EnsureLoaderFunctions()) __builtin_trap();  // no syscall() after us: impossible
  void* next = reinterpret_cast<void*>(clwleak::g_loader.syscall);
  __atomic_store_n(&clwleak_next_syscall, next, __ATOMIC_RELEASE);
  return next;
}

CLWLEAK_EXPORT void _exit(int status) {
  clwleak::FinishBeforeImmediateExit();
  ForwardExit(status);
}

CLWLEAK_EXPORT void _Exit(int status) noexcept {
  clwleak::FinishBeforeImmediateExit();
  ForwardExit(status);
}

}  // extern "C"

// syscall(number, ...): the number is in %rdi, up to six arguments in %rsi, %rdx, %rcx, %r8, %r9
// and 8(%rsp). Only SYS_exit_group (or the first call) goes through the hook, with every argument
// register saved around it; the stack is as it was on entry when the stub jumps.
// clang-format off
asm(".text\n"
    ".globl syscall\n"
    ".type syscall, @function\n"
    "syscall:\n"
    "  .cfi_startproc\n"
    "  cmpq $" CLWLEAK_STRINGIFY(SYS_exit_group) ", %rdi\n"
    "  je 1f\n"
    "  movq clwleak_next_syscall(%rip), %r11\n"
    "  testq %r11, %r11\n"
    "  jz 1f\n"
    "  jmp *%r11\n"
    "1:\n"
    "  pushq %rdi\n  .cfi_adjust_cfa_offset 8\n"
    "  pushq %rsi\n  .cfi_adjust_cfa_offset 8\n"
    "  pushq %rdx\n  .cfi_adjust_cfa_offset 8\n"
    "  pushq %rcx\n  .cfi_adjust_cfa_offset 8\n"
    "  pushq %r8\n  .cfi_adjust_cfa_offset 8\n"
    "  pushq %r9\n  .cfi_adjust_cfa_offset 8\n"
    "  subq $8, %rsp\n  .cfi_adjust_cfa_offset 8\n"
    "  call clwleak_syscall_hook\n"
    "  movq %rax, %r11\n"
    "  addq $8, %rsp\n  .cfi_adjust_cfa_offset -8\n"
    "  popq %r9\n  .cfi_adjust_cfa_offset -8\n"
    "  popq %r8\n  .cfi_adjust_cfa_offset -8\n"
    "  popq %rcx\n  .cfi_adjust_cfa_offset -8\n"
    "  popq %rdx\n  .cfi_adjust_cfa_offset -8\n"
    "  popq %rsi\n  .cfi_adjust_cfa_offset -8\n"
    "  popq %rdi\n  .cfi_adjust_cfa_offset -8\n"
    "  jmp *%r11\n"
    "  .cfi_endproc\n"
    ".size syscall, .-syscall\n");
// clang-format on

#endif  // __x86_64__
