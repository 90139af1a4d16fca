"""The kernel `nbtrack run` starts filters routine log lines, and only those."""

from __future__ import annotations

import logging

import zmq

from nbtrack.execute.kernel import KernelNoiseFilter


def _record(message: str, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error is not None else None
    return logging.LogRecord("IPKernelApp", logging.ERROR, __file__, 1, message, (), exc_info)


def test_routine_shutdown_lines_are_dropped() -> None:
    keep = KernelNoiseFilter().filter
    assert not keep(_record("KeyboardInterrupt caught in kernel."))
    assert not keep(_record("Kernel is running over TCP without encryption. All ..."))
    closed = zmq.ZMQError(zmq.ENOTSOCK)
    assert not keep(_record("Exception in message handler:", closed))


def test_real_kernel_errors_are_kept() -> None:
    keep = KernelNoiseFilter().filter
    assert keep(_record("Exception in message handler:", ValueError("bad reply")))
    assert keep(_record("Parent appears to have exited, shutting down."))
    assert keep(_record("the disk is on fire"))
