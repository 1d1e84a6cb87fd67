"""The benchmark lab: benchmarks/lab.yml built and removed by Molecule's own lab playbooks
(molecule/shared/create.yml, destroy.yml), the inventory written from the same description."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .common import BENCH, REPO, log

DESCRIPTION = BENCH / "lab.yml"
CREATE = REPO / "molecule" / "shared" / "create.yml"
DESTROY = REPO / "molecule" / "shared" / "destroy.yml"


def substitute(value):
    """${VAR} from the environment, as Molecule substitutes molecule.yml (a missing one is an error here)."""
    if isinstance(value, str):
        return re.sub(r"\$\{(\w+)\}", lambda m: os.environ[m.group(1)], value)
    if isinstance(value, list):
        return [substitute(v) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v) for k, v in value.items()}
    return value


class Lab:
    def __init__(self, work):
        self.work = Path(work)
        self.desc = yaml.safe_load(DESCRIPTION.read_text())
        self.hosts = {}  # name -> platform, the hosts up now

    # ----------------------------------------------------------------------- the description
    def helpers(self):
        return copy.deepcopy(self.desc["platforms"])

    def server(self, i):
        fleet = self.desc["fleet"]
        octet = 10 + i
        return {
            "name": fleet["name"].format(index=i),
            "groups": list(fleet["groups"]),
            "networks": [dict(n, ip=n["ip"].format(octet=octet)) for n in fleet["networks"]],
        }

    def servers(self, n):
        if n > self.desc["fleet"]["max"]:
            raise SystemExit(f"benchmark lab: at most {self.desc['fleet']['max']} servers ({DESCRIPTION.name})")
        return [self.server(i) for i in range(1, n + 1)]

    def every_platform(self):
        return self.helpers() + self.servers(self.desc["fleet"]["max"])

    def address(self, host, network=0):
        return self.hosts[host]["networks"][network]["ip"]

    # ----------------------------------------------------------------------- Molecule's lab playbooks
    def _molecule_playbook(self, playbook, platforms, label):
        """Run one of molecule/shared's lab playbooks with the variables Molecule would give it."""
        self.work.mkdir(parents=True, exist_ok=True)
        extra = self.work / "lab-molecule.json"
        extra.write_text(
            json.dumps(
                {
                    "molecule_yml": {"platforms": platforms},
                    "molecule_ephemeral_directory": str(self.work),
                    "molecule_instance_config": str(self.work / "instance_config.yml"),
                    "molecule_scenario_name": "bench",
                    # localhost runs the podman modules with the controller's Python, as under Molecule.
                    "ansible_python_interpreter": sys.executable,
                }
            )
        )
        logfile = self.work / f"lab-{label}.log"
        with open(logfile, "w") as out:
            rc = subprocess.run(
                ["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"@{extra}", str(playbook)],
                cwd=REPO,
                env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=str(self.work / "lab-ansible.cfg")),
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            ).returncode
        return rc, logfile

    def create(self, platforms):
        """Start the hosts (systemd as PID 1, fixed addresses, the controller's key for root, sshd up)."""
        self.remove([p["name"] for p in platforms])
        (self.work / "lab-ansible.cfg").write_text("[defaults]\ninterpreter_python = auto_silent\n")
        start = time.monotonic()
        rc, logfile = self._molecule_playbook(CREATE, platforms, "create")
        if rc != 0:
            print(logfile.read_text()[-3000:], flush=True)
            raise SystemExit(f"benchmark lab: {CREATE.relative_to(REPO)} failed (see fs.inotify in the report)")
        for p in platforms:
            self.hosts[p["name"]] = p
        names = [p["name"] for p in platforms]
        log(f"created {len(names)} host(s) in {time.monotonic() - start:.1f}s: {names[0]} .. {names[-1]}")

    def remove(self, names):
        """Remove hosts (a fleet is re-created for each first converge; the networks stay)."""
        names = [n for n in names if n.startswith("fl-bench-")]
        if names:
            subprocess.run(["podman", "rm", "-f", "--ignore", *names], capture_output=True, check=False)
        for n in names:
            self.hosts.pop(n, None)

    def teardown(self):
        """Every host of the description that exists and every network, with Molecule's destroy playbook
        (server 1 always listed, so that the fleet's networks are too)."""
        (self.work / "lab-ansible.cfg").write_text("[defaults]\ninterpreter_python = auto_silent\n")
        running = subprocess.run(
            ["podman", "ps", "-a", "--format", "{{.Names}}", "--filter", "label=lab_scenario=bench"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        platforms = self.helpers() + [
            p for i, p in enumerate(self.servers(self.desc["fleet"]["max"])) if i == 0 or p["name"] in running
        ]
        rc, logfile = self._molecule_playbook(DESTROY, platforms, "destroy")
        if rc != 0:
            log(f"lab teardown failed, see {logfile}")
        self.hosts.clear()

    # ----------------------------------------------------------------------- inventory and SSH
    def inventory(self, servers, extra=None):
        """A YAML inventory as Molecule writes one: every host up in its groups, the description's
        group and host variables; `servers` picks the flopsar_servers of this run."""
        inv_desc = substitute(self.desc.get("inventory", {}))
        host_vars = inv_desc.get("host_vars", {})
        group_vars = inv_desc.get("group_vars", {})
        children = {}
        for name, p in self.hosts.items():
            if "flopsar_servers" in p["groups"] and name not in servers:
                continue
            for group in p["groups"]:
                hosts = children.setdefault(group, {"hosts": {}})["hosts"]
                hosts[name] = {
                    "ansible_host": p["networks"][0]["ip"],
                    # The host's address on each of its networks, in order (eth0, eth1, ...): the floors read it.
                    "bench_addresses": [net["ip"] for net in p["networks"]],
                    **host_vars.get(name, {}),
                }
        for group, values in group_vars.items():
            if group in children:
                children[group]["vars"] = values
        inv = {"all": {"vars": {**group_vars.get("all", {}), **(extra or {})}, "children": children}}
        path = self.work / f"inventory-{len(servers)}.yml"
        path.write_text(yaml.safe_dump(inv, sort_keys=False))
        return path

    def ssh(self, host, command, stdin=None):
        cmd = [
            "ssh",
            "-i",
            str(self.work / "lab_ed25519"),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "BatchMode=yes",
            f"root@{self.address(host)}",
            command,
        ]
        start = time.monotonic()
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)
        return time.monotonic() - start, p

    @staticmethod
    def inotify(hosts, machine):
        """systemd in a lab host holds about 7 inotify instances, all counted against root: at the kernel's
        default of 128 (fs.inotify.max_user_instances) a 20-host fleet next to other labs dies at boot (exit
        255, no log). Raise the limit for this boot only, never lower it, and record what was done."""
        knob = Path("/proc/sys/fs/inotify/max_user_instances")
        have = int(knob.read_text())
        want = max(1024, 8 * (hosts + 30))
        machine["inotify_max_user_instances"] = {"before": have, "after": have}
        if have < want:
            try:
                knob.write_text(str(want))
                machine["inotify_max_user_instances"]["after"] = want
                log(f"raised fs.inotify.max_user_instances from {have} to {want} (until reboot)")
            except OSError as exc:
                log(f"cannot raise fs.inotify.max_user_instances ({exc}): large fleets may fail to boot")
