"""The platform-wide draw log in the app (透明日志): lottery-v1.md §7 kept in the database."""
