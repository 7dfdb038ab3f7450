"""Where a webhook may be sent: the addresses of an endpoint's host, refused unless public
(checked when the endpoint is registered and again at each delivery)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from market.domain import webhooks as rules


class AddressRefused(Exception):
    """The endpoint's host is not one the platform may call (or does not resolve)."""


def resolve(url: str, allow_private: bool) -> list[str]:
    """The addresses to connect to for ``url``'s host.  Unless ``allow_private``
    (``WEBHOOK_ALLOW_PRIVATE``), every address must be public (:func:`market.domain.webhooks.is_public_address`): a host with one
    private address is refused whole, and the connection goes to the checked address, so a
    name that changes its answer in between (DNS rebinding) gains nothing."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"the host {host[:100]} does not resolve ({error})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise AddressRefused(f"the host {host[:100]} has no address")
    if not allow_private:
        private = [a for a in addresses if not rules.is_public_address(a)]
        if private:
            raise AddressRefused(f"the host {host[:100]} resolves to a non-public address "
                                 f"({private[0]})")
    return addresses
