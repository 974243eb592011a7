"""profile_safety.py — threads, multiprocessing (fork and spawn), os.fork,
subprocess, a signal handler and C extensions (json/_json, zlib, sqlite3, hashlib),
with a decorated function among them. Prints the same lines and exits 3 with and
without mprof run (the test compares the two).
"""
import hashlib
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import zlib

try:
    profile
except NameError:
    def profile(func):
        return func


def square(value):
    return value * value


@profile
def extensions():
    document = json.dumps({'k%d' % i: list(range(i % 7)) for i in range(2000)}, sort_keys=True)
    packed = zlib.compress(document.encode() * 20)
    database = sqlite3.connect(':memory:')
    database.execute('create table t (k integer, v text)')
    database.executemany('insert into t values (?, ?)', ((i, str(i) * 10) for i in range(5000)))
    total = database.execute('select sum(k), count(*) from t').fetchone()
    database.close()
    digest = hashlib.sha256(zlib.decompress(packed)).hexdigest()
    return len(json.loads(document)), len(packed) > 0, total, digest[:16]


def threads():
    results = [0] * 4

    def work(index):
        results[index] = sum(len(str(i)) for i in range(50_000 * (index + 1)))
    workers = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def pools():
    found = []
    for method in ('fork', 'spawn'):
        with multiprocessing.get_context(method).Pool(2) as pool:
            found.append((method, sum(pool.map(square, range(100)))))
    return found


def forked():
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reading)
        os.write(writing, str(sum(range(1000))).encode())
        os._exit(7)
    os.close(writing)
    message = os.read(reading, 100).decode()
    os.close(reading)
    _, status = os.waitpid(pid, 0)
    return message, os.waitstatus_to_exitcode(status)


def children():
    out = subprocess.run([sys.executable, '-c', 'print(6 * 7)'], capture_output=True, text=True)
    shell = subprocess.run(['sh', '-c', 'exit 4'])
    return out.stdout.strip(), shell.returncode


def signals():
    caught = []
    previous = signal.signal(signal.SIGUSR1, lambda number, frame: caught.append(number))
    os.kill(os.getpid(), signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, previous)
    return caught == [signal.SIGUSR1]


if __name__ == '__main__':
    for name, step in (('extensions', extensions), ('threads', threads), ('pools', pools),
                       ('fork', forked), ('subprocess', children), ('signal', signals)):
        print(name, step(), flush=True)
    sys.exit(3)
