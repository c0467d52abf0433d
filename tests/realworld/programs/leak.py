# Leaks LEAK_BYTES (a bytes object's payload) into a global list per request, REQUESTS times, and
# counts requests in the file named by CLWLEAK_REQUEST_COUNTER_FILE (atomic rename, so the preload
# never reads a half-written count). Prints its own truth: bytes of payload leaked per request.
import os
import sys
import time

requests = int(sys.argv[1])
payload = int(sys.argv[2])
linger = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0  # seconds: lets a last interval snapshot see it all
counter = os.environ.get("CLWLEAK_REQUEST_COUNTER_FILE")
kept = []
churn = 0
for request in range(1, requests + 1):
    scratch = [bytearray(256) for _ in range(20)]  # freed at once: churn, not a leak
    churn += len(scratch)
    kept.append(bytes(payload))  # the leak
    if counter and request % 25 == 0:
        with open(counter + ".tmp", "w") as f:
            f.write(str(request))
        os.replace(counter + ".tmp", counter)
        time.sleep(0.004)  # paced like a service, so that the profiler takes a series of snapshots
print(f"requests={requests} leak_payload_bytes_per_request={payload} kept={len(kept)} churn={churn}",
      flush=True)
time.sleep(linger)
# A normal exit: Py_Finalize frees the leaked list, and interval snapshots taken during the
# teardown show it "freed". The analyzer leaves out snapshots that saw no new request, so the
# leak is still measured from the requests.
