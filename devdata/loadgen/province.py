"""A province of tenants for the load data (``flask demo generate-load --tenants N``): cities
and counties with GB/T 2260-shaped codes in the fictional range 539xxx (no real division's
code: Yunnan's real prefectures are 5301…5334), added to the division tree of
:mod:`market.accounts.tenants` beside the first tenant (the demo's 云川市 539900)."""

from __future__ import annotations

from dataclasses import dataclass

from market.accounts import tenants
from market.accounts.models import DivisionLevel

# Fictional names: four cities, each with counties (县) below it.
CITIES = (("539900", "云川市"), ("539800", "云岭市"), ("539700", "澜屏市"), ("539600", "玉岫市"),
          ("539500", "洱川市"), ("539400", "苍澜市"))
COUNTY_NAMES = ("青石县", "白水县", "松岭县", "竹溪县", "梅岗县", "石桥县", "柳江县", "杏坪县",
                "云台县", "金沙县", "雪坪县", "鹤岭县", "翠湖县", "龙潭县", "碧溪县", "花坪县",
                "月湾县", "银杏县", "凤鸣县", "清溪县", "南屏县", "北岫县", "东泉县", "西峰县")


@dataclass(frozen=True)
class Tenant:
    id: int
    code: str
    name: str


def province_tenants(count: int) -> list[Tenant]:
    """``count`` tenants, the first tenant first: the existing tenants, then cities and counties
    added (or opened, if the tree has them but does not serve them) in the order city, its
    counties, next city…, four counties a city.  Existing divisions keep their names."""
    if count < 1:
        raise ValueError("at least one tenant")
    first = tenants.home_tenant()
    have = {d.code: d for d in tenants.tree()}
    wanted: list[tuple[str, str]] = []
    for c, (city_code, city_name) in enumerate(CITIES):
        wanted.append((city_code, city_name))
        wanted += [(f"{city_code[:4]}{k + 21:02d}", COUNTY_NAMES[4 * c + k]) for k in range(4)]
    out = [Tenant(first.id, first.code, first.name)]
    for code, name in wanted:
        if len(out) >= count:
            break
        division = have.get(code)
        if division is None:
            if tenants.level_of_code(code) == DivisionLevel.COUNTY and \
                    tenants.parent_code(code) not in have:
                continue  # its city is not in the tree (the city was skipped)
            division = tenants.add(code, name, tenant=True, audited=False)
            have[code] = division
        elif not division.tenant:
            tenants.set_tenant(division, True)
        if division.id != first.id:
            out.append(Tenant(division.id, division.code, division.name))
    if len(out) < count:
        raise ValueError(f"at most {len(out)} tenants can be generated")
    return out
