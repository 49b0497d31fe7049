# lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true py_functions=transfer_ab,transfer_ba
"""ABBA with threading.Lock: one thread takes a then b, another b then a.
Both threads live until both are done, but the second takes its locks only
after the first has released its own, so the program never hangs; lockhound
must still see the two orders and name both Python functions."""
import threading

a = threading.Lock()
b = threading.Lock()
first_done = threading.Event()
both_done = threading.Barrier(2)


def transfer_ab():
    with a:
        with b:
            pass
    first_done.set()
    both_done.wait()


def transfer_ba():
    first_done.wait()
    with b:
        with a:
            pass
    both_done.wait()


threads = [threading.Thread(target=f) for f in (transfer_ab, transfer_ba)]
for t in threads:
    t.start()
for t in threads:
    t.join()
