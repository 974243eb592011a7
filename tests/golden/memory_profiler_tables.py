"""Print, with the real memory_profiler's show_results, the tables that
tests/unit/test_report.c builds from the same numbers (its golden_model()).

    /usr/bin/python3 tests/golden/memory_profiler_tables.py [PRECISION] > table_mib.txt

Sizes are exact bytes, given to memory_profiler as bytes / 2**20 MiB (an exact
division), so both sides format the very same doubles. Source lines come from
linecache's cache, so no file is needed at the printed paths.
"""
import linecache
import sys

from memory_profiler import show_results

MIB = 2.0 ** 20

# (filename, first line, source lines from the first line, {line: (occurrences,
#  increment bytes, mem usage bytes)}), in the order the functions were first called.
FUNCTIONS = [
    ("/tmp/golden dir/my script.py", 2, [
        "@profile",
        "def build():",
        "    a = bytearray(50_000_000)",
        "    b = [0] * 1_000_000",
        "    for i in range(3):",
        "        b.append(str(i) + \"\\t\")",
        "    if not b:",
        "        print(\"never\")",
        "\t# a comment after a tab, caf\u00e9 \u2192 100%",
        "",
        "    del a",
        "    return b",
    ], {
        2: (1, 22125000, 22125000),
        4: (1, 50000057, 72125057),
        5: (1, 8000056, 80125113),
        6: (4, 1216, 80126329),
        7: (3, 330, 80126659),
        8: (1, -24, 80126659),
        12: (1, -50000057, 30126602),
        13: (1, 0, 30126602),
    }),
    ("/tmp/other.py", 20, [
        "    @profile",
        "    def step(self, n):",
        "        self.items.extend(range(n))",
        "        return len(self.items)",
    ], {
        20: (2, 30126602, 30127000),
        22: (2, 8000000, 38127000),
        23: (2, 0, 38127000),
    }),
]


class FakeCodeMap:
    def items(self):
        for filename, first, source, measures in FUNCTIONS:
            lines = range(first, first + len(source))
            yield filename, ((n, (measures[n][1] / MIB, measures[n][2] / MIB, measures[n][0])
                              if n in measures else None) for n in lines)


class FakeProfiler:
    code_map = FakeCodeMap()


for filename, first, source, _ in FUNCTIONS:
    text = [""] * (first - 1) + [line + "\n" for line in source]
    linecache.cache[filename] = (0, None, text, filename)

show_results(FakeProfiler(), stream=sys.stdout,
             precision=int(sys.argv[1]) if len(sys.argv) > 1 else 1)
