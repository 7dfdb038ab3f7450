"""The demo city agrees with itself: one name per department (the regulator that the catalogue
names is the body the approval matters name), one row per approval matter, no city name
doubled, and every project code used once."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask import Flask

from market.accounts.models import Organisation, OrgKind
from market.catalogue.models import ApprovalMatter, ServiceType
from market.db import db
from market.selection.models import Project


def test_the_demo_city_agrees_with_itself(demo_city_app: Flask) -> None:
    app = demo_city_app
    with app.app_context():
        regulators = {o.id: o.name for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.kind == OrgKind.REGULATOR.value))}
        assert len(set(regulators.values())) == len(regulators)
        assert all(name.startswith("云川市") for name in regulators.values()), regulators
        services = db.session.scalars(sa.select(ServiceType)).all()
        assert all(regulators.get(s.regulator_id) for s in services)
        matters = db.session.scalars(sa.select(ApprovalMatter)).all()
        assert not [n for n, k in Counter(m.name for m in matters).items() if k > 1]
        assert {m.department.name for m in matters} <= set(regulators.values())
        names = [o.name for o in db.session.scalars(sa.select(Organisation))]
        names += [m.department.name for m in matters]
        assert not [n for n in names if "市市" in n or n.count("云川") > 1]
        codes = Counter(db.session.scalars(sa.select(Project.code)))
        assert not [c for c, k in codes.items() if k > 1]
