from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_nftables import (
    change_token,
    files_to_write,
    normalize_listing,
    rollback_timer,
    settled,
)

LISTING = """table inet hardened_flopsar {
\tcounter mld_reports {
\t\tpackets 12 bytes 960
\t}
\tchain input {
\t\ttcp dport 22 accept
\t}
}"""


def test_counter_values_are_left_out():
    moved = LISTING.replace("packets 12 bytes 960", "packets 4031 bytes 322480")
    assert normalize_listing(moved) == normalize_listing(LISTING)
    assert "960" not in normalize_listing(LISTING)


def test_only_missing_or_different_files_are_written():
    wanted = {"/a": "one\n", "/b": "two\n", "/c": "three\n"}
    assert files_to_write(wanted, {"/a": "one\n", "/b": "old\n", "/c": None}) == ["/b", "/c"]


def test_settled_when_the_candidate_is_the_boot_ruleset_and_the_table_the_confirmed_one():
    assert settled("rules", "rules", LISTING, LISTING.replace("12 bytes 960", "0 bytes 0"))


def test_a_candidate_never_confirmed_is_not_settled():
    assert not settled("new rules", "rules", LISTING, LISTING)


def test_a_rule_added_by_hand_is_not_settled():
    by_hand = LISTING.replace("tcp dport 22 accept", "ip saddr 10.0.0.9 accept\n\t\ttcp dport 22 accept")
    assert not settled("rules", "rules", by_hand, LISTING)


def test_no_table_no_boot_file_or_no_listing_is_not_settled():
    assert not settled("rules", "rules", None, LISTING)
    assert not settled("rules", None, LISTING, LISTING)
    assert not settled("rules", "rules", LISTING, None)


def test_a_change_is_named_after_its_utc_time_and_a_number():
    import time

    assert change_token(time.struct_time((2026, 12, 2, 16, 5, 9, 2, 336, 0)), 48213) == "20261202160509-48213"


def test_the_rollback_timer_runs_the_script_with_the_change_s_name_in_a_unit_named_after_it():
    argv = rollback_timer("fw-revert", "20261202160509-7", 40, "/var/lib/x/revert.sh")
    assert argv[:2] == ["systemd-run", "--unit=fw-revert-20261202160509-7"]
    assert "--on-active=40s" in argv
    assert argv[-3:] == ["/bin/sh", "/var/lib/x/revert.sh", "20261202160509-7"]
