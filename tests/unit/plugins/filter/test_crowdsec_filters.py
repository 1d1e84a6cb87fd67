import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.filter.crowdsec import FilterModule

FILTERS = FilterModule().filters()

LAPI = {"name": "lapi", "enabled": True, "address": "127.0.0.1", "port": 8080, "tls": False, "sources": []}


def test_plan_without_its_options_names_the_missing_key():
    with pytest.raises(AnsibleFilterError, match="crowdsec_plan: 'hub_branch'"):
        FILTERS["crowdsec_plan"]([LAPI], {})


def test_plan_errors_are_returned_not_raised():
    result = FILTERS["crowdsec_plan"]([dict(LAPI, address="10.0.0.1")], {})
    assert result["errors"] and "crowdsec_lapi_interface" in result["errors"][0]


def test_bouncer_action_accepts_null_from_cscli():
    assert FILTERS["crowdsec_bouncer_action"](None, "fw", "x" * 32) == "add"


def test_egress_rejects_a_non_address():
    with pytest.raises(AnsibleFilterError, match="crowdsec_egress"):
        FILTERS["crowdsec_egress"]({"api.crowdsec.net": ["not-an-ip"]})


def test_hub_links_name_the_filter_on_a_bad_item():
    with pytest.raises(AnsibleFilterError, match=r"crowdsec_hub_links: sshd\.yaml"):
        FILTERS["crowdsec_hub_links"](["sshd.yaml"], "/hub", "/etc/crowdsec")


def test_package_filters_accept_nothing_installed():
    plan = FILTERS["crowdsec_package_plan"](None, ["crowdsec"], True)
    assert FILTERS["crowdsec_packages_to_install"](plan["wanted"], None) == ["crowdsec"]
