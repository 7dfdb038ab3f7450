"""The service types (中介服务事项) a city's catalogue starts from.

Each row names the type, the qualification (资质) and the practitioner certificate (执业资格)
that allow an agency to offer it, and the department (主管部门) that regulates it, as a city
names its own (``市生态环境局``: the city's bureau, whichever the city).  Operators keep the
catalogue from here on (:mod:`market.catalogue.operations`); development data starts from the
same rows so that it looks like a real catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedServiceType:
    code: str
    name: str
    name_en: str
    regulator: str  # the regulating department, without the city's name
    qualification_type: str
    practitioner_type: str
    deliverables: str = ""  # 服务成果, as the standard contract names them


SERVICE_TYPES = (
    SeedServiceType("EIA", "环境影响评价", "Environmental impact assessment", "市生态环境局",
                    "环境影响评价资质", "环境影响评价工程师",
                    "环境影响报告书（表）及审批所需的电子文件"),
    SeedServiceType("FSR", "可行性研究报告编制", "Feasibility study", "市发展和改革委员会",
                    "工程咨询单位资信", "咨询工程师（投资）",
                    "可行性研究报告"),
    SeedServiceType("DES", "工程设计", "Engineering design", "市住房和城乡建设局",
                    "工程设计资质", "一级注册建筑师",
                    "初步设计和施工图设计文件"),
    SeedServiceType("DRR", "施工图审查", "Construction drawing review", "市住房和城乡建设局",
                    "施工图审查机构认定", "一级注册结构工程师",
                    "施工图审查报告和审查合格书"),
    SeedServiceType("COST", "造价咨询", "Cost consulting", "市住房和城乡建设局",
                    "工程造价咨询企业登记", "一级造价工程师",
                    "造价咨询成果文件（投资估算、概算或结算审核报告）"),
    SeedServiceType("SURV", "测绘", "Surveying and mapping", "市自然资源和规划局",
                    "测绘资质", "注册测绘师",
                    "测绘成果报告及成果数据"),
    SeedServiceType("SAFE", "安全评价", "Safety assessment", "市应急管理局",
                    "安全评价机构资质", "安全评价师",
                    "安全评价报告"),
    SeedServiceType("SWC", "水土保持方案编制", "Soil and water conservation plan", "市水务局",
                    "水土保持方案编制单位水平评价", "水土保持方案编制人员",
                    "水土保持方案报告书（表）"),
)

BY_CODE = {t.code: t for t in SERVICE_TYPES}
