# lockhound-expect: clean
"""A gate lock: both threads take a and b in opposite orders, but always
while holding the same gate lock g, so the two orders can never run at the
same time.  No finding."""
import threading

g = threading.Lock()
a = threading.Lock()
b = threading.Lock()


def ab():
    with g:
        with a:
            with b:
                pass


def ba():
    with g:
        with b:
            with a:
                pass


threads = [threading.Thread(target=f) for f in (ab, ba, ab, ba)]
for t in threads:
    t.start()
for t in threads:
    t.join()
