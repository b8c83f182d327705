"""Work on the chunks of a log in helper processes, results back in order.

The helpers are forked from the process that owns the work (a Celery worker
in its transaction, or ``parselog``), so they start with its parser, filter
and settings and need nothing pickled but the chunks and their results. They
never touch the database: the owner writes everything through its own
connection, in its one transaction, so a helper that dies can only make the
owner fail (and roll back), never half-store a log.

Chunks go round-robin, each helper with its own task queue and its own
result pipe, so results come back in order, and a helper killed halfway
through writing a result shows as the end of its pipe rather than leaving
the owner waiting for the rest. A helper whose owner died exits within a
second, and drops its copy of the owner's database socket at once, so the
server sees a killed owner go and rolls its transaction back.
"""

import gc
import multiprocessing
import os
import queue
import traceback
from collections.abc import Callable, Iterable, Iterator

POLL_SECONDS = 1.0


class HelperFailed(RuntimeError):
    """A helper process raised or died; the message says which and why."""


def available(wanted: int) -> int:
    """How many helpers to start: none where processes cannot be forked
    (or this is a daemonic multiprocessing child, which may not have any)."""
    if wanted < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if multiprocessing.current_process().daemon:
        return 0
    return wanted


def _serve(work: Callable, tasks, results, owner: int, inherited: list[int]) -> None:
    for fd in inherited:
        os.close(fd)
    while True:
        try:
            item = tasks.get(timeout=POLL_SECONDS)
        except (EOFError, OSError):  # the owner died, maybe halfway through a chunk
            os._exit(0)
        except queue.Empty:
            if os.getppid() != owner:
                # Not a normal exit, which would wait on queue threads that
                # may be stuck on an owner that is gone.
                os._exit(0)
            continue
        if item is None:
            return
        try:
            answer = (True, work(*item))
        except BaseException:  # any failure goes back to the owner, as text
            answer = (False, traceback.format_exc())
        try:
            results.send(answer)
        except OSError:  # the owner is gone
            os._exit(0)


class ChunkPool:
    """``processes`` helpers running ``work(*args)``; use as a context manager.
    ``owner_fds`` are descriptors the helpers close (the database socket)."""

    def __init__(self, work: Callable, processes: int, owner_fds: tuple[int, ...] = (), in_flight: int = 2):
        context = multiprocessing.get_context("fork")
        self.in_flight = in_flight  # chunks queued per helper: one in work, one waiting
        self.tasks = [context.Queue() for _ in range(processes)]
        pipes = [context.Pipe(duplex=False) for _ in range(processes)]
        self.results = [reader for reader, _ in pipes]
        self.helpers = []
        # Out of the collector's sight while forking: a helper's first full
        # collection would otherwise write to every object it inherited,
        # copying the owner's whole heap page by page.
        gc.freeze()
        try:
            for i, (_, writer) in enumerate(pipes):
                # The write ends of the task queues too: a helper holding one
                # would wait forever on a chunk its killed owner half wrote.
                inherited = [*owner_fds, *(r.fileno() for r in self.results)]
                inherited += [tasks._writer.fileno() for tasks in self.tasks]
                inherited += [w.fileno() for j, (_, w) in enumerate(pipes) if j != i]
                helper = context.Process(
                    target=_serve, args=(work, self.tasks[i], writer, os.getpid(), inherited), daemon=True
                )
                helper.start()
                self.helpers.append(helper)
        finally:
            gc.unfreeze()
            for _, writer in pipes:
                writer.close()

    def map(self, items: Iterable[tuple]) -> Iterator:
        """``work(*item)`` for each item, in order; at most ``in_flight`` items
        per helper are read ahead, so memory stays bounded whatever the log's size."""
        items = iter(items)
        n = len(self.helpers)
        sent = taken = 0
        more = True
        while True:
            while more and sent - taken < self.in_flight * n:
                item = next(items, None)
                if item is None:
                    more = False
                else:
                    self.tasks[sent % n].put(item)
                    sent += 1
            if taken == sent:
                return
            ok, value = self._result(taken % n)
            taken += 1
            if not ok:
                raise HelperFailed(f"a parser process failed:\n{value}")
            yield value

    def each(self, *args) -> list:
        """``work(*args)`` once in every helper (after ``map``): what each holds."""
        for tasks in self.tasks:
            tasks.put(args)
        answers = [self._result(i) for i in range(len(self.helpers))]
        for ok, value in answers:
            if not ok:
                raise HelperFailed(f"a parser process failed:\n{value}")
        return [value for _, value in answers]

    def _result(self, i: int):
        pipe, helper = self.results[i], self.helpers[i]
        while not pipe.poll(POLL_SECONDS):
            if helper.exitcode is not None:
                raise HelperFailed(f"a parser process died (exit code {helper.exitcode})")
        try:
            return pipe.recv()
        except (EOFError, OSError):
            helper.join(timeout=5)
            raise HelperFailed(f"a parser process died (exit code {helper.exitcode})") from None

    def close(self) -> None:
        for helper in self.helpers:
            if helper.is_alive():
                helper.kill()
        for helper in self.helpers:
            helper.join(timeout=5)
        for tasks in self.tasks:
            tasks.cancel_join_thread()
            tasks.close()
        for pipe in self.results:
            pipe.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
