"""pytest_mprof — pytest-memray's memory markers, enforced on mprof's exact heap counts.

pytest loads it with no flag from the pytest11 entry point of the distribution mprof
beside it (lib/mprof/python/mprof.dist-info), wherever that directory is visible to it.
Under `mprof run PYTHON -m pytest ...` the preload library puts the module `mprof` in
sys.modules (its in-process API: heap_live_bytes, reset_heap_peak, heap_peak_bytes,
pause_heap_peak, top_lines), and then:

    @pytest.mark.limit_memory("24 MB")  fails a test whose own peak heap during its call
                                        (the window's peak minus the heap live when the
                                        call began) reaches 24 MB
    @pytest.mark.limit_leaks("1 MB")    fails a test that leaves 1 MB of heap live after
                                        its call (gc.collect() before and after it)
    --most-allocations=N                the N tests with the highest own peak, at the end

Sizes are read as pytest-memray reads them (KB = KiB = 1024 B); a test fails when its
figure reaches the limit, as there. Anywhere else (no `mprof` API in sys.modules: it is
never imported from disk, where memory_profiler's own mprof.py may be) the markers are
registered and not enforced, and one line at the start of the session says how to
enforce them, as pytest-memray does without --memray.

The invariant: a heap window is open only around the test's own call (the test function
under pytest_pyfunc_call; the whole runtest of other items), and this plugin allocates
nothing inside it but the window's own start figure, so the figures are the test's, and
pytest's arguments for the call (about a hundred bytes), and nothing else of the harness.
"""
import functools
import gc
import heapq
import importlib.util
import os
import re
import sys

import pytest

# Marker name -> the keyword arguments pytest-memray's marker takes beside its limit
# (the limit's own keyword name first).
MARKER_ARGUMENTS = {
    'limit_memory': ('limit', 'current_thread_only'),
    'limit_leaks': ('location_limit', 'filter_fn', 'current_thread_only'),
}
MARKER_HELP = {
    'limit_memory': 'limit_memory(limit, *, current_thread_only=False): fail the test when '
                    'its own peak heap during its call reaches limit (e.g. "24 MB"; '
                    'enforced under mprof run)',
    'limit_leaks': 'limit_leaks(location_limit, *, filter_fn=None, current_thread_only=False): '
                   'fail the test when the heap it leaves live reaches location_limit '
                   '(e.g. "1 MB"; enforced under mprof run)',
}
# How many lines a failure names (under mprof run --lines), and the summary for each
# test; and how many more are asked for, as pytest's and pluggy's own lines in the window
# (the call's arguments, about a hundred bytes) are left out.
LINES_NAMED = 5
LINES_SKIPPED_AT_MOST = 10
# pytest-memray's --most-allocations default, for --memray.
MEMRAY_MOST_ALLOCATIONS = 5

# pytest-memray's grammar: a number, spaces, a unit; KB is 1024 B there. KiB and its
# kin are the same sizes under their exact names.
SIZE_PATTERN = re.compile(r'\s*\+?(?P<number>\d*\.\d+|\d+)\s*(?P<unit>[KMGTP]i?B|B)\s*',
                          re.IGNORECASE)
UNIT_POWERS = {'B': 0, 'K': 1, 'M': 2, 'G': 3, 'T': 4, 'P': 5}
SIZE_FORMS = 'a number and a unit: B, KB, MB, GB, TB, PB or KiB, MiB, GiB, TiB, PiB ' \
             '(KB = KiB = 1024 B, as pytest-memray reads them)'


def parse_size(text):
    """The bytes `text` ("24 MB", "1.5 GiB", "512 B"; an int is bytes) stands for, rounded
    up to a whole byte. Raises ValueError naming the text when it is no size."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    match = SIZE_PATTERN.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError('%r is not a size: %s' % (text, SIZE_FORMS))
    number = match.group('number')
    whole, _, fraction = number.partition('.')
    scale = 1024 ** UNIT_POWERS[match.group('unit')[0].upper()]
    # Exact arithmetic: "0.1 KB" is 102.4 B, so 103 B reach it and 102 B do not.
    numerator = int(whole or '0') * 10 ** len(fraction) + int(fraction or '0')
    return -(-numerator * scale // 10 ** len(fraction))


def human_size(count):
    """count bytes in the largest binary unit under 1024 of it, one decimal: 28.6 MiB."""
    value = float(count)
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if abs(value) < 1024 or unit == 'TiB':
            return '%d B' % count if unit == 'B' else '%.1f %s' % (value, unit)
        value /= 1024


def exact_size(count):
    """30,000,057 B (28.6 MiB): the exact figure first, the readable one beside it."""
    if -1024 < count < 1024:
        return '%d B' % count
    return '{:,} B ({})'.format(count, human_size(count))


class Limit:
    """One limit marker of a test, parsed: its name, its text as written, its bytes, and
    the pytest-memray arguments that mprof takes but cannot apply (named on failure)."""

    def __init__(self, marker):
        self.name = marker.name
        names = MARKER_ARGUMENTS[self.name]
        unknown = sorted(set(marker.kwargs) - set(names))
        if unknown:
            raise ValueError('unexpected argument %s (it takes %s)'
                             % (', '.join(unknown), ', '.join(names)))
        given = list(marker.args)
        if names[0] in marker.kwargs:
            given.append(marker.kwargs[names[0]])
        if len(given) != 1:
            raise ValueError('takes one limit, e.g. "24 MB"; got %d' % len(given))
        self.text = given[0]
        self.limit_bytes = parse_size(self.text)
        self.unapplied = [name for name in names[1:] if marker.kwargs.get(name)]

    def written(self):
        """The marker as a test writes it: limit_memory("24 MB")."""
        if isinstance(self.text, str) and '"' not in self.text:
            return '%s("%s")' % (self.name, self.text)
        return '%s(%r)' % (self.name, self.text)


class Measurement:
    """What one test did to the heap: its own peak and what it left live (bytes, against
    the heap live when its call began), the lines that allocated most (under --lines,
    when asked for), and the limits it reached."""

    def __init__(self, peak_bytes, left_bytes, collected):
        self.peak_bytes = peak_bytes
        self.left_bytes = left_bytes
        self.collected = collected
        self.lines = None
        self.problems = []


def marker_limits(item):
    """The item's limit markers, parsed (the closest of each kind), or raises
    ValueError with the marker as written."""
    limits = []
    for name in MARKER_ARGUMENTS:
        marker = item.get_closest_marker(name)
        if marker is None:
            continue
        try:
            limits.append(Limit(marker))
        except ValueError as error:
            arguments = [repr(a) for a in marker.args]
            arguments += ['%s=%r' % pair for pair in marker.kwargs.items()]
            why = '@pytest.mark.%s(%s): %s' % (name, ', '.join(arguments), error)
            raise ValueError(why) from None
    return limits


def mprof_api():
    """The in-process API of mprof run, or None outside it. Only sys.modules is asked:
    importing `mprof` from disk would load memory_profiler's command-line module."""
    api = sys.modules.get('mprof')
    if api is None or not all(hasattr(api, name) for name in (
            'heap_live_bytes', 'reset_heap_peak', 'pause_heap_peak', 'top_lines')):
        return None
    return api


# ---- options and markers (loaded anywhere) --------------------------------------------

@functools.lru_cache(maxsize=None)
def memray_installed():
    """Whether pytest-memray is here: its options (--memray, --most-allocations,
    --hide-memray-summary) are then its own, and this plugin reads them from it."""
    return importlib.util.find_spec('pytest_memray') is not None


def pytest_addoption(parser):
    if memray_installed():
        return
    group = parser.getgroup('memray', 'memory limits (mprof; pytest-memray compatible)')
    group.addoption('--most-allocations', type=int, default=None, metavar='N',
                    help='at the end, the N tests whose own peak heap was highest '
                         '(0: all), under mprof run')
    group.addoption('--memray', action='store_true', default=False,
                    help="pytest-memray's switch: accepted; under mprof run the limits are "
                         'enforced without it, and it shows the --most-allocations summary '
                         '(%d tests unless said otherwise)' % MEMRAY_MOST_ALLOCATIONS)
    group.addoption('--hide-memray-summary', action='store_true', default=False,
                    help="pytest-memray's: no --memray summary at the end")
    parser.addini('most_allocations', 'as --most-allocations')
    parser.addini('memray', 'as --memray', type='bool')
    parser.addini('hide_memray_summary', 'as --hide-memray-summary', type='bool')


def option_or_ini(config, name):
    value = config.getoption(name, default=None)
    if value is None or value is False:  # (0 is a value: --most-allocations=0)
        try:
            value = config.getini(name)
        except ValueError:  # pytest-memray's ini name not registered: neither is given
            return None
    return value


def summary_size(config):
    """How many tests the end summary lists: None for no summary, 0 for all.
    --most-allocations asks for it, --memray too (pytest-memray's 5 tests), and
    --hide-memray-summary hides it whatever asked. When the options are pytest-memray's
    own, its --most-allocations always has a value: only --memray asks then."""
    if option_or_ini(config, 'hide_memray_summary'):
        return None
    memray = option_or_ini(config, 'memray')
    if not memray and memray_installed():
        return None
    most = option_or_ini(config, 'most_allocations')
    if most is None or most == '':
        return MEMRAY_MOST_ALLOCATIONS if memray else None
    try:
        return max(int(most), 0)
    except ValueError:
        raise pytest.UsageError('mprof: most_allocations = %r: not a number' % most) from None


def pytest_configure(config):
    for name in MARKER_ARGUMENTS:
        config.addinivalue_line('markers', MARKER_HELP[name])
    api = mprof_api()
    if api is None:
        config.pluginmanager.register(NotEnforced(config), 'mprof-not-enforced')
    else:
        config.pluginmanager.register(HeapLimits(config, api), 'mprof-limits')


def write_line(config, text):
    reporter = config.pluginmanager.get_plugin('terminalreporter')
    if reporter is not None:
        reporter.write_line(text)


class NotEnforced:
    """Outside mprof run: the markers do nothing; the session says so once."""

    def __init__(self, config):
        self.config = config

    @pytest.hookimpl(hookwrapper=True)
    def pytest_sessionstart(self, session):
        yield  # after the header, when there is one
        write_line(self.config, 'mprof: limit_memory and limit_leaks are not enforced here; '
                                'run under mprof to enforce them: mprof run %s -m pytest ...'
                   % sys.executable)


# ---- under mprof run ---------------------------------------------------------------------

LIMITS_KEY = pytest.StashKey()       # the test's Limit list, when it has any
BAD_LIMIT_KEY = pytest.StashKey()    # why a marker of the test is no limit
MEASUREMENT_KEY = pytest.StashKey()  # its Measurement, once its call has run


def through_pyfunc_call(item):
    """Whether the item's runtest is Function's, which calls the test function inside
    pytest_pyfunc_call: its window is then that call alone (not pytest's own bookkeeping
    around it, such as the PYTEST_CURRENT_TEST variable, which glibc never frees)."""
    return isinstance(item, pytest.Function) and type(item).runtest is pytest.Function.runtest


class HeapLimits:
    """Under mprof run: measures the tests that have limits (every test for the summary),
    fails those that reach them, and lists the highest peaks at the end."""

    def __init__(self, config, api):
        self.config = config
        self.api = api
        self.summary_size = summary_size(config)
        self.lines_on = api.top_lines(1) is not None
        # The summary's tests: (peak, sequence, nodeid, measurement), a min-heap of the
        # highest summary_size peaks (every test for 0).
        self.highest = []
        self.sequence = 0
        self.windows_registered = False
        import _pytest
        import pluggy
        self.harness_folders = tuple(os.path.dirname(module.__file__) + os.sep
                                     for module in (_pytest, pluggy))

    def harness_file(self, filename):
        """Whether a line's file is pytest's, pluggy's or this plugin's own."""
        return filename == __file__ or filename.startswith(self.harness_folders)

    def pytest_report_header(self, config):
        lines = ('failures name the lines that allocated most' if self.lines_on else
                 'failures name no lines: mprof run --lines ... for them')
        return ['mprof: limit_memory and limit_leaks enforced on the exact heap of the '
                'whole process; %s' % lines]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        """Each test's limits, parsed once it is known which tests run; the per-test
        hooks are registered only when some test has a limit or the summary is asked
        for, so that a suite with neither pays nothing per test."""
        measured = self.summary_size is not None
        for item in items:
            try:
                limits = marker_limits(item)
            except ValueError as error:
                item.stash[BAD_LIMIT_KEY] = 'mprof: %s' % error
                measured = True
                continue
            if limits:
                item.stash[LIMITS_KEY] = limits
                measured = True
        if measured and not self.windows_registered:
            self.windows_registered = True
            config.pluginmanager.register(TestWindows(self), 'mprof-test-windows')

    def window(self, item):
        """The hook wrapper's body: a heap window around the call it wraps."""
        limits = item.stash.get(LIMITS_KEY, ())
        collect = any(limit.name == 'limit_leaks' for limit in limits)
        api = self.api
        if collect:
            gc.collect()  # the garbage of earlier tests is not freed inside this one
        start_bytes = api.reset_heap_peak()
        outcome = yield
        peak_bytes = api.pause_heap_peak()
        if collect:
            gc.collect()
        left_bytes = api.heap_live_bytes() - start_bytes
        # The lines' sums go on after the pause: what this plugin allocated since is
        # charged to its own lines, which are left out below.
        lines = api.top_lines(LINES_NAMED + LINES_SKIPPED_AT_MOST) if self.lines_on else None
        measurement = Measurement(peak_bytes - start_bytes, left_bytes, collect)
        if outcome.excinfo is None:
            measurement.problems = [limit for limit in limits
                                    if self.figure(measurement, limit) >= limit.limit_bytes]
        if lines is not None:
            measurement.lines = [line for line in lines if not self.harness_file(line[2])]
            del measurement.lines[LINES_NAMED:]
        item.stash[MEASUREMENT_KEY] = measurement
        self.remember(item, measurement)
        return outcome

    @staticmethod
    def figure(measurement, limit):
        if limit.name == 'limit_memory':
            return measurement.peak_bytes
        return measurement.left_bytes

    def in_summary(self, measurement):
        if self.summary_size is None:
            return False
        return (self.summary_size == 0 or len(self.highest) < self.summary_size
                or measurement.peak_bytes > self.highest[0][0])

    def remember(self, item, measurement):
        if not self.in_summary(measurement):
            return
        self.sequence += 1
        entry = (measurement.peak_bytes, -self.sequence, item.nodeid, measurement)
        if self.summary_size and len(self.highest) >= self.summary_size:
            heapq.heapreplace(self.highest, entry)
        else:
            heapq.heappush(self.highest, entry)

    def failure_lines(self, measurement):
        lines = []
        for limit in measurement.problems:
            figure = self.figure(measurement, limit)
            relation = 'at' if figure == limit.limit_bytes else 'over'
            if limit.name == 'limit_memory':
                what = "the test's own peak heap was %s" % exact_size(figure)
            else:
                what = 'the test left %s of heap live%s' % (
                    exact_size(figure), ' (after gc.collect())' if measurement.collected else '')
            lines.append('mprof: %s, %s its %s of %s' % (
                what, relation, limit.written(), exact_size(limit.limit_bytes)))
            if limit.unapplied:
                lines.append('    (%s: not applied by mprof, which counts the whole '
                             "process's heap)" % ', '.join(limit.unapplied))
        lines.extend(self.lines_text(measurement))
        return lines

    def lines_text(self, measurement, indent='    '):
        if measurement.lines is None:
            return ['%sthe lines that allocated most are named under mprof run --lines %s '
                    '-m pytest ...' % (indent, sys.executable)]
        if not measurement.lines:
            return ['%sno line of Python allocated during the test' % indent]
        text = ['%slines that allocated most during the test:' % indent]
        for size, count, filename, lineno, function in measurement.lines:
            text.append('%s%s%14s in %7s allocation%s  %s:%d %s' % (
                indent, indent, '{:,} B'.format(size), '{:,}'.format(count),
                ' ' if count == 1 else 's', self.shown_path(filename), lineno, function))
        return text

    def shown_path(self, filename):
        """A file under the rootdir as pytest names it, relative; any other in full."""
        root = str(self.config.rootpath)
        if filename.startswith(root + os.sep):
            return filename[len(root) + 1:]
        return filename

    def pytest_terminal_summary(self, terminalreporter):
        if self.summary_size is None:
            return
        ranked = sorted(self.highest, reverse=True)
        terminalreporter.write_sep('=', 'mprof: the %d test%s with the highest own peak heap'
                                   % (len(ranked), '' if len(ranked) == 1 else 's'))
        for peak_bytes, _, nodeid, measurement in ranked:
            terminalreporter.write_line('%16s peak %16s left live%s  %s' % (
                '{:,} B'.format(peak_bytes), '{:,} B'.format(measurement.left_bytes),
                ' (collected)' if measurement.collected else '', nodeid))
            if self.lines_on:
                for line in self.lines_text(measurement):
                    terminalreporter.write_line(line)


class TestWindows:
    """The per-test hooks of HeapLimits: a heap window around each measured test's call,
    and the report of a test that reached a limit turned into a failure."""

    def __init__(self, limits):
        self.limits = limits

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        why = item.stash.get(BAD_LIMIT_KEY, None)
        if why is not None:
            pytest.fail(why, pytrace=False)

    def measured(self, item):
        return self.limits.summary_size is not None or LIMITS_KEY in item.stash

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_call(self, item):
        if through_pyfunc_call(item) or not self.measured(item):
            yield
            return
        outcome = yield from self.limits.window(item)
        del outcome

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        if not through_pyfunc_call(pyfuncitem) or not self.measured(pyfuncitem):
            yield
            return
        outcome = yield from self.limits.window(pyfuncitem)
        del outcome

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        if call.when != 'call':
            return
        measurement = item.stash.get(MEASUREMENT_KEY, None)
        report = outcome.get_result()
        if measurement is None or not measurement.problems or report.outcome != 'passed':
            return
        report.outcome = 'failed'
        report.longrepr = Failure(self.limits.failure_lines(measurement))

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report, config):
        if (report.when == 'call' and report.outcome == 'failed'
                and isinstance(report.longrepr, Failure)):
            # pytest-memray's letter and word for a test failed on memory.
            return 'failed', 'M', 'MEMORY PROBLEMS'
        return None


class Failure(str):
    """A memory failure's text, as a report's longrepr: printed whole in the failure's
    section, and its first line on the short summary's FAILED line (pytest reads it from
    reprcrash.message); toterminal keeps it a plain string for report serialisation."""

    def __new__(cls, lines):
        failure = super().__new__(cls, '\n'.join(lines))
        failure.reprcrash = CrashLine(lines[0])
        return failure

    def toterminal(self, out):
        for line in self.split('\n'):
            out.line(line)


class CrashLine:
    def __init__(self, message):
        self.message = message
