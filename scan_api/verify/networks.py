"""Which network a consumer check came from, as the rules count witnesses by it.

Consumer ids are whatever the phone sends; the client's address is not (behind a trusted
proxy, the forwarded one). It is stored only as a keyed hash (HMAC under a key derived from
the master key, truncated), never as the address: enough to tell networks apart, not to
say whose they are. IPv6 counts by its /64, which one subscriber usually holds whole.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress

NETWORK_KEY_LABEL = b"sealtrace/check-networks/v1"
IPV6_PREFIX = 64
CACHED_ADDRESSES = 16_384
"""Both functions below run for every consumer check; parsing an address with `ipaddress`
costs a few µs of pure Python, and a client checks more than once (a carrier's NAT: many)."""


def network_key(master_key: bytes) -> bytes:
    return hmac.new(master_key, NETWORK_KEY_LABEL, hashlib.sha256).digest()


@functools.lru_cache(maxsize=CACHED_ADDRESSES)
def check_network(host: str | None, key: bytes) -> str | None:
    """The keyed hash of the client's network; None for no address, a name (test clients)
    and loopback (a local tool or simulator, where every client would look alike)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return check_network(str(address.ipv4_mapped), key)
        network = str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    else:
        network = str(address)
    return hmac.new(key, network.encode("ascii"), hashlib.sha256).hexdigest()[:24]


@functools.lru_cache(maxsize=CACHED_ADDRESSES)
def rate_key(host: str | None) -> str:
    """Whom the per-address rate limit counts: an IPv6 client by its /64 (a subscriber's
    whole prefix: rotating through it must not reset the limit), anyone else by address."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "-"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
