# A host for the fault tests: allocates and frees for ITERATIONS x 20 ms, keeps a little of it, and
# prints a result that does not depend on timing. Writes no file itself (a file-size limit or a
# full disk must only ever hit the profiler's output).
import sys
import time

iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 100
kept = []
total = 0
for i in range(iterations):
    block = {f"k{i}-{j}": bytearray(64 + j % 512) for j in range(300)}
    total += sum(len(v) for v in block.values())
    if i % 10 == 0:
        kept.append(bytes(4096 + i))
    time.sleep(0.02)
print(f"steady iterations={iterations} total={total} kept={len(kept)}")
