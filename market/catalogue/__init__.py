"""The service catalogue (服务目录): service types and approval matters."""
