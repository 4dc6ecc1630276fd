"""Recognition threads: urgent jobs first, the others in turn, nothing lost at shutdown."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

import pytest

from voice.threads import RecognitionThreads

WAIT_SECONDS = 10.0  # only a safety net against a hanging test


@pytest.fixture
def one_thread():
    threads = RecognitionThreads("test", workers=1)
    yield threads
    threads.shutdown(cancel_futures=True)


def hold(threads: RecognitionThreads) -> threading.Event:
    """Keep the only thread busy until the returned event is set."""
    started, release = threading.Event(), threading.Event()
    threads.submit(lambda: (started.set(), release.wait(WAIT_SECONDS)))
    assert started.wait(WAIT_SECONDS)
    return release


def test_a_caller_who_stopped_talking_is_heard_before_those_still_talking(one_thread):
    release = hold(one_thread)
    ran: list[str] = []
    jobs = [
        one_thread.submit(ran.append, "still talking 1"),
        one_thread.submit(ran.append, "still talking 2"),
        one_thread.submit_first(ran.append, "stopped 1"),
        one_thread.submit_first(ran.append, "stopped 2"),
    ]

    release.set()
    for job in jobs:
        job.result(WAIT_SECONDS)

    assert ran == ["stopped 1", "stopped 2", "still talking 1", "still talking 2"]


def test_a_failing_job_hands_its_error_to_whoever_waits(one_thread):
    job = one_thread.submit(lambda: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        job.result(WAIT_SECONDS)
    assert one_thread.submit(lambda: "next").result(WAIT_SECONDS) == "next"


def test_shutdown_cancels_the_jobs_waiting_and_refuses_new_ones():
    threads = RecognitionThreads("test", workers=1)
    release = hold(threads)
    waiting = threads.submit(lambda: "never")

    threads.shutdown(wait=False, cancel_futures=True)
    release.set()

    with pytest.raises(CancelledError):
        waiting.result(WAIT_SECONDS)
    with pytest.raises(RuntimeError, match="after shutdown"):
        threads.submit(lambda: None)
