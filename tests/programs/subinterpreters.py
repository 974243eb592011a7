"""subinterpreters.py — small objects built and dropped at once in the main interpreter
and in three subinterpreters with a GIL of their own (3.12+: each has its own pymalloc
state, and their threads allocate in parallel, arenas included).

    python3 subinterpreters.py [ROUNDS]

Each round, in every interpreter: 200,000 (int, float) tuples built, then dropped.
Prints "ok ROUNDS" when every interpreter has finished."""
import sys
import threading

try:
    import _interpreters as interpreters      # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters  # 3.12

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
WORK = "for _ in range(%d):\n    kept = [(i, float(i)) for i in range(200000)]\n    del kept\n" % ROUNDS


def in_subinterpreter(errors):
    try:
        interpreter = interpreters.create()
        try:
            failure = interpreters.run_string(interpreter, WORK)
            if failure is not None:
                errors.append(repr(failure))
        finally:
            interpreters.destroy(interpreter)
    except Exception as error:
        errors.append(repr(error))


errors = []
threads = [threading.Thread(target=in_subinterpreter, args=(errors,)) for _ in range(3)]
for thread in threads:
    thread.start()
exec(WORK)
for thread in threads:
    thread.join()
if errors:
    sys.exit("subinterpreters failed: " + "; ".join(errors))
print("ok", ROUNDS)
