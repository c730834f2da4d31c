"""SIGTERM becomes `Terminated`, also when the first raise is swallowed by a callback."""

import os
import signal
import time

import pytest

from etr._signals import Terminated, check_terminated, deferred_signals, sigterm_as_interrupt


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


def test_sigint_raises_keyboard_interrupt_not_terminated():
    with pytest.raises(KeyboardInterrupt) as info, sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    assert not isinstance(info.value, Terminated)


def test_a_deferred_signal_is_raised_when_the_block_ends():
    done = []
    with pytest.raises(Terminated), sigterm_as_interrupt():
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.2)
            done.append("finished")  # not cut in two
        done.append("never")
    assert done == ["finished"]


def test_later_signals_are_ignored_during_the_clean_up():
    steps = []
    with pytest.raises(Terminated), sigterm_as_interrupt():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C does not cut the clean-up
            time.sleep(0.2)
            steps.append("cleaned up")
    assert steps == ["cleaned up"]


def test_a_signal_deferred_outside_is_raised_as_the_command_starts():
    with sigterm_as_interrupt(), deferred_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
        with pytest.raises(Terminated), sigterm_as_interrupt():
            pytest.fail("the block must not run")
        # the inner block handled it: the outer one has nothing left to raise
