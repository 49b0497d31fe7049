# lockhound-expect: lock-order-cycle count=1 locks=3 py_functions=dine
"""Three dining philosophers, each taking the fork on the left and then the
one on the right: fork 0 -> 1, 1 -> 2, 2 -> 0, a cycle of three locks.
They eat one after the other, so the program ends."""
import threading

N = 3
forks = [threading.Lock() for _ in range(N)]


def dine(i):
    left, right = forks[i], forks[(i + 1) % N]
    with left:
        with right:
            pass


for i in range(N):
    t = threading.Thread(target=dine, args=(i,), name="philosopher-%d" % i)
    t.start()
    t.join()
