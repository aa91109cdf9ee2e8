"""`check_network`: the keyed network of a consumer check, as witnesses are counted by it."""

from __future__ import annotations

from scan_api.verify.networks import check_network, network_key, rate_key

KEY = network_key(b"m" * 32)


def test_an_address_is_stored_only_as_a_keyed_hash() -> None:
    net = check_network("203.0.113.7", KEY)
    assert net is not None and len(net) == 24
    assert "203" not in net and net != check_network("203.0.113.7", network_key(b"n" * 32))
    assert check_network("203.0.113.8", KEY) != net  # IPv4: the address itself


def test_ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() -> None:
    home = check_network("2001:db8:1:2::10", KEY)
    assert home == check_network("2001:db8:1:2:ffff::1", KEY)
    assert home != check_network("2001:db8:1:3::10", KEY)
    assert check_network("::ffff:203.0.113.7", KEY) == check_network("203.0.113.7", KEY)


def test_no_network_for_names_loopback_or_nothing() -> None:
    for host in (None, "", "testclient", "127.0.0.1", "::1", "0.0.0.0"):
        assert check_network(host, KEY) is None


def test_the_rate_limit_counts_an_ipv6_client_by_its_64() -> None:
    """Found by a live review: rotating through one's own /64 reset the per-address limit."""
    assert rate_key("2001:db8:5:5::1") == rate_key("2001:db8:5:5::2d") == "2001:db8:5:5::/64"
    assert rate_key("203.0.113.7") == "203.0.113.7"
    assert rate_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert rate_key("testclient") == "testclient" and rate_key(None) == "-"


def test_the_memo_is_bounded_and_keyed_by_the_key_too() -> None:
    """Both run for every consumer check (memoized: `ipaddress` parsing is slow); the
    network must still follow the key, and the memo must not grow without bound."""
    from scan_api.verify.networks import CACHED_ADDRESSES

    other = network_key(b"o" * 32)
    assert check_network("198.51.100.9", KEY) == check_network("198.51.100.9", KEY)
    assert check_network("198.51.100.9", KEY) != check_network("198.51.100.9", other)
    assert check_network.cache_info().maxsize == CACHED_ADDRESSES
    assert rate_key.cache_info().maxsize == CACHED_ADDRESSES
