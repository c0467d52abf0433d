// A JVM under the preload: 8 threads build maps, lists and strings, the results are joined and
// printed (deterministic); the heap it reserves at start-up is address space, not memory in use.
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

public class Workload {
  public static void main(String[] args) throws Exception {
    final int threads = 8;
    final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
    final Map<Integer, Long> results = new ConcurrentHashMap<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; ++t) {
      final int id = t;
      Thread worker = new Thread(() -> {
        long checksum = 0;
        Map<String, Integer> map = new HashMap<>();
        for (int i = 0; i < rounds; ++i) {
          String key = "key-" + id + "-" + (i % 997);
          map.merge(key, i, Integer::sum);
          StringBuilder text = new StringBuilder();
          for (int j = 0; j < 8; ++j) text.append(i * j % 31).append(',');
          checksum += text.toString().hashCode() & 0xffff;
        }
        for (int value : map.values()) checksum += value;
        results.put(id, checksum);
      });
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) worker.join();
    System.gc();
    long total = 0;
    for (long value : results.values()) total += value;
    System.out.println("threads " + results.size() + " total " + total);
  }
}
