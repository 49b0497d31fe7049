"""A threaded Python service in miniature: a ThreadPoolExecutor of 4
workers handles 4000 requests; each request parses a small JSON document,
does some arithmetic, looks a key up in a cache guarded by a lock, and
hands its result to a logger thread through a queue.Queue.  Locks are a
small part of the work, as in most programs.  Prints one deterministic
line."""
import concurrent.futures
import json
import queue
import sys
import threading

REQUESTS = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
cache = {}
cache_lock = threading.Lock()
log_q = queue.Queue(maxsize=64)
logged = [0, 0]


def logger():
    while True:
        item = log_q.get()
        if item is None:
            return
        logged[0] += 1
        logged[1] = (logged[1] + item) % 1000003


def handle(i):
    doc = json.loads('{"id": %d, "values": [%s]}' % (i, ",".join(str(i * k % 97) for k in range(40))))
    acc = 0
    for v in doc["values"]:
        acc = (acc * 31 + v * v) % 1000003
    key = i % 256
    with cache_lock:
        hit = cache.get(key)
        if hit is None:
            cache[key] = acc
    log_q.put(acc)
    return acc


lt = threading.Thread(target=logger)
lt.start()
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
    s = sum(ex.map(handle, range(REQUESTS))) % 1000003
log_q.put(None)
lt.join()
print("service sum=%d logged=%d check=%d cache=%d" % (s, logged[0], logged[1], len(cache)))
