"""The worker pool: tasks come back in order from reused workers; a task that overruns, eats
memory past the limit or kills its worker becomes a ``Died`` for that task alone, and the pool
replaces the worker and goes on."""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gradcheck_cli import isolation, policy
from gradcheck_cli.api import check_spec
from gradcheck_cli.isolation import Died, Pool, Task

SHEET = Path(__file__).resolve().parents[1] / "specs" / "homework" / "course-notes-sheet.yaml"


def pid(tag: int) -> tuple[int, int]:
    return tag, os.getpid()


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def hog_memory() -> int:
    return len(bytearray(4 * policy.WORKER_MEMORY))


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture
def pool() -> Iterator[Pool]:
    workers = Pool(2)
    yield workers
    workers.close()


def test_results_come_back_in_task_order_from_workers_that_are_reused(pool: Pool) -> None:
    results = pool.run([Task(pid, (i,), 5.0) for i in range(8)])
    assert [tag for tag, _ in results] == list(range(8))
    workers = {p for _, p in results}
    assert len(workers) == 2 and os.getpid() not in workers


def test_a_task_past_its_wall_clock_time_is_stopped_and_the_next_task_still_runs(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(isolation, "GRACE", 0.2)
    start = time.monotonic()
    overran, after = pool.run([Task(sleep, (30.0,), 0.3), Task(pid, (1,), 5.0)])
    assert isinstance(overran, Died) and "did not finish within 0.5 s" in overran.reason
    assert after[0] == 1
    assert time.monotonic() - start < 5.0
    assert pool.run([Task(pid, (2,), 5.0)])[0][0] == 2


def test_a_task_that_allocates_past_the_memory_limit_dies_alone(pool: Pool) -> None:
    hog, fine = pool.run([Task(hog_memory, (), 5.0), Task(pid, (7,), 5.0)])
    assert hog == Died("ran out of memory")
    assert fine[0] == 7


def test_a_worker_killed_by_a_signal_is_one_died_task_and_is_replaced(pool: Pool) -> None:
    killed, *rest = pool.run([Task(die, (), 5.0), *(Task(pid, (i,), 5.0) for i in range(3))])
    assert isinstance(killed, Died) and "SIGKILL" in killed.reason
    assert [tag for tag, _ in rest] == [0, 1, 2]


def test_a_pool_forked_into_a_child_is_not_shared_with_it() -> None:
    first = isolation.shared()
    assert isolation.shared() is first
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover — the child reports through the pipe
        os.write(write, b"new" if isolation.shared() is not first else b"same")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 4) == b"new"


def judged_in_a_daemon(queue: object) -> None:
    result = check_spec(SHEET)
    queue.put(result.verdict)  # type: ignore[attr-defined]


def test_a_daemonic_process_which_may_not_fork_judges_its_sheet_in_process() -> None:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=judged_in_a_daemon, args=(queue,), daemon=True)
    process.start()
    assert queue.get(timeout=120) == "pass"
    process.join()


def test_a_system_that_refuses_to_fork_gets_its_sheet_judged_in_process(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Pool, tasks: object) -> list[object]:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(Pool, "run", refuse)
    assert check_spec(SHEET).verdict == "pass"


def spin() -> None:
    while True:
        pass


def test_a_task_over_its_cpu_seconds_is_stopped_by_the_os(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policy, "WORKER_CPU_SECONDS", 1)  # the wall-clock limit stays 30 s away
    (spun,) = pool.run([Task(spin, (), 25.0)])
    # SIGXCPU comes from the OS's CPU limit alone: the parent's wall-clock stop is a SIGKILL,
    # reported as "did not finish within" (no wall-time bound here: a loaded machine stretches it)
    assert isinstance(spun, Died) and "used more CPU time than allowed (SIGXCPU" in spun.reason


def test_a_worker_that_died_between_tasks_costs_only_the_next_task(pool: Pool) -> None:
    pool.run([Task(pid, (0,), 5.0), Task(pid, (1,), 5.0)])
    for w in pool.workers:
        w.process.kill()
        w.process.join()
    first, second, third = pool.run([Task(pid, (i,), 5.0) for i in range(3)])
    assert isinstance(first, Died) and isinstance(second, Died)
    assert third[0] == 2


def test_a_limit_set_outside_gradcheck_is_never_raised_by_a_worker() -> None:
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover — the child reports through the pipe
        outer = 3 * 2**30
        resource.setrlimit(resource.RLIMIT_AS, (outer, resource.RLIM_INFINITY))
        isolation._ceilings.clear()
        isolation._lower(resource.RLIMIT_AS, outer + 2**30)
        raised = resource.getrlimit(resource.RLIMIT_AS)[0]
        isolation._lower(resource.RLIMIT_AS, outer - 2**30)
        lowered = resource.getrlimit(resource.RLIMIT_AS)[0]
        os.write(write, f"{raised == outer} {lowered == outer - 2**30}".encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 64) == b"True True"
