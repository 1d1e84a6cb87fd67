from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_nftables import (
    files_to_write,
    normalize_listing,
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
