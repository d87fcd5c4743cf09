"""Ctrl-C during a blocking unary call: the call is always cancelled.

grpcio's blocking unary call raises KeyboardInterrupt from inside its wait
for the answer, and the broker then sees the call cancelled. But grpcio
starts the call from Cython that runs a little Python (a lock's
``__enter__``/``__exit__``); an interrupt raised there escapes after the
call has started and before grpcio holds it, so the call runs on the broker
until its deadline.

The same holds for a thread reading a Stream's answers (_segregated.py):
an interrupt raised inside grpcio's read could lose an answer.

`install()` replaces Python's default SIGINT handler with one that behaves
the same except inside those windows: in a unary call's start it
re-delivers the interrupt a millisecond later, when grpcio waits and
cancels the call as it unwinds; in a stream's read it asks the stream to
raise it between two answers.
It is installed once, from the main thread, and only over Python's own
default handler (a program's own SIGINT handler is left alone).
"""
from __future__ import annotations

import linecache
import signal
import threading
import _thread

_installed = False


def _in_call_start(frame) -> bool:
    """True while grpcio's blocking unary call is being started: a frame of
    grpc/_channel.py's `_blocking` stands on its `segregated_call` line."""
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_blocking" and code.co_filename.endswith("_channel.py"):
            return "segregated_call" in linecache.getline(code.co_filename, frame.f_lineno)
        frame = frame.f_back
    return False


def _leading_stream(frame):
    """The SegregatedStream whose answers this thread is reading, if any."""
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_lead" and code.co_filename.endswith("_segregated.py"):
            return frame.f_locals.get("self")
        frame = frame.f_back
    return None


def _handler(signum, frame) -> None:
    if _in_call_start(frame):
        # Once grpcio waits for the answer it raises the interrupt itself.
        threading.Timer(0.001, _thread.interrupt_main).start()
        return
    stream = _leading_stream(frame)
    if stream is not None:
        stream.interrupt()  # raised by the reading thread between two answers
        return
    raise KeyboardInterrupt


def install() -> None:
    """Installs the handler (idempotent; a no-op off the main thread or when
    SIGINT has a handler other than Python's default)."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _handler)
            _installed = True
    except (ValueError, OSError):  # no signals here (embedded interpreter)
        pass
