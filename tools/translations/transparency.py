"""English for the transparency pages (msgid -> msgstr)."""

T = {
    "透明日志": "Transparency log",
    "每一次摇号的每一步（公告、报名、退出、排除、冻结名单、录入随机数、抽取、放弃、作废）都写入这份只增不改的日志。任何人都可以下载日志和签名检查点，离线核对平台没有改写历史。": "Every step of every draw (announcement, sign-up, withdrawal, exclusion, frozen pool, entropy, draw, decline, void) is written to this append-only log. Anyone can download the log and the signed checkpoints and check offline that the platform never rewrote its history.",
    "最新检查点": "Latest checkpoint",
    "日志条数": "Log size",
    "日志尚无记录。": "The log is empty.",
    "下载完整日志": "Download the whole log",
    "平台公钥": "Platform public key",
    "签名验证密钥": "Signed-note verifier key",
    "如何离线核验": "How to verify offline",
    "只需要 Python 和 cryptography 库，以及本平台开源的 lottery 包：": "You need only Python, the cryptography library and this platform's open-source lottery package:",
    "保存今天的检查点；日后用同一命令核对，若日志被改写，核对会失败。两个日志大小之间的一致性证明：": "Keep today's checkpoint; run the same command later and it fails if the log was rewritten. Consistency proof between two log sizes:",
    '日志为空。': 'The log is empty.',
    'end: 不能超过日志的长度 %(size)s': "end: must not be past the log's size, %(size)s",
    'start: 不能大于 end': 'start: must not be past end',
    'to: 不能超过日志的长度 %(size)s': "to: must not be past the log's size, %(size)s",
    'from: 不能大于 to': 'from: must not be past to',
    'start: 须满足 0 ≤ start ≤ end': '0 <= start <= end',
    '该摇号尚未抽取。': 'This lottery has not been drawn.',
    '没有已发布的采购公告 %(id)s。': 'No published selection notice %(id)s.',
}
