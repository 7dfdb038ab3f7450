"""The approval systems' machine side (系统对接): OAuth 2.0 clients and their tokens, and the
webhooks pushed to them from a durable outbox (shared/spec/integration.md §2 and §5).

* :mod:`.models` — clients, tokens, webhook endpoints, messages, deliveries and attempts.
* :mod:`.oauth` — the token endpoint (authlib's authorization server, client credentials) and
  :func:`.oauth.client_access`, which guards a JSON view with a bearer token and a scope.
* :mod:`.clients` — creating and revoking clients (the operator's page and ``flask clients``).
* :mod:`.webhooks` — registering endpoints; :mod:`.outbox` — the domain events' receiver that
  writes deliveries in the change's transaction; :mod:`.delivery` — the periodic command that
  sends them, signed the Standard Webhooks way (:mod:`market.domain.webhooks`).
"""
