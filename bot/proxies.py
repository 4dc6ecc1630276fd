"""Who the client is when the hub runs behind a reverse proxy.

A proxy connects on behalf of everyone: rate limits keyed on the peer address would
treat all people as one. The proxy tells the real client in X-Forwarded-For, but any
client can send that header too, so it is believed only from the configured proxies
(`LOKET_TRUSTED_PROXIES`), and read from the right: each proxy appends the address it
saw, and the first address from the right that is not a trusted proxy is the client.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from aiohttp import web

Network = IPv4Network | IPv6Network
UNKNOWN = "unknown"


def parse_networks(spec: str) -> tuple[Network, ...]:
    """The networks of a comma-separated list of addresses or CIDR blocks.

    Raises ValueError, naming the entry, when one is not an address.
    """
    networks = []
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an address or CIDR block: {entry!r}") from None
    return tuple(networks)


class ClientAddresses:
    """Tells a request's client address and scheme, trusting only the given proxies."""

    def __init__(self, trusted: Iterable[Network] = ()) -> None:
        self._trusted = tuple(trusted)

    def client(self, request: web.BaseRequest) -> str:
        """The address of the person's device, as far as trusted proxies tell."""
        peer = request.remote or UNKNOWN
        if not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
        for hop in reversed([hop for hop in hops if hop]):
            if not self._is_trusted(hop):
                return hop
        return peer

    def is_https(self, request: web.BaseRequest) -> bool:
        """True when the person reached us over https (directly or through a trusted proxy)."""
        if request.secure:
            return True
        if not self._is_trusted(request.remote or UNKNOWN):
            return False
        return request.headers.get("X-Forwarded-Proto", "").strip().lower() == "https"

    def _is_trusted(self, address: str) -> bool:
        try:
            parsed = ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in self._trusted)


client_addresses_key = web.AppKey("client_addresses", ClientAddresses)
