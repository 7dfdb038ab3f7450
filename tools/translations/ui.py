"""English translations of the header, the template filters (market/templating.py) and the
words that replaced internal codes on pages (msgid -> msgstr)."""
# ruff: noqa: E501

T = {
    # header
    '菜单': 'Menu',
    '退出登录': 'Log out',
    '退出报名': 'Withdraw sign-up',
    # qualification grades (资质等级), as Chinese certificates grade them
    '甲级': 'Grade A', '乙级': 'Grade B', '丙级': 'Grade C',
    '一级': 'Grade 1', '二级': 'Grade 2', '三级': 'Grade 3', '不分级': 'Ungraded',
    # reasons the system writes into records
    '有效报名不足 %(minimum)s 家（%(eligible)s 家），本次选取失败': 'Fewer than %(minimum)s eligible sign-ups (%(eligible)s); this selection failed',
    '中选机构放弃或逾期未确认，且没有候补，本次选取失败': 'The selected agency declined or did not confirm in time and there is no alternate; this selection failed',
    '没有有效报价，本次密封报价失败': 'No valid bid; this sealed bid failed',
    '报名截止后未能在外部随机数公开前冻结名单，本次摇号作废并重新公告': 'The list could not be frozen before the external random number was published; this draw is void and the request is announced again',
    '见证人未在外部随机数公开前全部录入，本次摇号作废并重新公告': 'Not every witness entered a number before the external random number was published; this draw is void and the request is announced again',
    '逾期未确认中选结果': 'Did not confirm the result in time',
    '异议成立：%(reason)s': 'Objection upheld: %(reason)s',
    # a draw's randomness sources
    '福彩双色球': 'China Welfare Lottery Double Colour Ball',
    '福彩3D': 'China Welfare Lottery 3D',
    '见证人 %(n)s（%(account)s）': 'Witness %(n)s (%(account)s)',
    '见证人 %(n)s：%(name)s（%(role)s）': 'Witness %(n)s: %(name)s (%(role)s)',
    'drand quicknet 第 %(round)s 轮': 'drand quicknet round %(round)s',
    '%(game)s 第 %(issue)s 期': '%(game)s, issue %(issue)s',
    '还剩 %(days)s 天 %(time)s': '%(days)s days %(time)s left',
    '还剩 1 天 %(time)s': '1 day %(time)s left',
    '还剩 %(time)s': '%(time)s left',
    '签号': 'Ticket',
    '扫码打开本页。摇号完成后，任何人都可以下载核验包，用开源的 %(package)s 包离线复算：': 'Scan the code to open this page. Once the draw is done, anyone can download the verification bundle and recompute it offline with the open-source %(package)s package:',
    '服务器刚刚用与离线工具相同的 %(package)s 包核验了本次摇号的核验包：': "The server has just verified this draw's verification bundle with the same %(package)s package as the offline tool:",
    '只需要 Python 和 %(library)s 库，以及本平台开源的 %(package)s 包：': "You need only Python, the %(library)s library and this platform's open-source %(package)s package:",
    '签名检查点': 'Signed checkpoint',
    '大写字母开头，如 %(example)s。': 'Starts with a capital letter, e.g. %(example)s.',
    # the verifier's checks (lottery-v1 §9)
    '格式完整': 'Well-formed',
    '公告内容未改动': 'Announcement unchanged',
    '平台密钥与事先承诺一致': 'Secret matches the commitment made in advance',
    '冻结名单完整': 'Frozen list complete',
    '随机数来源与计划一致': 'Randomness sources as planned',
    '抽取结果可复算': 'Result recomputed',
    '平台签名有效': "Platform's signature valid",
    '日志检查点签名有效': "Log checkpoint's signature valid",
    '记录已写入透明日志': 'Recorded in the transparency log',
    '事件顺序符合规则': 'Events in a valid order',
    # approvals: the project timeline and the case form
    '签约': 'signing',
    '告知书按发出时的中文原文显示。': 'The notice as it was issued, in Chinese.',
    '时间轴（可左右滑动）': 'Timeline (scrolls sideways)',
    '%(name)s（%(department)s，承诺 %(n)s 个工作日）': '%(name)s (%(department)s, committed %(n)s working days)',
    # an engagement's history
    '中选结果确认，生成委托': 'Result confirmed, engagement created',
    '业主上传合同': 'Owner uploaded the contract',
    '中介机构上传合同': 'Agency uploaded the contract',
    '业主确认合同': 'Owner confirmed the contract',
    '中介机构确认合同': 'Agency confirmed the contract',
    '中介机构要求补充资料': 'Agency asked for materials',
    '业主补充资料': 'Owner provided materials',
    '中介机构提交服务成果': 'Agency submitted a deliverable',
    '业主验收通过': 'Owner accepted the deliverable',
    '业主退回服务成果': 'Owner returned the deliverable',
    '业主同意延长服务时限': 'Owner extended the service limit',
    '业主取消委托': 'Owner cancelled the engagement',
    '业主提交服务评价': 'Owner rated the service',
    '中介机构回复评价': 'Agency replied to the rating',
    '其他操作': 'Other action',
    # the regulator's fairness page
    '所有结果都在公平摇号的正常波动范围内（显著性水平 0.01）。': 'Every result is within what fair draws produce (significance level 0.01).',
}
