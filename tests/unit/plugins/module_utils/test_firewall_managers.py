# -*- coding: utf-8 -*-
"""plugins/module_utils/firewall_managers.py: the firewall managers of a host, read in one call."""

from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_managers import flushes_ruleset, parse_units

SHOW = """Id=firewalld.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled

Id=nftables.service
LoadState=loaded
ActiveState=inactive
UnitFileState=disabled

Id=ufw.service
LoadState=not-found
ActiveState=inactive
UnitFileState=
"""


def test_known_units_in_the_shape_service_facts_gives():
    assert parse_units(SHOW) == {
        "firewalld.service": {
            "name": "firewalld.service",
            "source": "systemd",
            "state": "running",
            "status": "enabled",
        },
        "nftables.service": {"name": "nftables.service", "source": "systemd", "state": "stopped", "status": "disabled"},
    }


def test_a_unit_systemd_does_not_know_is_left_out():
    assert "ufw.service" not in parse_units(SHOW)


def test_masked_and_failed_units_keep_their_file_state():
    text = "Id=ufw.service\nLoadState=masked\nActiveState=failed\nUnitFileState=masked\n"
    assert parse_units(text)["ufw.service"]["status"] == "masked"
    assert parse_units(text)["ufw.service"]["state"] == "stopped"


def test_empty_output_is_no_units():
    assert parse_units("") == {}


def test_debians_default_file_flushes():
    assert flushes_ruleset("#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n}\n")


def test_indented_flush_counts_and_a_comment_does_not():
    assert flushes_ruleset("  flush   ruleset  \n")
    assert not flushes_ruleset("# flush ruleset\n")


def test_flushing_one_table_is_not_flushing_the_ruleset():
    assert not flushes_ruleset("flush table inet filter\n")
    assert not flushes_ruleset("")
    assert not flushes_ruleset(None)
