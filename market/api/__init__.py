"""The public JSON API (公开数据接口) and its OpenAPI 3.1 document, generated from the code.

How it works
------------
Responses and query parameters are plain typed dataclasses (``market/api/schemas.py`` and next
to each area's views).  :func:`market.web.openapi.endpoint` attaches them to a view; the view
receives the parsed query as a dataclass and returns a dataclass (or a :class:`Page` of them),
which is serialised with :func:`dataclasses.asdict`.  ``GET /api/openapi.json`` walks the URL
map, takes every view that carries an endpoint description and turns the dataclasses' type
hints into JSON Schema, so the document cannot drift from what the code accepts and returns
(``tests/api/test_openapi.py`` also validates the document and checks real responses against
it).

Conventions (``shared/spec/api.md``): public, read-only, JSON; lists paged with ``?page=`` and
``?per_page=`` (at most 100) answering ``{"items", "total", "page", "per_page"}``; errors are
``{"error": {"code", "message"}}`` with a 4xx status — raise :class:`market.web.openapi.ApiError`,
never let bad input reach a 5xx.

Adding an endpoint (any blueprint may do this)
----------------------------------------------
::

    from dataclasses import dataclass, field
    from market.web.openapi import ApiError, Page, PageQuery, endpoint, param
    from market.accounts.auth import ANYONE, access

    @dataclass
    class ThingOut:
        id: str = field(metadata={"description": "the public id"})
        amount_fen: int

    @dataclass
    class ThingQuery(PageQuery):          # PageQuery adds page / per_page
        state: str | None = param(None, "filter by state", enum=("open", "closed"))

    @bp.route("/api/things")
    @access(ANYONE)
    @endpoint(query=ThingQuery, response=ThingOut, paged=True, tag="things")
    def things(query: ThingQuery) -> Page[ThingOut]:
        '''Public things.            <- first docstring line: the summary

        More text becomes the description.'''
        ...
        return Page(items=[...], total=n, query=query)

Path parameters (``/api/things/<id>``) are passed as keyword arguments as usual and are
documented as strings or integers from the rule's converter; ``endpoint(path={"id":
PathParam("the public id", r"^TH-[0-9]+$")})`` adds a description and a pattern.  Further:

* ``param(REQUIRED, ...)`` makes a query parameter required (missing: 400
  ``missing_parameter``); ``name="from"`` for a URL name that is not a Python identifier;
  ``pattern=`` for strings.  String parameters are at most ``MAX_STRING`` characters, or
  ``max_length=`` when the code behind them has its own limit (the document states it).
* A ``datetime.date`` field reads ``YYYY-MM-DD``; date bounds (``minimum=date(2000, 1, 1)``)
  are checked, and documented as a pattern when they are whole years.
* ``dict[str, Any]`` is a free-form object (the OCDS releases); field metadata ``enum`` and
  ``format`` (``uri``…) go into the response schema.
* A view may return a ready ``Response`` (the OCDS packages keep their own serialisation);
  ``endpoint(headers={"X-Total-Count": "..."})`` documents a count header of its 200.
* ``endpoint(response=RawBody(media_type, schema))`` documents a body whose bytes are specified
  elsewhere and written by the view itself (the signed draw log, the draw bundles: lottery-v1);
  ``ignore_unknown=True`` keeps such a URL's old tolerance of unknown query parameters.
* ``paged=False`` with a plain query dataclass (not ``PageQuery``) for a non-list answer.

The lottery, calendar, OCDS and draw-log shapes are in each area's ``schemas.py``
(``market/selection/``, ``market/calendar/``, ``market/ocds/``, ``market/transparency/``); the
registry itself is :mod:`market.web.openapi`, in the web core below every area.  Then add the
route to ``tests/test_route_matrix.py``; ``tests/api/test_openapi.py`` fails for an ``/api/`` route
without ``@endpoint``.
"""
