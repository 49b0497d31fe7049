"""Lock-heavy threaded Python: 4 threads, each 100k rounds of taking a
shared threading.Lock and, inside it, its own lock (a recorded nested
order), updating counters.  The worst case for lockhound: every round is
two acquisitions, each with the GIL held, so each pays a Python frame walk.
Prints one deterministic line."""
import sys
import threading

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 4
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
shared = threading.Lock()
counts = [0] * THREADS
total = 0


def work(i):
    global total
    mine = threading.Lock()
    for _ in range(ROUNDS // THREADS):
        with shared:
            with mine:
                counts[i] += 1
                total += 1


ts = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("locks total=%d per-thread=%s" % (total, counts))
