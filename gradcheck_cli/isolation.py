"""Worker processes with OS limits, for work that budgets cannot reach.

SymPy and NumPy can block in C (a big-integer power, an allocation) where no alarm fires. Such
work runs in a small pool of forked workers, each under ``resource.setrlimit`` limits on its
address space (``policy.WORKER_MEMORY``) and CPU seconds, and under a wall-clock timeout kept by
the parent. Workers are reused from task to task, so the cost is one pipe round trip per task
(``benchmarks/bench_isolation.py`` measures it). A worker that dies or overruns is killed and
replaced; its task alone becomes a ``Died`` with the reason.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing as mp
import os
import resource
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from gradcheck_cli import policy

#: Seconds a worker may run past its task's own budget (which the task's alarms enforce) before
#: the parent kills it: room for the alarm to unwind and the result to be sent.
GRACE = 5.0


@dataclass(frozen=True)
class Task:
    """``function(*args)`` with ``seconds`` of wall-clock time (the worker's CPU limit too)."""

    function: Callable[..., Any]
    args: tuple[Any, ...]
    seconds: float


@dataclass(frozen=True)
class Died:
    """The worker running a task died or overran: why, in one line."""

    reason: str


#: The soft limits the worker was started with (a CI's ``ulimit``), which no task may exceed.
_ceilings: dict[int, int] = {}


def _lower(kind: int, soft: int) -> None:
    """Set the soft limit ``kind`` to ``soft``, or to the limit the worker started with (soft or
    hard) where that is lower: a limit set outside gradcheck is never raised."""
    start, hard = resource.getrlimit(kind)
    ceiling = _ceilings.setdefault(kind, start)
    limits = [v for v in (ceiling, hard) if v != resource.RLIM_INFINITY]
    resource.setrlimit(kind, (min([soft, *limits]), hard))


def _limit_cpu(seconds: float) -> None:
    """This process may use ``seconds`` more CPU seconds (then SIGXCPU ends it)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = used.ru_utime + used.ru_stime
    _lower(resource.RLIMIT_CPU, int(spent + seconds) + 1)


def _mapped() -> int:
    """Bytes of address space this process has mapped now (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _serve(conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; ^C must not kill a worker mid-send
    # WORKER_MEMORY on top of what the fork inherited: NumPy's BLAS maps buffers per core at import,
    # gigabytes of address space on a large machine, of which little is ever touched
    _lower(resource.RLIMIT_AS, _mapped() + policy.WORKER_MEMORY)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        _limit_cpu(min(task.seconds + GRACE, policy.WORKER_CPU_SECONDS))
        try:
            conn.send(("ok", task.function(*task.args)))
        except MemoryError:
            conn.send(("died", "ran out of memory"))


class _Worker:
    def __init__(self, context: Any) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.index: int | None = None
        self.until = 0.0

    def start(self, index: int, task: Task) -> None:
        self.index, self.until = index, time.monotonic() + task.seconds + GRACE
        with contextlib.suppress(OSError):  # a worker that died since its last task: collected as Died
            self.conn.send(task)

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class Pool:
    """A few workers fed one task each at a time; results come back in the order of the tasks."""

    def __init__(self, size: int | None = None) -> None:
        self.context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        self.size = max(1, size or policy.WORKERS)
        self.workers: list[_Worker] = []
        self.owner = os.getpid()

    def run(self, tasks: Sequence[Task]) -> list[Any]:
        """Each task's return value, or a ``Died`` for a task whose worker died or overran."""
        results: dict[int, Any] = {}
        queue = list(enumerate(tasks))[::-1]
        for w in [w for w in self.workers if w.index is not None]:  # busy since an interrupted run
            self._replace(w)
        while len(self.workers) < min(self.size, len(tasks)):
            self.workers.append(_Worker(self.context))
        while queue or any(w.index is not None for w in self.workers):
            for w in self.workers:
                if w.index is None and queue:
                    index, task = queue.pop()
                    w.start(index, task)
            busy = [w for w in self.workers if w.index is not None]
            soonest = min(w.until for w in busy) - time.monotonic()
            ready = wait([w.conn for w in busy], timeout=max(soonest, 0.01))
            for w in busy:
                if w.conn in ready or w.until < time.monotonic():
                    self._collect(w, w.conn in ready, tasks, results)
        return [results[i] for i in range(len(tasks))]

    def _collect(self, w: _Worker, ready: bool, tasks: Sequence[Task], results: dict[int, Any]) -> None:
        assert w.index is not None
        index, w.index = w.index, None
        try:
            if not ready:
                raise TimeoutError
            status, value = w.conn.recv()
            results[index] = value if status == "ok" else Died(value)
            return
        except TimeoutError:
            results[index] = Died(f"did not finish within {tasks[index].seconds + GRACE:g} s "
                                  "(the worker was stopped)")
        except (EOFError, OSError):
            results[index] = Died(_death(w.process))
        self._replace(w)

    def _replace(self, w: _Worker) -> None:
        w.stop()
        self.workers[self.workers.index(w)] = _Worker(self.context)

    def close(self) -> None:
        for w in self.workers:
            if w.process.is_alive():
                with contextlib.suppress(OSError):
                    w.conn.send(None)
            w.process.join(timeout=1)
            if w.process.is_alive():
                w.stop()
        self.workers = []


def _death(process: Any) -> str:
    process.join(timeout=1)
    code = process.exitcode
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        if -code == signal.SIGXCPU:
            return f"used more CPU time than allowed ({name}; limit: the question's budget)"
        if -code == signal.SIGKILL:
            return f"was killed ({name}: over the memory limit of {policy.WORKER_MEMORY / 2**30:g} GiB?)"
        return f"died of {name}"
    return f"died (exit code {code})"


_shared: list[Pool] = []


def available() -> bool:
    """Whether this process may start workers: a daemonic process (a worker of someone else's
    ``multiprocessing`` pool) may not have children, and judges in-process instead."""
    return not mp.current_process().daemon


def shared() -> Pool:
    """The process's pool, created on first use and closed at exit (workers outlive one file).
    A process forked from the pool's owner (a worker, a test) gets a pool of its own."""
    if not _shared or _shared[0].owner != os.getpid():
        pool = Pool()
        _shared[:] = [pool]
        atexit.register(pool.close)
    return _shared[0]
