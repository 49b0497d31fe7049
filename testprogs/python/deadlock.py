# lockhound-expect: deadlock count=1 locks=2 ended_process=true py_functions=hold_a_then_take_b,hold_b_then_take_a timeout=30 max_seconds=20
"""A real deadlock between Python threads: one holds a and blocks taking
b, the other holds b and blocks taking a.  A barrier makes both hold their
first lock before either asks for its second, so this hangs forever
natively; lockhound's watchdog must end it with the report (exit 66),
naming both threads' Python functions."""
import threading

a = threading.Lock()
b = threading.Lock()
both_hold = threading.Barrier(2)


def hold_a_then_take_b():
    with a:
        both_hold.wait()
        with b:
            pass


def hold_b_then_take_a():
    with b:
        both_hold.wait()
        with a:
            pass


threads = [threading.Thread(target=f) for f in (hold_a_then_take_b, hold_b_then_take_a)]
for t in threads:
    t.start()
for t in threads:
    t.join()
