"""Stopping a run cleanly: SIGTERM acts like Ctrl-C, and no signal interrupts the writing of the reports."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HELD = (signal.SIGINT, signal.SIGTERM)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_keyboard_interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def sigterm_as_keyboard_interrupt() -> Callable[[], None]:
    """SIGTERM raises KeyboardInterrupt (pytest then ends the session as for Ctrl-C); returns the undo.

    NOTE: only where SIGTERM still has its default action (kill at once) and in the main thread,
    the only one Python delivers signals to; a handler someone else installed is left alone.
    """
    if not _in_main_thread() or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM off while the block runs (it writes files that belong together).

    A signal that arrives meanwhile is recorded in the yielded list, not acted on: the run is
    ending anyway, and finishing the write is what keeps the report folder consistent.
    """
    received: list[int] = []
    if not _in_main_thread():
        yield received
        return
    previous = {signum: signal.signal(signum, lambda s, f: received.append(s)) for signum in HELD}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
