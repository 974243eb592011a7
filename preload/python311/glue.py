"""glue.py — mprof's @profile decorator, run by libmprof-python311.so at start-up.

Embedded in the plugin at build time and executed once; `_make(_mprof)` returns the
`profile` decorator over the plugin's primitives:

    _mprof.register(code, name, last_line) -> counter   (a C builtin: counter(line))
    _mprof.start(counter, traced), _mprof.stop(traced)  (a decorated call begins / ends)

The decorator recompiles the function from its own source with `counter(N)` before
each statement N (and at the end of each loop body, and before each `continue`, so a
loop header counts iterations + 1, as memory_profiler does), and `counter(0)` in a
`finally` around the whole body, so the last line ends when the frame does. The counter is placed
among the code's constants, so a hit costs LOAD_CONST + CALL and allocates nothing,
and the function keeps its globals, closure cells (`__class__` for super() too),
defaults, names and line numbers. When that cannot be done (no source, a lambda, the
file changed), the call is traced instead: slower, same numbers.
"""


def _make(_mprof):
    parsed_files = {}

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

    def find_definition(code):
        import ast
        import linecache
        filename = code.co_filename
        tree = parsed_files.get(filename)
        if tree is None:
            source = ''.join(linecache.getlines(filename))
            if not source:
                return None
            tree = ast.parse(source, filename)
            parsed_files[filename] = tree
        for node in ast.walk(tree):
            if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and node.name == code.co_name):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                if first == code.co_firstlineno:
                    return node
        return None

    def instrument(func, counter):
        """The function recompiled with counter hits, or None."""
        import ast
        import copy
        import types
        import warnings
        code = func.__code__
        definition = find_definition(code)
        if definition is None:
            return None
        definition = copy.deepcopy(definition)
        definition.decorator_list = []
        marker = '__mprof_line_counter_%x__' % id(counter)

        def hit(line, like):
            call = ast.Call(func=ast.Constant(marker), args=[ast.Constant(line)], keywords=[])
            statement = ast.Expr(call)
            for node in (statement, call, call.func, call.args[0]):
                ast.copy_location(node, like)
                node.end_lineno, node.end_col_offset = like.lineno, like.col_offset
            return statement

        def with_hits(statements, loop, header_line=None):
            """`statements` with a hit before each one that starts a new line: a body on
            its header's line (`if x: y`) or `a; b` is one line event, not two."""
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
                    statement.body = with_hits(statement.body, statement, line) + \
                        [hit(line, statement.body[-1])]
                    statement.orelse = with_hits(statement.orelse, loop, line)
                elif isinstance(statement, ast.If):
                    statement.body = with_hits(statement.body, loop, line)
                    statement.orelse = with_hits(statement.orelse, loop, line)
                elif isinstance(statement, (ast.With, ast.AsyncWith)):
                    statement.body = with_hits(statement.body, loop, line)
                elif isinstance(statement, (ast.Try, getattr(ast, 'TryStar', ast.Try))):
                    statement.body = with_hits(statement.body, loop, line)
                    for handler in statement.handlers:
                        handler.body = with_hits(handler.body, loop, handler.lineno)
                    statement.orelse = with_hits(statement.orelse, loop)
                    statement.finalbody = with_hits(statement.finalbody, loop)
                elif isinstance(statement, ast.Match):
                    for case in statement.cases:
                        case.body = with_hits(case.body, loop, case.pattern.lineno)
                result.append(statement)
            return result

        body = definition.body
        docstring = []
        if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            docstring, body = body[:1], body[1:]
        # The frame's last act is counter(0): the line it is on ends inside the frame,
        # before the interpreter builds StopIteration or frees the locals.
        guarded = ast.Try(body=with_hits(body, None) or [ast.Pass()], handlers=[], orelse=[],
                          finalbody=[hit(0, body[-1] if body else definition)])
        ast.copy_location(guarded, body[0] if body else definition)
        definition.body = docstring + [guarded]

        # Free variables stay free variables: the definition is compiled inside a
        # function whose parameters are their names (and a class body when the
        # function uses __class__, for super()); the original cells are then bound.
        free_names = [name for name in code.co_freevars if name != '__class__']
        holder = definition
        if '__class__' in code.co_freevars:
            holder = ast.ClassDef(name='__mprof_class', bases=[], keywords=[],
                                  body=[definition], decorator_list=[])
            ast.copy_location(holder, definition)
        outer = ast.FunctionDef(
            name='__mprof_outer',
            args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in free_names],
                               vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
                               defaults=[]),
            body=[holder, ast.Return(ast.Constant(None))], decorator_list=[], returns=None)
        ast.copy_location(outer, definition)
        module = ast.Module(body=[outer], type_ignores=[])
        ast.fix_missing_locations(module)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # "'str' object is not callable": the marker
            compiled = compile(module, code.co_filename, 'exec', dont_inherit=True)

        def find(container):
            for constant in container.co_consts:
                if isinstance(constant, types.CodeType):
                    if constant.co_name == code.co_name and constant.co_qualname.endswith(
                            code.co_name) and constant.co_name != '__mprof_outer':
                        if constant.co_firstlineno == definition.lineno:
                            return constant
                    found = find(constant)
                    if found is not None:
                        return found
            return None

        new_code = find(compiled)
        if new_code is None:
            return None
        constants = tuple(counter if type(c) is str and c == marker else c
                          for c in new_code.co_consts)
        new_code = new_code.replace(co_consts=constants, co_name=code.co_name,
                                    co_qualname=code.co_qualname)
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

    def profile(func=None, stream=None, precision=1, backend=None):
        """Profile a function's memory line by line: exact heap bytes, under mprof run.

        The table is printed by mprof when the program ends. stream, precision and
        backend are accepted for memory_profiler compatibility (use mprof run's
        --unit and --precision instead)."""
        if func is None:
            return profile
        code = getattr(func, '__code__', None)
        if code is None or not callable(func):
            return func
        import functools
        import inspect
        module = getattr(func, '__module__', None) or '?'
        counter = _mprof.register(code, module + '.' + code.co_qualname,
                                  last_line_of(func, code))
        try:
            target = instrument(func, counter)
        except Exception:
            target = None
        traced = target is None
        if traced:
            target = func
        start, stop = _mprof.start, _mprof.stop

        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator_wrapper(*args, **kwargs):
                generator = target(*args, **kwargs)
                value, error = None, None
                while True:
                    start(counter, traced)
                    try:
                        if error is not None:
                            item = generator.throw(error)
                        else:
                            item = generator.send(value)
                    except StopIteration as end:
                        return end.value
                    finally:
                        stop(traced)
                    value, error = None, None
                    try:
                        value = yield item
                    except GeneratorExit:
                        generator.close()
                        raise
                    except BaseException as raised:
                        error = raised
            return generator_wrapper

        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def coroutine_wrapper(*args, **kwargs):
                start(counter, traced)
                try:
                    return await target(*args, **kwargs)
                finally:
                    stop(traced)
            return coroutine_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            start(counter, traced)
            try:
                return target(*args, **kwargs)
            finally:
                stop(traced)
        return wrapper

    return profile
