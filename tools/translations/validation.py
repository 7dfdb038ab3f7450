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
    '付款日期 %(date)s 晚于今天（%(today)s），请填写实际付款的日期。':
        'The payment date %(date)s is after today (%(today)s). Please enter the day the money '
        'was actually paid.',
    '付款日期 %(date)s 早于合同确认日期（%(contract)s），这笔款项不是本委托的付款。':
        'The payment date %(date)s is before the contract was confirmed (%(contract)s); it is '
        'not a payment for this engagement.',
}
