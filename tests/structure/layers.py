#!/usr/bin/env python3
"""tests/structure/layers.py ROOT BUILD_DIR — the house's shape, checked from the tree.

The preload library is layered (DESIGN.md): lifecycle/ -> python/ -> core/ -> wire/, each
calling only itself and the layers below it, and the per-version plugin reaching the
library only through python/plugin_api.h (and core/table.h, a header-only table). Those
rules are checked twice: on the `#include "..."` lines of the sources, and on the symbols
that the compiled objects of BUILD_DIR define and use (nm), so a call made through a
forgotten prototype is caught too. Neither graph may have a circle, between layers or
between files. The CLI (mprof/) has no layers to name, but no circle either. And no
source file of preload/, mprof/ or include/ is over 600 lines.

Prints "ok NAME" or "FAIL NAME: why" per check, then "N passed, N failed" alone.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else '.')
BUILD = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, 'build'))
PRELOAD = os.path.join(ROOT, 'preload')
MAX_LINES = 600

# Who may use whom (besides itself). preload/plugin/ is the per-version plugin; a file
# anywhere else under preload/ is out of place.
LAYERS = ['lifecycle', 'python', 'core', 'wire']
ALLOWED = {
    'lifecycle': {'python', 'core', 'wire'},
    'python': {'core', 'wire'},
    'core': {'wire'},
    'wire': set(),
}
PLUGIN_MAY_INCLUDE = {'python/plugin_api.h', 'core/table.h'}
SHARED_INCLUDE = os.path.join(ROOT, 'include')

results = []


def report(name, problems):
    results.append((name, problems))


def layer_of(path):
    """The preload folder a file lives in ('core', ..., or a plugin folder), or None."""
    relative = os.path.relpath(path, PRELOAD)
    if relative.startswith('..'):
        return None
    parts = relative.split(os.sep)
    return parts[0] if len(parts) > 1 else None


def sources(top, suffixes):
    for folder, _, files in os.walk(top):
        for name in sorted(files):
            if name.endswith(suffixes):
                yield os.path.join(folder, name)


def cycles(graph):
    """Every strongly connected component with more than one node, or a self-loop."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def short(path):
    return os.path.relpath(path, ROOT)


# ---- every file in a folder the rules name ---------------------------------------------

PLUGIN_FOLDERS = {'plugin'}
unplaced = [short(path) for path in sources(PRELOAD, ('.c', '.h'))
            if layer_of(path) not in ALLOWED and layer_of(path) not in PLUGIN_FOLDERS]
report('every preload source is in a layer or the plugin', unplaced)

# ---- the include graph ------------------------------------------------------------------

include_line = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
include_graph = {}
include_problems = []
for path in sources(PRELOAD, ('.c', '.h')):
    with open(path, encoding='utf-8', errors='replace') as source:
        text = source.read()
    targets = set()
    for name in include_line.findall(text):
        local = os.path.normpath(os.path.join(os.path.dirname(path), name))
        shared = os.path.normpath(os.path.join(SHARED_INCLUDE, name))
        if os.path.exists(local):
            target = local
        elif os.path.exists(shared):
            continue  # include/mprof/: the wire format, shared by everyone
        else:
            continue  # a generated or system file
        targets.add(target)
        source_layer, target_layer = layer_of(path), layer_of(target)
        if source_layer in ALLOWED:
            if target_layer != source_layer and target_layer not in ALLOWED[source_layer]:
                include_problems.append('%s includes %s' % (short(path), short(target)))
        elif source_layer is not None and target_layer != source_layer:
            if os.path.relpath(target, PRELOAD) not in PLUGIN_MAY_INCLUDE:
                include_problems.append('%s (plugin) includes %s' % (short(path), short(target)))
    include_graph[path] = targets
report('includes follow the layers', include_problems)
report('no include circle', ['circle: ' + ' -> '.join(map(short, c)) for c in cycles(include_graph)])

# ---- the call graph, from the objects --------------------------------------------------

OBJECTS = os.path.join(BUILD, 'obj', 'preload')


def source_of(path):
    """The source an object was built from: preload/X/Y.c for obj/preload/X/Y.o, and for
    a plugin (built once per version, obj/preload/plugin/python3NN/Y.o) preload/plugin/Y.c;
    None for an object left over from a moved file."""
    parts = os.path.relpath(path, OBJECTS)[:-2].split(os.sep)
    for candidate in (parts, parts[:-2] + parts[-1:]):
        source = os.path.join(PRELOAD, *candidate) + '.c'
        if candidate and os.path.exists(source):
            return source
    return None


objects = sorted(path for path in sources(OBJECTS, ('.o',)) if source_of(path) is not None)
defined_by, used_by = {}, {}
nm_problems = []
for path in objects:
    listing = subprocess.run(['nm', path], capture_output=True, text=True)
    if listing.returncode != 0:
        nm_problems.append('nm %s: %s' % (short(path), listing.stderr.strip()))
        continue
    used = set()
    for line in listing.stdout.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == 'U':
            used.add(fields[1])
        elif len(fields) == 3 and fields[1] in 'TDBRVW' and fields[1].isupper():
            defined_by.setdefault(fields[2], set()).add(path)
    used_by[path] = used
if not objects:
    nm_problems.append('no objects under %s (build first)' % short(OBJECTS))


def object_layer(path):
    return layer_of(source_of(path))


call_graph = {}
call_problems = list(nm_problems)
for path, used in used_by.items():
    source_layer = object_layer(path)
    targets = set()
    for symbol in used:
        for target in defined_by.get(symbol, ()):
            target_layer = object_layer(target)
            # A plugin is its own shared object, one per version: only the objects of its
            # own build link into it.
            if (source_layer in ALLOWED) != (target_layer in ALLOWED):
                continue
            if source_layer not in ALLOWED and os.path.dirname(target) != os.path.dirname(path):
                continue
            targets.add(target)
            if source_layer in ALLOWED and target_layer != source_layer and \
                    target_layer not in ALLOWED[source_layer]:
                call_problems.append('%s uses %s of %s' % (short(path), symbol, short(target)))
    call_graph[path] = targets - {path}
report('calls follow the layers', call_problems)
report('no call circle between files',
       ['circle: ' + ' -> '.join(map(short, c)) for c in cycles(call_graph)])
layer_graph = {}
for path, targets in call_graph.items():
    for target in targets:
        if object_layer(path) != object_layer(target):
            layer_graph.setdefault(object_layer(path), set()).add(object_layer(target))
report('no call circle between layers', ['circle: ' + ' -> '.join(c) for c in cycles(layer_graph)])

# ---- the CLI: no circle either ------------------------------------------------------------

CLI = os.path.join(ROOT, 'mprof')
cli_includes = {}
for path in sources(CLI, ('.c', '.h')):
    with open(path, encoding='utf-8', errors='replace') as source:
        names = include_line.findall(source.read())
    cli_includes[path] = {os.path.join(CLI, name) for name in names
                          if os.path.exists(os.path.join(CLI, name))}
report('no include circle in the CLI',
       ['circle: ' + ' -> '.join(map(short, c)) for c in cycles(cli_includes)])

CLI_OBJECTS = os.path.join(BUILD, 'obj', 'mprof')
cli_objects = [path for path in sources(CLI_OBJECTS, ('.o',))
               if os.path.exists(os.path.join(CLI, os.path.basename(path)[:-2] + '.c'))]
cli_defined, cli_used, cli_problems = {}, {}, []
for path in cli_objects:
    listing = subprocess.run(['nm', path], capture_output=True, text=True)
    if listing.returncode != 0:
        cli_problems.append('nm %s: %s' % (short(path), listing.stderr.strip()))
        continue
    cli_used[path] = set()
    for line in listing.stdout.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == 'U':
            cli_used[path].add(fields[1])
        elif len(fields) == 3 and fields[1] in 'TDBRVW':
            cli_defined.setdefault(fields[2], set()).add(path)
if not cli_objects:
    cli_problems.append('no objects under %s (build first)' % short(CLI_OBJECTS))
cli_calls = {path: {target for symbol in used for target in cli_defined.get(symbol, ())} - {path}
             for path, used in cli_used.items()}
report('no call circle between the CLI\'s files',
       cli_problems + ['circle: ' + ' -> '.join(map(short, c)) for c in cycles(cli_calls)])

# ---- file sizes ----------------------------------------------------------------------------

long_files = []
for top in ('preload', 'mprof', 'include'):
    for path in sources(os.path.join(ROOT, top), ('.c', '.h')):
        with open(path, encoding='utf-8', errors='replace') as source:
            count = sum(1 for _ in source)
        if count > MAX_LINES:
            long_files.append('%s has %d lines' % (short(path), count))
report('no source file over %d lines' % MAX_LINES, long_files)

failed = 0
for name, problems in results:
    if problems:
        failed += 1
        print('FAIL %s: %s' % (name, '; '.join(problems)))
    else:
        print('ok %s' % name)
print('%d passed, %d failed' % (len(results) - failed, failed))
sys.exit(1 if failed else 0)
