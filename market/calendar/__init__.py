"""The working-day calendar in the app (工作日历): operators' yearly schedules, public API."""
