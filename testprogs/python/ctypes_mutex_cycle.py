# lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true py_functions=transfer_ab,transfer_ba,lock py_every_stack=true
"""ABBA on two pthread mutexes taken from Python through ctypes, with the
GIL held (ctypes.PyDLL keeps it across the call; dlopen(NULL) finds the
interposed pthread_mutex_lock).  Each stack carries the Python frames of
the call: lock(), called from transfer_ab or transfer_ba.  Both threads
live until both are done, but the second takes its locks only after the
first has released its own, so the program never hangs."""
import ctypes
import threading

libc = ctypes.PyDLL(None)
MUTEX_BYTES = 64  # >= sizeof(pthread_mutex_t) on every Linux target
a = ctypes.create_string_buffer(MUTEX_BYTES)
b = ctypes.create_string_buffer(MUTEX_BYTES)
for m in (a, b):
    if libc.pthread_mutex_init(m, None) != 0:
        raise SystemExit("pthread_mutex_init failed")


def lock(m):
    libc.pthread_mutex_lock(m)


def unlock(m):
    libc.pthread_mutex_unlock(m)


first_done = threading.Event()
both_done = threading.Barrier(2)


def touch(m):
    # taken alone once: the next acquisition of m takes the shim's fast
    # path, whose held entry must keep its Python frames too
    lock(m)
    unlock(m)


def transfer_ab():
    touch(a)
    lock(a)
    lock(b)
    unlock(b)
    unlock(a)
    first_done.set()
    both_done.wait()


def transfer_ba():
    first_done.wait()
    touch(b)
    lock(b)
    lock(a)
    unlock(a)
    unlock(b)
    both_done.wait()


threads = [threading.Thread(target=fn) for fn in (transfer_ab, transfer_ba)]
for t in threads:
    t.start()
for t in threads:
    t.join()
