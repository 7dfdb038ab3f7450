"""English for the home page as the city's front window (首页)."""

T = {
    "上月统计（%(m)s）": "Last month (%(m)s)",
    "中介时间占全流程": "Intermediary share of the whole span",
    "中介服务按时完成率": "Services delivered on time",
    "今天没有摇号。": "No draws today.",
    "今日摇号": "Today's draws",
    "信用评价公式": "The credit formula",
    "全部中选结果": "All results",
    "全部正在报名的公告": "All notices open for sign-up",
    "全部采购公告（OCDS 1.1 数据包）": "Every selection notice (OCDS 1.1 release package)",
    "公告标题或编号": "Notice title or number",
    "关键词": "Words",
    "开放数据": "Open data",
    "找中介机构": "Find an agency",
    "找采购公告": "Find a notice",
    "接口说明": "API description",
    "摇号透明日志": "The draws' transparency log",
    "暂无正在报名的公告。": "No notice is open for sign-up.",
    "最新中选结果": "Latest results",
    "机构名称、编号或服务事项": "Agency name, id or service",
    "正在报名": "Open for sign-up",
}
