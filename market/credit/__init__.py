"""Credit (信用): the sanctions in force and the credit score, below selection.

Selection reads both: a running suspension or blacklisting blocks sign-up (eligibility), and
credit merit (信用择优) ranks by the score at the close.  The score's inputs that other areas
hold — ratings (evaluation), punctuality (engagements), declines (selection), upheld complaints
(the regulator) — are read live through the readers ``create_app`` connects
(:func:`market.credit.score.connect`), so a decline or a sanction counts at once and no copy of
them can drift.  Regulators issue sanctions (:mod:`market.regulator.sanctions`); this area
stores and reads them and recomputes the stored score when one is issued.
"""
