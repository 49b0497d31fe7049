# lockhound-expect: clean
"""The rest of threading and concurrent.futures used correctly, with the
interpreter's own locking busy under them: Event, Timer, Barrier,
Semaphore, BoundedSemaphore, Condition.wait_for with a timeout, a
ThreadPoolExecutor and its futures (as_completed, wait, callbacks), threads
that import modules at the same time (the import locks), allocate and
collect garbage (the allocator, the GIL handed back and forth).  Every
threading primitive here is built on semaphores that are locks, locks
handed from one thread to another (Condition's waiter locks), and
counting ones: none of it is a finding."""
import concurrent.futures
import gc
import importlib
import threading

started = threading.Event()
fired = threading.Event()
barrier = threading.Barrier(4)
gate = threading.Semaphore(2)
pool_slots = threading.BoundedSemaphore(3)
cond = threading.Condition()
state = {"rounds": 0}


def worker(n):
    started.wait()
    for _ in range(3):
        barrier.wait()
        with gate:
            with cond:
                state["rounds"] += 1
                cond.notify_all()
    importlib.import_module(["json", "decimal", "fractions", "statistics"][n])
    junk = [[i] * 10 for i in range(2000)]
    del junk
    gc.collect()


def task(x):
    with pool_slots:
        return x * x


def main():
    timer = threading.Timer(0.05, fired.set)
    timer.start()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    started.set()
    with cond:
        if not cond.wait_for(lambda: state["rounds"] == 12, timeout=30):
            raise SystemExit("rounds not done")
    for t in threads:
        t.join()
    if not fired.wait(10):
        raise SystemExit("timer did not fire")
    timer.join()
    done = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as ex:
        futures = [ex.submit(task, i) for i in range(60)]
        for f in futures[:5]:
            f.add_done_callback(lambda f: done.append(f.result()))
        total = sum(f.result() for f in concurrent.futures.as_completed(futures))
        concurrent.futures.wait(futures)
    if total != sum(i * i for i in range(60)) or len(done) != 5:
        raise SystemExit("wrong results")


main()
