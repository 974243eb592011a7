"""glue.py — mprof's @profile decorator, run by libmprof-python3X.so at start-up.

Embedded in the plugin at build time and executed once; `_make(_mprof)` returns the
`profile` decorator over the plugin's primitives:

    _mprof.register(code, name, last_line, bracket_name) -> handle
    _mprof.marker(handle, line) -> a line marker (negating it is a hit)
    _mprof.start(handle, traced), _mprof.stop(handle, traced)  (a decorated call begins / ends)
    _mprof.step(handle, traced, awaitable, value, error) -> (finished, result)
        (one step of a coroutine or async generator, sent value or thrown error: a call)
    _mprof.inlined(handle, ranges)  (a traced function's inlined comprehensions)
    _mprof.bracket(name) -> handle  (a named block's FUNC brackets, with no table:
        start(handle, False) and stop(handle, False) around it)

The decorator recompiles the function from its own source with the statement
`-<marker N>` before each statement N (and at the end of each loop body, and before each `continue`,
so a loop header counts iterations + 1, as memory_profiler does), and the marker of line
0 in a `finally` around the whole body, so the last line ends when the frame does.
Markers are placed among the code's constants, so a hit costs LOAD_CONST,
UNARY_NEGATIVE and POP_TOP and allocates nothing, and the function keeps its globals, closure cells (`__class__`
for super() too), defaults, names and line numbers. When that cannot be done (no
source, a lambda, the file changed), the call is traced instead: slower, same numbers.

The builtin and the finders the plugin installs with it are glue_builtin.py's.
"""


# _make (and glue_builtin.py's _profile_object and finders, joined after this file at
# build time) run at start-up, where the plugin's entry point
# may interrupt the import of any module (os, seen half made on 3.12): they import nothing
# but sys, which is whole from the first; everything else is imported when a function is
# decorated or a module asked for.


def _make(_mprof):

    def qualname_of(func, code):
        """The code's qualified name; 3.10's code objects have none: the function's."""
        return getattr(code, 'co_qualname', None) or func.__qualname__

    def last_line_of(func, code):
        try:
            import inspect
            lines, start = inspect.getsourcelines(func)
            return start + len(lines) - 1
        except Exception:
            last, stack = code.co_firstlineno, [code]
            while stack:
                nested = stack.pop()
                last = max([last] + [line for _, _, line in nested.co_lines() if line])
                stack.extend(k for k in nested.co_consts if hasattr(k, 'co_lines'))
            return last

    holder_name = '__mprof_outer'
    holder_prefix = holder_name + '.<locals>.'

    def unheld(constant):
        """A constant of ours as the original has it: up to 3.10 a nested function's
        qualified name is a string constant, which inside our holder starts with the
        holder's name."""
        if type(constant) is str and constant.startswith(holder_prefix):
            return constant[len(holder_prefix):]
        return constant

    def inlined_comprehensions(code):
        """The [start, end] byte offsets of the comprehensions inlined in `code` (3.12 on,
        PEP 709), for tracing: each one begins by saving its variables
        (LOAD_FAST_AND_CLEAR) and loops up to its FOR_ITER's exit."""
        import dis
        ranges, start = [], None
        for instruction in dis.get_instructions(code):
            if instruction.opname == 'LOAD_FAST_AND_CLEAR' and start is None:
                start = instruction.offset
            elif instruction.opname == 'FOR_ITER' and start is not None:
                ranges.append((start, instruction.argval))
                start = None
        return ranges

    def same_shape(ours, theirs):
        """Whether two code objects were compiled from the same source: names, locals,
        arguments, plain constants and lines. A file edited after import fails this."""
        def lines(code):
            return sorted({line for _, _, line in code.co_lines() if line})[1:]

        def constants(code):
            return [unheld(c) for c in code.co_consts if not hasattr(c, 'co_code')]
        return (ours.co_names == theirs.co_names and ours.co_varnames == theirs.co_varnames
                and sorted(ours.co_freevars) == sorted(theirs.co_freevars)
                and ours.co_argcount == theirs.co_argcount
                and ours.co_posonlyargcount == theirs.co_posonlyargcount
                and ours.co_kwonlyargcount == theirs.co_kwonlyargcount
                # CO_NESTED (0x10) marks ours, compiled inside a holder; it does nothing.
                and (ours.co_flags & ~0x10) == (theirs.co_flags & ~0x10)
                and constants(ours) == constants(theirs) and lines(ours) == lines(theirs))

    def with_hits(statements, loop, hit, header_line=None):
        """`statements` with hit(line, like) before each one that starts a new line: a
        body on its header's line (`if x: y`) or `a; b` is one line event, not two.
        (Here, not inside instrument(): a recursive closure is a reference cycle, garbage
        that the collector would free later, inside some line of the user's.)"""
        import ast
        result = []
        previous_line = header_line
        for statement in statements:
            if statement.lineno != previous_line:
                result.append(hit(statement.lineno, statement))
            previous_line = statement.lineno
            if isinstance(statement, ast.Continue) and loop is not None:
                result.append(hit(loop.lineno, statement))
            line = statement.lineno
            if isinstance(statement, (ast.For, ast.AsyncFor, ast.While)):
                statement.body = with_hits(statement.body, statement, hit, line) + \
                    [hit(line, statement.body[-1])]
                statement.orelse = with_hits(statement.orelse, loop, hit, line)
            elif isinstance(statement, ast.If):
                statement.body = with_hits(statement.body, loop, hit, line)
                statement.orelse = with_hits(statement.orelse, loop, hit, line)
            elif isinstance(statement, (ast.With, ast.AsyncWith)):
                statement.body = with_hits(statement.body, loop, hit, line)
            elif isinstance(statement, (ast.Try, getattr(ast, 'TryStar', ast.Try))):
                statement.body = with_hits(statement.body, loop, hit, line)
                for handler in statement.handlers:
                    handler.body = with_hits(handler.body, loop, hit, handler.lineno)
                statement.orelse = with_hits(statement.orelse, loop, hit)
                statement.finalbody = with_hits(statement.finalbody, loop, hit)
            elif isinstance(statement, ast.Match):
                for case in statement.cases:
                    case.body = with_hits(case.body, loop, hit, case.pattern.lineno)
            result.append(statement)
        return result

    def add_hits(definition, hit):
        import ast
        body = definition.body
        docstring = []
        if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            docstring, body = body[:1], body[1:]
        # The frame's last act is the hit of line 0: the line it is on ends inside
        # the frame, before the interpreter builds StopIteration or frees the locals.
        guarded = ast.Try(body=with_hits(body, None, hit) or [ast.Pass()], handlers=[],
                          orelse=[], finalbody=[hit(0, body[-1] if body else definition)])
        ast.copy_location(guarded, body[0] if body else definition)
        definition.body = docstring + [guarded]

    def instrument(func, handle):
        """The function recompiled with line markers, or None."""
        import ast
        import copy
        import inspect
        import textwrap
        import types
        import warnings
        code = func.__code__
        # Only the function's own lines are read and parsed (nothing is kept), and they
        # must compile to what is running, or the call is traced instead.
        try:
            source_lines, start = inspect.getsourcelines(func)
        except (OSError, TypeError):
            return None
        source = ''.join(source_lines)
        dedented = textwrap.dedent(source)
        tree = ast.parse(dedented)
        ast.increment_lineno(tree, start - 1)
        # Columns as in the file (a method's source was dedented to parse): tracebacks
        # point their carets at the program's own text.
        margin = len(source) - len(source.lstrip()) - (len(dedented) - len(dedented.lstrip()))
        if margin:
            for node in ast.walk(tree):
                if hasattr(node, 'col_offset'):
                    node.col_offset += margin
                    if getattr(node, 'end_col_offset', None) is not None:
                        node.end_col_offset += margin
        if (not tree.body or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef))
                or tree.body[0].name != code.co_name):
            return None
        plain_definition = tree.body[0]
        plain_definition.decorator_list = []
        # Each line's marker stands in the tree as a string constant unique to it, replaced
        # by the marker object once compiled (constants are what the compiler keeps as is).
        placeholders = {}

        def hit(line, like):
            placeholder = '__mprof_line_%x_%d__' % (id(handle), line)
            placeholders[placeholder] = line
            # Negating a string cannot be folded at compile time, so it stays in the code.
            negation = ast.UnaryOp(op=ast.USub(), operand=ast.Constant(placeholder))
            statement = ast.Expr(negation)
            for node in (statement, negation, negation.operand):
                ast.copy_location(node, like)
                node.end_lineno, node.end_col_offset = like.lineno, like.col_offset
            return statement
        # Free variables stay free variables: the definition is compiled inside a
        # function whose parameters are their names; inside a class named like the
        # function's own (for private-name mangling, and __class__ for super()); then
        # the original cells are bound.
        free_names = [name for name in code.co_freevars if name != '__class__']
        qualname = qualname_of(func, code)
        qualified = qualname.split('.')
        class_name = None
        if len(qualified) > 1 and qualified[-2] != '<locals>':
            class_name = qualified[-2]
        elif '__class__' in code.co_freevars:
            class_name = '__mprof_class'

        def compiled(definition):
            holder = definition
            if class_name is not None:
                holder = ast.ClassDef(name=class_name, bases=[], keywords=[],
                                      body=[definition], decorator_list=[])
                ast.copy_location(holder, definition)
            # Defined straight in the holder function, the function's own name would become
            # the holder's local, and a recursive call a closure reference that bypasses
            # the wrapper: keep the name global there, as it is in the module.
            own_name = []
            if class_name is None and code.co_name not in code.co_freevars:
                own_name = [ast.Global(names=[code.co_name])]
            outer = ast.FunctionDef(
                name=holder_name,
                args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in free_names],
                                   vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
                                   defaults=[]),
                body=own_name + [holder, ast.Return(ast.Constant(None))], decorator_list=[],
                returns=None)
            ast.copy_location(outer, definition)
            module = ast.Module(body=[outer], type_ignores=[])
            ast.fix_missing_locations(module)
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')  # whatever the compiler thinks of the markers
                module_code = compile(module, code.co_filename, 'exec', dont_inherit=True)

            # The function's code among the constants, however deep (a loop, not a
            # recursive closure: see with_hits).
            pending = [module_code]
            while pending:
                for constant in pending.pop().co_consts:
                    if isinstance(constant, types.CodeType):
                        if (constant.co_name == code.co_name
                                and constant.co_firstlineno == definition.lineno):
                            return constant
                        pending.append(constant)
            return None

        plain = compiled(copy.deepcopy(plain_definition))
        if plain is None or not same_shape(plain, code):
            return None
        definition = copy.deepcopy(plain_definition)
        add_hits(definition, hit)
        new_code = compiled(definition)
        if new_code is None:
            return None
        markers = {placeholder: _mprof.marker(handle, line)
                   for placeholder, line in placeholders.items()}
        constants = tuple(unheld(markers.get(c, c)) if type(c) is str else c
                          for c in new_code.co_consts)
        names = {'co_name': code.co_name}
        if hasattr(code, 'co_qualname'):
            names['co_qualname'] = qualname
        new_code = new_code.replace(co_consts=constants, **names)
        cells = dict(zip(code.co_freevars, func.__closure__ or ()))
        if any(name not in cells for name in new_code.co_freevars):
            return None
        closure = tuple(cells[name] for name in new_code.co_freevars) or None
        new_func = types.FunctionType(new_code, func.__globals__, func.__name__,
                                      func.__defaults__, closure)
        new_func.__kwdefaults__ = func.__kwdefaults__
        new_func.__annotations__ = func.__annotations__
        new_func.__qualname__ = func.__qualname__
        new_func.__module__ = func.__module__
        new_func.__doc__ = func.__doc__
        new_func.__dict__.update(func.__dict__)
        return new_func

    def unframed(error):
        """Take the entries of our own frames (the wrappers an exception is passing
        through) off the head of `error`'s traceback, before a bare `raise`, which adds
        none: the program's tracebacks then show its own frames only. (3.10 re-raises
        the traceback it caught, so there ours stay.)"""
        entry = error.__traceback__
        while entry is not None and entry.tb_frame.f_code.co_filename == GLUE_FILENAME:
            entry = entry.tb_next
        error.__traceback__ = entry

    GLUE_FILENAME = unframed.__code__.co_filename

    def stepwise(handle, traced):
        """The generator-based coroutine that runs a decorated coroutine or async
        generator's awaitable, each step a call."""
        start, stop, step = _mprof.start, _mprof.stop, _mprof.step

        def steps(awaitable):
            """Awaits `awaitable` (a decorated coroutine, or an async generator's asend,
            athrow or aclose) one step at a time, each step a call as a generator's
            resumption is: the line that suspends ends when the coroutine does, the next
            starts when it is resumed, and what the event loop and the other tasks do in
            between is no line's. What it is sent, thrown and closed with, and what it
            returns, pass through unchanged."""
            value, error = None, None
            while True:
                try:
                    finished, item = step(handle, traced, awaitable, value, error)
                except BaseException as raised:
                    unframed(raised)
                    raise
                if finished:
                    return item
                value, error = None, None
                try:
                    value = yield item
                except GeneratorExit:
                    start(handle, traced)
                    try:
                        awaitable.close()
                    finally:
                        stop(handle, traced)
                    raise
                except BaseException as raised:
                    error = raised
        # A generator that `await` accepts: its yields go to the event loop.
        import types
        return types.coroutine(steps)

    def log_file_stdout():
        """sys.stdout when the program has sent it to a memory_profiler LogFile (its
        README's "Reporting via logger Module"): the original's decorator prints each
        call's table there, so the tables go to the logger, not to mprof's report."""
        import sys
        module = sys.modules.get('memory_profiler')
        log_file = getattr(module, 'LogFile', None)
        if isinstance(log_file, type) and isinstance(sys.stdout, log_file):
            return sys.stdout
        return None

    def profile(func=None, stream=None, precision=1, backend=None):
        """Profile a function's memory line by line: exact heap bytes, under mprof run.

        The table is printed by mprof when the program ends (mprof run's --unit and
        --precision). With a stream (or sys.stdout sent to a memory_profiler LogFile),
        as memory_profiler's decorator: each call's table is written there when it
        returns, at that precision, by the memory_profiler module's LineProfiler (on
        the exact heap unless another backend is named)."""
        if func is None:
            return lambda func: profile(func, stream, precision, backend)
        if stream is None:
            stream = log_file_stdout()
        if stream is not None and callable(func):
            try:
                from memory_profiler import _profile_to_stream
            except ImportError:
                _profile_to_stream = None  # no module of ours here: mprof's table, at exit
            if _profile_to_stream is not None:
                return _profile_to_stream(func, stream, precision, backend or 'mprof')
        code = getattr(func, '__code__', None)
        if code is None or not callable(func):
            return func
        import functools
        import inspect
        module = getattr(func, '__module__', None) or '?'
        # The table's header names it module.qualname; its FUNC brackets, as the
        # original's, module.name.
        handle = _mprof.register(code, module + '.' + qualname_of(func, code),
                                 last_line_of(func, code),
                                 module + '.' + str(getattr(func, '__name__', code.co_name)))
        try:
            target = instrument(func, handle)
        except Exception:
            target = None
        # Instrumenting leaves reference cycles behind (ast.fix_missing_locations' own
        # recursive closure, the first import of ast and inspect): free them now, or the
        # collector frees them later inside some decorated line, whose increment then
        # shows bytes it never freed. Nearly all of them are still in the young
        # generations (a collection during the first import of ast or inspect may move
        # a few on), and a young collection is cheap whatever the program holds. (A
        # program that turned the collector off gets no collection from us either.)
        import gc
        if gc.isenabled():
            gc.collect(1)
        # The same for CPython's method cache: it can hold the last reference to an
        # attribute name that instrumenting built at run time; a later lookup that takes
        # its entry over frees the name, in whatever line of the user's makes it (-53 to
        # -67 B on bytes(30_000_000) in up to 1 run of 10: the entry is chosen by the
        # name's address). Emptied now, those names are freed here.
        import sys
        # (3.13 deprecates it for _clear_internal_caches, which empties it too.)
        (getattr(sys, '_clear_internal_caches', None) or sys._clear_type_cache)()
        traced = target is None
        import os
        if traced and os.environ.get('MPROF_DEBUG'):
            print('mprof: %s: no source to instrument, traced instead' % qualname_of(func, code),
                  file=sys.stderr)
        if traced:
            target = func
            _mprof.inlined(handle, inlined_comprehensions(code))
        start, stop = _mprof.start, _mprof.stop

        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator_wrapper(*args, **kwargs):
                generator = target(*args, **kwargs)
                value, error = None, None
                while True:
                    start(handle, traced)
                    try:
                        if error is not None:
                            item = generator.throw(error)
                        else:
                            item = generator.send(value)
                    except StopIteration as end:
                        return end.value
                    except BaseException as raised:
                        unframed(raised)
                        raise
                    finally:
                        stop(handle, traced)
                    value, error = None, None
                    try:
                        value = yield item
                    except GeneratorExit:
                        generator.close()
                        raise
                    except BaseException as raised:
                        error = raised
            return generator_wrapper

        if inspect.isasyncgenfunction(func):
            steps = stepwise(handle, traced)

            @functools.wraps(func)
            async def async_generator_wrapper(*args, **kwargs):
                generator = target(*args, **kwargs)
                value, error = None, None
                while True:
                    try:
                        if error is not None:
                            item = await steps(generator.athrow(error))
                        else:
                            item = await steps(generator.asend(value))
                    except StopAsyncIteration:
                        return
                    except BaseException as raised:
                        unframed(raised)
                        raise
                    value, error = None, None
                    try:
                        value = yield item
                    except GeneratorExit:
                        await steps(generator.aclose())
                        raise
                    except BaseException as raised:
                        error = raised
            return async_generator_wrapper

        if inspect.iscoroutinefunction(func):
            steps = stepwise(handle, traced)

            @functools.wraps(func)
            async def coroutine_wrapper(*args, **kwargs):
                try:
                    return await steps(target(*args, **kwargs))
                except BaseException as raised:
                    unframed(raised)
                    raise
            return coroutine_wrapper

        # A C object with no frame of its own: nothing of ours in the program's
        # tracebacks, and on 3.10 (where frames are heap objects that CPython's free
        # lists keep) no wrapper frame left in the caller's line.
        return functools.update_wrapper(_mprof.wrap(handle, target, traced), func)

    class Bracket:
        """One timed block: a FUNC bracket of its own in the .dat while it is open."""
        __slots__ = ('handle',)

        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            if self.handle is not None:
                _mprof.start(self.handle, False)
            return self

        def __exit__(self, *exception):
            if self.handle is not None:
                _mprof.stop(self.handle, False)

    brackets = {}

    def bracket(name):
        """A context manager whose every use is a FUNC bracket `name` in mprof's .dat (at
        the stack level of the decorated calls and brackets open around it), with no
        table: memory_profiler's profile.timestamp() under mprof run."""
        handle = brackets.get(name)
        if handle is None:
            handle = _mprof.bracket(str(name))  # None past the plugin's bound: untimed
            if handle is not None:
                brackets[name] = handle
        return Bracket(handle)

    profile.bracket = bracket
    return profile

