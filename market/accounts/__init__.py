"""Accounts: users, organisations and memberships (账户、单位、成员)."""
