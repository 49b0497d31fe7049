# lockhound-expect: clean
"""queue.Queue producer/consumer: two producers put numbered items, two
consumers take them until they see a sentinel each, and each consumer adds
up what it got under a lock.  No finding."""
import queue
import threading

q = queue.Queue(maxsize=4)
total_lock = threading.Lock()
total = 0


def producer(base):
    for i in range(50):
        q.put(base + i)


def consumer():
    global total
    while True:
        x = q.get()
        if x is None:
            q.task_done()
            return
        with total_lock:
            total += x
        q.task_done()


cons = [threading.Thread(target=consumer) for _ in range(2)]
prods = [threading.Thread(target=producer, args=(b,)) for b in (0, 1000)]
for t in cons + prods:
    t.start()
for t in prods:
    t.join()
for _ in cons:
    q.put(None)
for t in cons:
    t.join()
assert total == sum(range(50)) + sum(range(1000, 1050)), total
