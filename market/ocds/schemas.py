"""Query and response shapes of /api/ocds, for the OpenAPI document (:mod:`market.web.openapi`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from market.web.openapi import MAX_PAGE, param

OCDS_BULK_PAGE = 100


def _d(text: str) -> dict[str, str]:
    return {"description": text}


# --- /api/ocds ----------------------------------------------------------------------------------

@dataclass
class OcdsPublisher:
    name: str


@dataclass
class OcdsReleasePackage:
    """An OCDS 1.1 release package. Only the envelope is described here; each release follows
    the OCDS 1.1 release schema (https://standard.open-contracting.org/1.1/en/schema/)."""

    uri: str = field(metadata={"format": "uri"})
    version: str = field(metadata={"enum": ("1.1",)})
    publishedDate: datetime
    publisher: OcdsPublisher
    license: str = field(metadata={"format": "uri"})
    publicationPolicy: str = field(metadata={"format": "uri"})
    releases: list[dict[str, Any]] = field(metadata=_d("OCDS 1.1 releases"))


@dataclass
class OcdsBulkQuery:
    page: int = param(1, f"page number, from 1; {OCDS_BULK_PAGE} releases a page, newest first",
                      minimum=1, maximum=MAX_PAGE)


