"""profile_shapes.py — decorated functions of many shapes, for comparing mprof's
@profile tables with tracemalloc's (tmprofile.py) line by line: lists, strings and
dicts growing, a generator consumed by a loop, a method, a recursion, loops whose
header counts iterations + 1, and lines that never run. Single-threaded, allocates
through Python only (tracemalloc sees what mprof sees), deterministic.
"""
import gc
try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def lists():
    items = []
    for i in range(10_000):
        items.append(i * 3)
    squares = [i * i for i in range(10_000)]
    items.extend(squares)
    copy = items[:]
    del squares
    items.clear()
    return copy


@profile
def strings():
    text = ''
    for i in range(2_000):
        text += str(i)
    joined = ','.join(str(i) for i in range(10_000))
    big = 'x' * 1_000_000
    wide = '\u20ac' * 100_000
    parts = joined.split(',')
    del big
    return text, joined, wide, parts


@profile
def dicts():
    table = {}
    for i in range(10_000):
        table[i] = str(i)
    by_name = {str(k): k for k in range(5_000)}
    table.update(by_name)
    del table[0]
    table.clear()
    return by_name


@profile
def chunks(count, size):
    for index in range(count):
        block = bytearray(size)
        yield block
        del block


class Store:
    def __init__(self):
        self.items = []

    @profile
    def fill(self, count):
        for i in range(count):
            self.items.append([i] * 100)
        if count < 0:
            raise ValueError('never')
        return len(self.items)


@profile
def nested(depth):
    a = [1] * 100_000
    if depth > 0:
        nested(depth - 1)
    return a


@profile
def branches(n):
    total = 0
    while n > 0:
        n -= 1
        if n % 2:
            continue
        total += n
    else:
        total += 1
    if total < 0:
        total = [0] * 1000
        total = None
    return total


def main():
    # The decorator (mprof's recompiles the function from its AST) leaves cyclic
    # garbage; collected now, it cannot be freed by a collection that one line's
    # allocations happen to trigger (which would show, truly, as that line's bytes).
    gc.collect()
    kept = [lists(), strings(), dicts()]
    total = 0
    for block in chunks(5, 1_000_000):
        total += len(block)
    store = Store()
    store.fill(1_000)
    store.fill(500)
    kept.append(nested(5))
    kept.append(branches(10))
    print('shapes done', total, len(store.items), len(kept))


if __name__ == '__main__':
    main()
