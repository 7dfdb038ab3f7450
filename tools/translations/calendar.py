"""English for the working-day calendar (msgid -> msgstr)."""

T = {
    "放假的工作日": "Weekdays off",
    "调休上班的周末": "Weekend days worked (make-up working days)",
    "依据": "Source",
    "已与国务院办公厅通知逐日核对": "Checked day by day against the State Council notice",
    "无法识别的日期：%(item)s（格式如 2026-10-01 或 2026-10-01..2026-10-07）": "Cannot read the date %(item)s (write 2026-10-01 or 2026-10-01..2026-10-07)",
    "不存在的日期：%(item)s": "No such date: %(item)s",
    "日期范围不合理：%(item)s": "This date range is not plausible: %(item)s",
    "%(item)s 是工作日，无需调休。": "%(item)s is a weekday: it is a working day anyway.",
    "%(item)s 同时出现在休息日和调休上班日中。": "%(item)s is listed both as a day off and as a make-up working day.",
    "日期须在 %(item)s 年内（或相邻的 12 月、1 月）。": "Dates must fall in %(item)s (or the December before or the January after).",
    "请注明依据（如国务院办公厅通知的文号）。": "Please give the source (for example the State Council notice number).",
    "%(year)s 年工作日历已保存。": "The %(year)s working-day calendar has been saved.",
    "工作日历": "Working-day calendar",
    "%(year)s 年节假日安排": "Holiday arrangements for %(year)s",
    "按国务院办公厅关于节假日安排的通知逐日录入。未保存过的年份预填了节假日库的数据，请核对后保存。保存后立即用于所有期限计算。": "Enter the days of the State Council notice on holiday arrangements. A year never saved is prefilled from the holiday library: check it, then save. Saved days apply to every deadline at once.",
    "当前状态": "Status",
    "已确认": "Confirmed",
    "暂定": "Provisional",
    "每行一个日期，或日期范围如 2026-10-01..2026-10-07；周末无需列出。": "One date per line, or a range such as 2026-10-01..2026-10-07; weekends need not be listed.",
    "每行一个日期（须为周六或周日）。": "One date per line (a Saturday or Sunday).",
    "如：国办发明电〔2025〕7号": "For example: 国办发明电〔2025〕7号",
    "查看日历": "View the calendar",
    "%(year)s 年工作日历": "Working-day calendar %(year)s",
    "编辑本年节假日安排": "Edit this year's holiday arrangements",
    "本年度节假日安排尚未经运营方按国务院通知确认，以下日期为暂定，期限可能调整。": "This year's holiday arrangements have not yet been confirmed against the State Council notice: the days below are provisional and deadlines may move.",
    "工作日": "Working day",
    "休息日": "Rest day",
    "调休上班": "Make-up working day",
    "节假日": "Public holiday",
    "%(month)s 月": "Month %(month)s",
    "一": "Mon",
    "二": "Tue",
    "三": "Wed",
    "四": "Thu",
    "五": "Fri",
    "六": "Sat",
    "日": "Sun",
    "期限按工作日计算，起算当日不计入。接口：": "Deadlines count working days; the starting day is not counted. API:",
    # local holidays of a division (地方性节假日)
    "日期": "Date",
    "类别": "Kind",
    "休息日（地方性节日）": "Rest day (local holiday)",
    "请填写日期（格式如 2026-07-27 或 2026-07-27..2026-07-29）。":
        "Enter a date (as 2026-07-27 or 2026-07-27..2026-07-29).",
    "日期须在 2000 至 2100 年之间：%(item)s": "Dates must be between 2000 and 2100: %(item)s",
    "请填写节日或调休的名称（至多 100 字）。":
        "Enter the name of the holiday or make-up day (at most 100 characters).",
    "请注明依据的地方性法规或通知名称（至多 300 字）。":
        "Name the local regulation or notice it follows (at most 300 characters).",
    "%(item)s 已有本地日历条目，请先删除。":
        "%(item)s already has a local entry; delete it first.",
    "%(item)s 按全国日历已是工作日，无需调休上班。":
        "%(item)s is already a working day in the national calendar; no make-up day is needed.",
    "已添加 %(count)s 天本地日历条目。": "%(count)s local day(s) added.",
    "已删除 %(day)s 的本地日历条目。": "The local entry of %(day)s has been deleted.",
    "%(place)s 本地节假日": "Local holidays of %(place)s",
    "依本地地方性法规（如自治条例）确定的节日放假或调休。保存后立即用于本地区及下辖县（区）的期限计算；全国节假日安排由省级运营方维护。":
        "Holidays and make-up days set by a local regulation (such as an autonomy regulation)."
        " Once saved they count at once in the deadlines of this area and of the counties"
        " under it; the national holiday schedule is kept by the provincial operator.",
    "省级条目适用于全省所有入驻地区。":
        "The province's entries apply in every area the platform serves.",
    "全国节假日安排": "National holiday schedule",
    "本地区尚无本地节假日。": "This area has no local holidays yet.",
    "上级地区的条目（同样适用于本地区）": "Entries of the areas above (they apply here too)",
    "一个日期，或日期范围如 2026-07-27..2026-07-29。":
        "One date, or a range such as 2026-07-27..2026-07-29.",
    "如：火把节": "e.g. 火把节 (Torch Festival)",
    "地方性法规或通知的名称，如：《楚雄彝族自治州自治条例》":
        "The name of the local regulation or notice, e.g. 《楚雄彝族自治州自治条例》",
    "查看本地日历": "View the local calendar",
    "全国节假日安排由省级运营方维护": "The national holiday schedule is kept by the provincial operator",
    "%(year)s 年的全国节假日安排适用于全省所有地区，只有省级运营方可以修改。本地区依地方性法规确定的节日，请在本地节假日页面录入。":
        "The %(year)s national holiday schedule applies in every area of the province; only"
        " the provincial operator may change it. Enter the holidays your area's own"
        " regulations set on the local holidays page.",
    "本地节假日": "Local holidays",
    "%(place)s %(year)s 年工作日历": "Working-day calendar %(year)s of %(place)s",
    "全国（不含地方性节日）": "National (without local holidays)",
    "编辑本地节假日": "Edit local holidays",
    "地方性节假日": "Local holidays",
}
