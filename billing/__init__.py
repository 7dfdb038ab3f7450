"""Billing (费用结算): the double-entry ledger and its payment backends.

Its own package with its own models, used by the market through a small interface.  Filled in
by the billing issue.
"""
