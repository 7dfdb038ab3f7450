"""The operator's settings (运营设置): the numbers the rules leave to the platform, each
change effective from a date and kept with its history, read through :func:`service.effective`.
"""
