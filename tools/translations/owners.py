"""English translations of the owner's people: projects assigned to delegates (项目分派给采购受托人)
and natural persons as owners (自然人业主)."""
# ruff: noqa: E501

T = {
'项目编号': 'Project ID',
'项目时间线': 'Project timeline',
'未分派（仅采购管理人可见）': 'Not assigned (only the owner administrator sees it)',
'分派采购受托人': 'Assign owner delegates',
'采购受托人只能看到分派给自己的项目及其采购公告、委托和审批办件。': 'An owner delegate sees only the projects assigned to them, with their selection requests, engagements and approval cases.',
'保存分派': 'Save assignment',
'本单位还没有采购受托人。': 'Your organisation has no owner delegate yet.',
'只能分派给本单位的采购受托人。': 'A project can be assigned only to your organisation’s owner delegates.',
'已更新项目的采购受托人：分派 %(added)s 人，收回 %(removed)s 人。': 'The project’s owner delegates are updated: %(added)s assigned, %(removed)s taken back.',
}
