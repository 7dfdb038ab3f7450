"""English for validation across areas: unique project codes, payment dates, the sanction
form's agency search and confirmation (msgid -> msgstr)."""

T = {
    '本单位已登记投资项目代码为 %(code)s 的项目（%(project)s %(name)s），请在该项目下发起采购，无需重复登记。':
        'Your organisation has already registered the project with investment project code '
        '%(code)s (%(project)s %(name)s). Start the selection under that project; there is no '
        'need to register it again.',
    '投资项目代码 %(code)s 已由其他单位登记，一个投资项目只能登记一次。请核对代码。':
        'Investment project code %(code)s has been registered by another organisation; an '
        'investment project can be registered only once. Please check the code.',
    '投资项目代码 %(code)s 已经登记，一个投资项目只能登记一次。请核对代码；如是本单位的项目，请联系本单位采购管理人分派给您。':
        'Investment project code %(code)s is already registered; an investment project can be '
        'registered only once. Please check the code; if it is a project of your organisation, '
        'ask your procurement administrator to assign it to you.',
    '付款日期 %(date)s 晚于今天（%(today)s），请填写实际付款的日期。':
        'The payment date %(date)s is after today (%(today)s). Please enter the day the money '
        'was actually paid.',
    '付款日期 %(date)s 早于合同确认日期（%(contract)s），这笔款项不是本委托的付款。':
        'The payment date %(date)s is before the contract was confirmed (%(contract)s); it is '
        'not a payment for this engagement.',
    # the sanction form: find the agency, fill in, confirm
    '机构名称、统一社会信用代码或机构编号': 'Agency name, unified social credit code or agency id',
    '请先搜索并选择要处罚的中介机构。': 'Search for and choose the agency to sanction first.',
    '日期应在 %(first)s 至 %(last)s 之间。': 'The date must be between %(first)s and %(last)s.',
    '未入驻': 'Not admitted',
    '入驻未通过': 'Admission rejected',
    '没有找到这家中介机构，请重新搜索并选择。':
        'No such agency was found. Please search again and choose one.',
    '未登记': 'Not registered',
    '机构编号': 'Agency id',
    '地区': 'Region',
    '现有处罚': 'Current sanctions',
    '无执行中或未开始的处罚。': 'No sanction in force or about to start.',
    '已结束的处罚 %(n)s 项。': '%(n)s ended sanction(s).',
    '查看机构主页': 'View the agency profile',
    '确认发布处罚': 'Confirm the sanction',
    '选择中介机构': 'Choose the agency',
    '填写处罚': 'Fill in the sanction',
    '确认发布': 'Confirm and publish',
    '将发布的处罚': 'The sanction to be published',
    '发布后': 'Once published',
    '处罚将在机构主页和处罚名单上公示，记录永久保留。':
        'The sanction is shown on the agency profile and the list of sanctions; the record is '
        'kept for good.',
    '处罚期已经结束：只记入历史，不影响报名和当前信用分。':
        'The sanction period has already ended: it is recorded in the history only and does '
        'not affect sign-up or the current credit score.',
    '%(start)s 至 %(end)s 期间，该机构不能报名任何采购公告。':
        'From %(start)s to %(end)s the agency cannot sign up for any selection notice.',
    '警告只公示，不影响报名。': 'A warning is only published; it does not affect sign-up.',
    '信用分由 %(now)s 变为 %(then)s，即日生效。':
        'The credit score changes from %(now)s to %(then)s, from today.',
    '自 %(start)s 起，信用分由 %(now)s 变为 %(then)s（其他情况不变时）。':
        'From %(start)s the credit score changes from %(now)s to %(then)s (all else being '
        'equal).',
    '该机构已报名、在处罚期内截止的 %(n)s 个采购公告，截止时将排除该机构：':
        'The agency has signed up for %(n)s selection notice(s) whose sign-up closes within the '
        'period; it will be excluded at the close:',
    '返回修改': 'Back to edit',
    '换一家中介机构': 'Choose another agency',
    '下一步：核对': 'Next: check',
    '输入名称中的几个字，或统一社会信用代码、机构编号的开头。':
        'Type a few characters of the name, or the beginning of the unified social credit code '
        'or the agency id.',
    '搜索': 'Search',
    '搜索结果': 'Results',
    '选择': 'Choose',
    '只列出前 %(n)s 家，请输入更完整的名称或代码。':
        'Only the first %(n)s are listed; type more of the name or code.',
    '没有找到符合的中介机构。': 'No agency matches.',

    # the API's request validation (market/web/openapi.py): English as the messages were
    # before they were translated, so English clients read the same text
    '%(name)s 须为 YYYY-MM-DD 格式的日期，从 %(lo)s 到 %(hi)s':
        '%(name)s must be a date YYYY-MM-DD from %(lo)s to %(hi)s',
    '%(name)s 须为 YYYY-MM-DD 格式的日期': '%(name)s must be a date YYYY-MM-DD',
    '未知的查询参数：%(name)s': 'unknown query parameter: %(name)s',
    '缺少 %(name)s': '%(name)s is required',
    '%(name)s：第 %(position)s 个字符（%(code)s）是上标或下标数字':
        '%(name)s: character %(position)s (%(code)s) is a superscript or subscript digit',
    '%(name)s：第 %(position)s 个字符（%(code)s）是控制字符或格式字符':
        '%(name)s: character %(position)s (%(code)s) is a control or format character',
    '%(name)s 须为整数': '%(name)s must be an integer',
    '%(name)s 须为 true 或 false': '%(name)s must be true or false',
    '%(name)s 须在 %(bounds)s 之内': '%(name)s must be in %(bounds)s',
    '%(name)s 太长': '%(name)s is too long',
    '%(name)s 须为以下之一：%(values)s': '%(name)s must be one of: %(values)s',
    '%(name)s 须符合 %(pattern)s': '%(name)s must match %(pattern)s',
    '%(name)s 须为字符串': '%(name)s must be a string',
    '%(name)s 须为 %(low)s 至 %(high)s': '%(name)s must be from %(low)s to %(high)s',
    '请以 application/json 发送请求体': 'send the body as application/json',
    '请求体须为一个 JSON 对象': 'the body must be a JSON object',
    '未知的字段：%(name)s': 'unknown field: %(name)s',
    '%(name)s 须为最多 %(n)s 个字符串的列表': '%(name)s must be a list of at most %(n)s strings',
    '%(name)s 须为不含重复项的非空列表': '%(name)s must be a non-empty list without repeats',
}
