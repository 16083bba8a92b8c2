"""Stops that signal handlers ask for, kept until a fit can raise them.

The command line turns Ctrl-C and SIGTERM into exceptions raised where the program is,
so that every ``with`` block cleans up. Python loses such an exception when the signal
lands inside a weakref callback of the garbage collector ("Exception ignored in ..."),
and a fit would then go on. So the handler also asks for the stop here, and the fit
raises it again before its next batch (``seqshape.training.PendingStop``).

Example:
    >>> from seqshape.stops import clear_stops, raise_pending, request_stop
    >>> request_stop(KeyboardInterrupt())
    >>> try:
    ...     raise_pending()
    ... except KeyboardInterrupt:
    ...     print("stopped")
    stopped
    >>> stop = KeyboardInterrupt()
    >>> request_stop(stop); is_requested(stop), is_requested(KeyboardInterrupt())
    (True, False)
    >>> clear_stops(); raise_pending()   # nothing asked for: nothing raised
"""

from __future__ import annotations

_STOPS: list[BaseException] = []


def request_stop(stop: BaseException) -> None:
    """Ask the fit running in this process to end with ``stop`` before its next batch."""
    _STOPS.append(stop)


def clear_stops() -> None:
    """Forget the stops asked for (the command line does, when it starts and ends)."""
    _STOPS.clear()


def is_requested(error: BaseException | None) -> bool:
    """Whether ``error`` is a stop asked for here (the fit raises it again)."""
    return any(error is stop for stop in _STOPS)


def raise_pending() -> None:
    """Raise the last stop asked for, if any."""
    if _STOPS:
        raise _STOPS[-1]
