"""Threads for speech recognition: CPU-heavy work that gives way to answering callers.

Recognition takes most of the CPU a call costs, in a steady stream: 20 ms of audio from
every caller, every 20 ms. Answering a caller takes short bursts: the hub's event loop,
Rasa and the action server. With ten callers on 2 cores, those bursts waited behind the
recognition of everyone else's speech, while the caller who had finished a sentence
waited for the answer. So recognition runs on threads of its own, at a lower scheduling
priority (a higher nice value, per thread on Linux): an answer goes first, and
recognition catches up with the audio it kept meanwhile. Threads of its own also keep it
out of asyncio's default pool, where the hub's short jobs (language detection of a
message) would otherwise queue behind it.

Among recognition jobs, some are urgent: the audio of a caller who has stopped talking,
whose answer waits for it. Audio of a caller still talking can wait a moment, as long
as it is heard by the end of their sentence. `RecognitionThreads.submit_first` puts a
job before all the others waiting.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from contextlib import suppress
from functools import partial
from itertools import count
from typing import Any, TypeVar

_T = TypeVar("_T")
RECOGNITION_NICENESS = 10
"""How much less the recognition threads weigh than the rest (nice: +10 gives about a
tenth of the CPU share while something else wants it, all of it otherwise)."""
_FIRST, _IN_TURN, _STOP = 0, 1, 2  # job priorities: lower first


def give_way(niceness: int = RECOGNITION_NICENESS) -> None:
    """Lower the calling thread's scheduling priority by `niceness` (Linux only: elsewhere
    the setting would apply to the whole process, so nothing is done)."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    with suppress(OSError):  # a priority is a preference: without it, still correct
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, current + niceness)


class RecognitionThreads(Executor):
    """Threads that give way (`give_way`) and take urgent jobs first, others in turn.

    As many threads as cores by default: with more, the system would share the CPU among
    jobs whatever their urgency. A job started runs to its end.
    """

    def __init__(self, name: str, workers: int | None = None) -> None:
        self._name = name
        self._workers = workers or os.cpu_count() or 1
        self._jobs: queue.PriorityQueue[tuple[int, int, Callable[[], Any], Future[Any]]]
        self._jobs = queue.PriorityQueue()
        self._order = count()  # jobs of equal priority in the order they came
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._shut_down = False

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        """Run `fn(*args, **kwargs)` after the jobs already waiting."""
        return self._put(_IN_TURN, partial(fn, *args, **kwargs))

    def submit_first(self, fn: Callable[..., _T], /, *args: Any) -> Future[_T]:
        """Run `fn(*args)` before the jobs waiting (after other urgent ones)."""
        return self._put(_FIRST, partial(fn, *args))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No more jobs; with `cancel_futures`, the waiting ones are cancelled."""
        with self._lock:
            self._shut_down = True
            threads = list(self._threads)
        if cancel_futures:
            with suppress(queue.Empty):
                while True:
                    self._jobs.get_nowait()[3].cancel()
        for _ in threads:
            self._jobs.put((_STOP, next(self._order), lambda: None, Future()))
        if wait:
            for thread in threads:
                thread.join()

    def _put(self, priority: int, job: Callable[[], _T]) -> Future[_T]:
        future: Future[_T] = Future()
        with self._lock:
            if self._shut_down:
                raise RuntimeError(f"{self._name}: cannot take jobs after shutdown")
            self._jobs.put((priority, next(self._order), job, future))
            if len(self._threads) < self._workers:
                self._start_thread()
        return future

    def _start_thread(self) -> None:
        name = f"{self._name}-{len(self._threads)}"
        # A daemon: a process that is stopping does not wait for a caller's audio.
        thread = threading.Thread(target=self._work, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _work(self) -> None:
        give_way()
        while True:
            priority, _, job, future = self._jobs.get()
            if priority == _STOP:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as error:  # handed to whoever waits for the job
                future.set_exception(error)
