"""profile_fork_tables.py — under mprof run -M, a forked child's tables are its own.

The parent runs work() (one bytearray(1_000_000)), then forks inside split(): the child
runs child_work() (one bytearray(2_000_000)) and leaves. The parent's tables hold work
and split; the child's hold split (the call it was forked inside, from the fork on) and
child_work, and nothing of the parent's work().
"""
import os


@profile
def work():
    block = bytearray(1_000_000)
    return len(block)


@profile
def child_work():
    block = bytearray(2_000_000)
    return len(block)


@profile
def split():
    pid = os.fork()
    if pid == 0:
        child_work()
        return 0
    os.waitpid(pid, 0)
    return pid


if __name__ == '__main__':
    work()
    if split() == 0:
        import sys
        sys.exit(0)
