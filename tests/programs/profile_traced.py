"""profile_traced.py — a decorated function without source (compiled from a string), so
@profile traces it instead of recompiling it: its list comprehension runs in a frame
of its own up to 3.11 and inline from 3.12 on (PEP 709), where tracing reports each
of its iterations as a line; the tables must not (one arrival per call, as on 3.11).
"""
SOURCE = '''
def made(n):
    a = bytearray(100_000)
    b = [bytearray(1000) for _ in range(n)]
    c = {k: [j for j in range(k)] for k in range(n)}
    del a
    return len(b) + len(c)
'''
namespace = {'__name__': __name__}
exec(compile(SOURCE, '<made>', 'exec'), namespace)
made = profile(namespace['made'])
print('traced done', made(10), made(20))
