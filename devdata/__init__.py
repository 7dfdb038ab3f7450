"""Development data, never imported by the product (``market/``).

* :mod:`devdata.demo` — the fictional city 云川市 (``flask demo load``), one module per area
* :mod:`devdata.loadgen` — load-test data (``flask demo generate-load``) and synthetic agencies
  in bulk (:mod:`devdata.loadgen.agencies`, ``flask agencies generate``)

Their accounts have published passwords, so ``create_app`` adds these commands only outside
production (the ``market.development_commands`` entry points in pyproject.toml), and each
command refuses to run against ``MARKET_ENV=production`` as well.
"""
