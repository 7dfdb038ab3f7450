"""Electronic supervision (电子监察): matters past their due date climb a published ladder.

- :mod:`.models`: each raised step (:class:`~.models.EscalationStep`, 预警 / 黄牌 / 红牌) and
  the supervision order (:class:`~.models.SupervisionOrder`, 督办) a yellow card opens;
- :mod:`.sources`: the matters watched (service and signing clocks of engagements, review
  clocks, approval cases past their committed limit, 容缺受理 reports past due, objections and
  complaints past their decision deadline);
- :mod:`.operations`: the periodic run (called by ``flask clocks tick``) and answering a 督办;
- :mod:`.views`: the published rule and the regulator's console.

The rule itself is :mod:`market.domain.escalation`.  This area reads clocks, engagements,
approval cases and objections (all lower floors) and is read by the regulator's console and
the notifications (upper floors); complaints live in the regulator's area above, so that area
connects its own source (:func:`.sources.connect`), and notifications hear each step as the
domain event ``escalation.raised`` instead of being imported.
"""
