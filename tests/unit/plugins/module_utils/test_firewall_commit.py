import time

import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_commit import (
    arm_and_load,
    change_token,
    rollback_timer,
)


def test_a_change_is_named_after_its_utc_time_and_a_number():
    assert change_token(time.struct_time((2026, 12, 2, 16, 5, 9, 2, 336, 0)), 48213) == "20261202160509-48213"


def test_the_rollback_timer_runs_the_script_with_the_change_s_name_in_a_unit_named_after_it():
    argv = rollback_timer("fw-revert", "20261202160509-7", 40, "/var/lib/x/revert.sh")
    assert argv[:2] == ["systemd-run", "--unit=fw-revert-20261202160509-7"]
    assert "--on-active=40s" in argv
    assert argv[-3:] == ["/bin/sh", "/var/lib/x/revert.sh", "20261202160509-7"]


class Failed(Exception):
    pass


class FakeModule:
    """Records the commands run; `failing` names the argv[0] values that exit 1."""

    def __init__(self, failing=()):
        self.failing = set(failing)
        self.commands = []

    def run_command(self, argv, check_rc=False):
        self.commands.append(list(argv))
        if argv[0] in self.failing:
            return 1, "", f"{argv[0]}: it went wrong\n"
        return 0, "", ""

    def fail_json(self, **result):
        raise Failed(result)


@pytest.fixture
def load(tmp_path):
    return {
        "boot_token": str(tmp_path / "boot"),
        "armed": str(tmp_path / "armed"),
        "revert_unit": "fw-revert",
        "revert_script": "/var/lib/x/revert.sh",
        "rollback_timeout": 40,
    }


def test_the_change_is_named_and_armed_before_it_is_loaded(tmp_path, load):
    module = FakeModule()
    token = arm_and_load(module, load, ["nft", "-f", "/c.nft"], "nft -f /c.nft", False)
    assert (tmp_path / "boot").read_text() == (tmp_path / "armed").read_text() == token + "\n"
    assert oct((tmp_path / "armed").stat().st_mode & 0o777) == "0o600"
    assert module.commands == [rollback_timer("fw-revert", token, 40, "/var/lib/x/revert.sh"), ["nft", "-f", "/c.nft"]]


def test_a_failed_transaction_stops_the_timer_and_leaves_the_rules_as_they_are(load):
    module = FakeModule(failing=["nft"])
    with pytest.raises(Failed) as failed:
        arm_and_load(module, load, ["nft", "-f", "/c.nft"], "nft -f /c.nft", False)
    token = module.commands[0][1].split("fw-revert-", 1)[1]
    assert module.commands[1:] == [["nft", "-f", "/c.nft"], ["systemctl", "stop", f"fw-revert-{token}.timer"]]
    assert failed.value.args[0]["msg"] == "nft -f /c.nft failed, the rules in force are unchanged: nft: it went wrong"


def test_a_failed_reload_puts_the_confirmed_rules_back_at_once(load):
    module = FakeModule(failing=["firewall-cmd"])
    with pytest.raises(Failed) as failed:
        arm_and_load(module, load, ["firewall-cmd", "--reload"], "firewall-cmd --reload", True)
    token = module.commands[0][1].split("fw-revert-", 1)[1]
    assert module.commands[2:] == [
        ["/bin/sh", "/var/lib/x/revert.sh", token],
        ["systemctl", "stop", f"fw-revert-{token}.timer"],
    ]
    assert "the last confirmed rules were put back" in failed.value.args[0]["msg"]


def test_a_failed_rollback_is_said(load):
    module = FakeModule(failing=["firewall-cmd", "/bin/sh"])
    with pytest.raises(Failed) as failed:
        arm_and_load(module, load, ["firewall-cmd", "--reload"], "firewall-cmd --reload", True)
    assert "putting the last confirmed rules back failed too (/bin/sh: it went wrong)" in failed.value.args[0]["msg"]
