"""SIGTERM becomes `Terminated`, also when the first raise is swallowed by a callback."""

import os
import signal
import time

import pytest

from etr._signals import Terminated, check_terminated, sigterm_as_interrupt


def test_sigterm_raises_terminated_in_the_block():
    with pytest.raises(Terminated), sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)


def test_a_swallowed_sigterm_is_raised_again_at_the_next_checkpoint():
    with sigterm_as_interrupt():
        try:  # as a weak-reference callback or __del__ would: printed "ignored", then dropped
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except Terminated:
            pass
        with pytest.raises(Terminated):
            check_terminated()
    check_terminated()  # outside the block the signal is forgotten


def test_no_signal_no_raise():
    with sigterm_as_interrupt():
        check_terminated()
