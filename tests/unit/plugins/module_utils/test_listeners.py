# -*- coding: utf-8 -*-
"""plugins/module_utils/listeners.py: one call that waits for all of a host's listeners."""

from ansible_collections.hardened.flopsar.plugins.module_utils.listeners import failure_message, label, wait_all


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


LISTENERS = [
    {"name": "agent", "address": "10.0.1.10", "port": 9000, "enabled": True},
    {"name": "ui", "address": "10.0.0.10", "port": "9443"},
]


def test_all_answer_at_once():
    clock = FakeClock()
    tried = []

    def connect(address, port, seconds):
        tried.append((address, port))
        return None

    results = wait_all(LISTENERS, 5, connect, clock, clock.sleep)
    assert [r["answered"] for r in results] == [True, True]
    assert tried == [("10.0.1.10", 9000), ("10.0.0.10", 9443)]
    assert failure_message(results, 5) == ""


def test_a_slow_listener_is_retried_until_it_answers_and_the_others_are_not():
    clock = FakeClock()
    tried = []

    def connect(address, port, seconds):
        tried.append(port)
        return None if port == 9000 or clock.now >= 2 else "Connection refused"

    results = wait_all(LISTENERS, 5, connect, clock, clock.sleep)
    assert all(r["answered"] for r in results)
    assert tried.count(9000) == 1 and tried.count(9443) == 5
    assert results[1]["seconds"] == 2.0


def test_the_deadline_names_each_silent_listener():
    clock = FakeClock()
    results = wait_all(LISTENERS, 2, lambda a, p, s: "timed out" if p == 9443 else None, clock, clock.sleep)
    assert [r["answered"] for r in results] == [True, False]
    assert clock.now <= 2.5
    assert failure_message(results, 2) == "Not answering after 2s: ui 10.0.0.10:9443 (timed out)"


def test_a_zero_timeout_still_tries_each_once():
    clock = FakeClock()
    tried = []
    wait_all(LISTENERS, 0, lambda a, p, s: tried.append(p) or "refused", clock, clock.sleep)
    assert tried == [9000, 9443]


def test_label():
    assert label({"name": "ui", "address": "fd00::1", "port": 9443}) == "ui [fd00::1]:9443"
    assert label({"address": "10.0.0.1", "port": 1}) == "10.0.0.1:1"
