"""Backups (备份与恢复): ``flask backup create`` / ``flask backup restore``."""
