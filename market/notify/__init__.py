"""Notifications (通知与提醒): reminders in the app and by e-mail.

- :mod:`.models`: a notification to one organisation or one person;
- :mod:`.mail`: e-mail, and the e-mailing of every notification exactly once;
- :mod:`.reminders`: the periodic run (``flask clocks tick``) that writes the reminders of
  clocks in warning or overdue;
- :mod:`.cli`, :mod:`.views`: the command and the page.
"""
