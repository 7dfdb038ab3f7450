"""Pure domain rules: codes, the working-day calendar and clocks (no Flask, no database)."""
