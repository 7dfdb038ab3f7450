"""The web core: what every area's views may use, below all of them.

* :mod:`market.web.openapi` — the OpenAPI registry: ``@endpoint`` descriptions of JSON views,
  query parsing and the generated document (``GET /api/openapi.json``).
* :mod:`market.web.formdata` — the app's request class: urlencoded bodies decoded with no
  Python step per ``%XX`` escape.

The rest of the web core are the top-level modules every area already uses: ``market.forms``,
``market.templating``, ``market.errors``, ``market.security``, ``market.downloads`` and
``market.storage``.
"""
