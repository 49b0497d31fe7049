# lockhound-expect: clean
"""threading.RLock taken recursively, and a Condition built on it: a
consumer waits (releasing every level of the RLock), a producer notifies
under the same RLock.  Recursion is no self-deadlock and the condition wait
adds no order: no finding."""
import threading

rl = threading.RLock()
cond = threading.Condition(rl)
items = []


def nested_put(x, depth):
    with rl:
        if depth:
            nested_put(x, depth - 1)
        else:
            items.append(x)
            cond.notify()


def consumer(n):
    got = 0
    with cond:
        while got < n:
            while not items:
                cond.wait()
            items.pop()
            got += 1


c = threading.Thread(target=consumer, args=(20,))
c.start()
for i in range(20):
    nested_put(i, 3)
c.join()
