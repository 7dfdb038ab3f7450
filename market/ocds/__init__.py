"""Open Contracting Data Standard (OCDS 1.1) export of selection requests (开放合同数据)."""
