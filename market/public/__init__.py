"""Public pages (公开页面): no login needed."""
