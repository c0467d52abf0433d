#!/usr/bin/env python3
"""Runs a command with its standard output or its standard error on a pseudo-terminal, the other
one redirected to a file, and saves what each received, byte for byte. Used by terminal_test.cc to
prove that clw-leak-analyze colours and draws progress on a terminal and never elsewhere.

usage: pty_run.py {stdout|stderr} OUT_FILE ERR_FILE -- COMMAND...
The terminal is in raw mode (no newline translation) and 100 columns wide."""
import fcntl
import os
import struct
import subprocess
import sys
import termios
import tty


def main():
    if len(sys.argv) < 6 or sys.argv[1] not in ("stdout", "stderr") or sys.argv[4] != "--":
        sys.exit(__doc__)
    which, out_path, err_path, command = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5:]
    master, slave = os.openpty()
    tty.setraw(slave)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    with open(out_path if which == "stderr" else err_path, "wb") as redirected:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=slave if which == "stdout" else redirected,
            stderr=slave if which == "stderr" else redirected,
        )
        os.close(slave)
        received = bytearray()
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every end of the terminal is closed
                break
            if not chunk:
                break
            received += chunk
        code = child.wait()
    with open(out_path if which == "stdout" else err_path, "wb") as captured:
        captured.write(received)
    sys.exit(code)


if __name__ == "__main__":
    main()
