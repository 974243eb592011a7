"""mp_logger.py — memory_profiler's README "Reporting via logger Module" (its
examples/reporting_logger.py, smaller lists): sys.stdout sent to a LogFile, then two
functions decorated with the imported profile; the tables go to the log file given."""
import logging
import sys

from memory_profiler import LogFile, profile

logger = logging.getLogger('memory_profile_log')
logger.setLevel(logging.DEBUG)
handler = logging.FileHandler(sys.argv[1])
handler.setLevel(logging.DEBUG)
handler.setFormatter(logging.Formatter('%(asctime)s - %(name)s - %(levelname)s - %(message)s'))
logger.addHandler(handler)
sys.stdout = LogFile('memory_profile_log', reportIncrementFlag=False)


@profile
def my_func():
    a = [1] * (10 ** 5)
    b = [2] * (2 * 10 ** 6)
    del b
    return a


@profile
def my_func1():
    a = [2] * (10 ** 5)
    b = [3] * (2 * 10 ** 6)
    del b
    return a


if __name__ == '__main__':
    my_func()
    my_func1()
