"""The managing department's monthly report (月度报告) and the public statistics page (统计)."""
