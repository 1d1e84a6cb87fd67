#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: listeners_answer
short_description: Check in one call that every listener answers on its exact address and port
version_added: 1.1.0
author: hardened.flopsar engineers (@hardened-flopsar)
description:
  - Opens a TCP connection to each listener of O(listeners), from the host the task runs on, and closes it.
  - Tries every listener that has not answered yet, round after round, until all have answered or O(timeout)
    seconds have passed; fails naming each listener that did not answer and why.
  - One call for all of a host's listeners, where M(ansible.builtin.wait_for) takes one call per listener.
  - Changes nothing.
options:
  listeners:
    description:
      - The listeners, as the surface model resolves them (C(server_surface), C(crowdsec_surface)).
      - Each has C(address) and C(port); C(name) labels it in messages. Other keys are ignored.
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds to wait for all of them.
    type: int
    default: 5
attributes:
  check_mode:
    description: Connects the same in check mode (it changes nothing).
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Check every listener answers on its address and port
  hardened.flopsar.listeners_answer:
    listeners: "{{ server_surface | selectattr('enabled') | list }}"
    timeout: 5
"""

RETURN = r"""
listeners:
  description: Each listener with whether it answered, after how many seconds, and the last error.
  type: list
  elements: dict
  returned: always
  sample:
    - {name: ui, address: 10.0.0.10, port: 9443, answered: true, seconds: 0.002, error: ""}
"""

import socket
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hardened.flopsar.plugins.module_utils.listeners import failure_message, wait_all


def connect(address, port, seconds):
    try:
        with socket.create_connection((address, port), timeout=seconds):
            return None
    except OSError as exc:
        return str(exc) or exc.__class__.__name__


def main():
    module = AnsibleModule(
        argument_spec=dict(
            listeners=dict(type="list", elements="dict", required=True),
            timeout=dict(type="int", default=5),
        ),
        supports_check_mode=True,
    )
    listeners = module.params["listeners"]
    missing = [i for i, item in enumerate(listeners) if "address" not in item or "port" not in item]
    if missing:
        module.fail_json(msg="listeners: each needs an address and a port (items %s do not)" % missing)
    timeout = module.params["timeout"]
    results = wait_all(listeners, timeout, connect, time.monotonic, time.sleep)
    message = failure_message(results, timeout)
    if message:
        module.fail_json(msg=message, listeners=results)
    module.exit_json(changed=False, listeners=results)


if __name__ == "__main__":
    main()
