# lockhound-expect: clean
"""A pool of 3 slots (threading.BoundedSemaphore) shared by the tasks of a
ThreadPoolExecutor with 6 workers; each task also updates a counter under a
lock while it holds a slot.  A counting semaphore is no lock: no finding."""
import concurrent.futures
import threading

slots = threading.BoundedSemaphore(3)
counter_lock = threading.Lock()
counter = 0


def task(i):
    global counter
    with slots:
        with counter_lock:
            counter += i
    return i


with concurrent.futures.ThreadPoolExecutor(max_workers=6) as ex:
    results = list(ex.map(task, range(60)))
assert counter == sum(range(60)), counter
