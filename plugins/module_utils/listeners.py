# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until every listener of a list answers a TCP connection on its exact address and port.

One pass over all of them per round, until each has answered or the deadline has passed: a verify
run pays for one module call however many listeners a host has. ``wait_all()`` is pure: the caller
passes how to connect, the clock and how to sleep (plugins/modules/listeners_answer.py passes sockets).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)


def label(listener):
    """'name address:port' ([address] for IPv6), as people read it in a message."""
    address = listener["address"]
    if ":" in address:
        address = "[%s]" % address
    name = listener.get("name") or ""
    return ("%s %s:%s" % (name, address, listener["port"])).strip()


def wait_all(listeners, timeout, connect, clock, sleep, interval=0.5):
    """Each listener with ``answered`` (bool), ``seconds`` (until it answered) and ``error`` (the last one).

    ``connect(address, port, seconds)`` returns None when the connection is accepted, else the error text.
    Every listener is tried at least once, even with a timeout of 0.
    """
    start = clock()
    deadline = start + max(0, timeout)
    results = [
        dict(name=item.get("name") or "", address=item["address"], port=int(item["port"]), answered=False, error="")
        for item in listeners
    ]
    pending = list(results)
    while pending:
        for item in list(pending):
            left = max(0.1, min(1.0, deadline - clock()))
            error = connect(item["address"], item["port"], left)
            if error is None:
                item.update(answered=True, error="", seconds=round(clock() - start, 3))
                pending.remove(item)
            else:
                item["error"] = error
        if not pending or clock() >= deadline:
            break
        sleep(interval)
    return results


def failure_message(results, timeout):
    """The message of a failed check ('' when every listener answered)."""
    silent = [r for r in results if not r["answered"]]
    if not silent:
        return ""
    return "Not answering after %ss: %s" % (
        timeout,
        "; ".join("%s (%s)" % (label(r), r["error"] or "no answer") for r in silent),
    )
