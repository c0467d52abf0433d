# Builds and drops big dicts and lists from four threads; prints a checksum that does not depend on
# timing, so a run under the preload must print exactly what a bare run prints.
import threading

def work(seed, out, index):
    total = 0
    for round_ in range(40):
        table = {f"k{seed}-{i}": [i] * (i % 7 + 1) for i in range(5000)}
        rows = [str(i * seed) * 3 for i in range(5000)]
        total += sum(len(v) for v in table.values()) + sum(map(len, rows)) + round_
        del table, rows
    out[index] = total

results = [0] * 4
threads = [threading.Thread(target=work, args=(s + 1, results, s)) for s in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("checksums", results)
print("total", sum(results))
