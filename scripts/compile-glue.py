"""compile-glue.py VERSION GLUE.py OUT — the @profile glue compiled once, at build time.

Run with the CPython minor version the plugin is built for (VERSION, e.g. 3.11): it
writes the marshalled code object that libmprof-python3X.so embeds, so a profiled
process does not compile the glue's source at start-up (about 18 million instructions,
several milliseconds, in every Python process under mprof run). Marshalled code is
specific to the minor version, as the plugin is, so a different interpreter is refused
here rather than found out at run time; the plugin still embeds the source and compiles
it if this ever fails to load.
"""
import marshal
import sys


def main(source_path, out_path):
    with open(source_path, encoding="utf-8") as source:
        code = compile(source.read(), "<mprof glue.py>", "exec", dont_inherit=True)
    with open(out_path, "wb") as out:
        out.write(marshal.dumps(code))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python3.X compile-glue.py 3.X GLUE.py OUT")
    running = "%d.%d" % sys.version_info[:2]
    if sys.argv[1] != running:
        sys.exit("compile-glue.py: built for Python %s, but run by Python %s"
                 % (sys.argv[1], running))
    main(sys.argv[2], sys.argv[3])
