"""Service ratings (服务评价) of accepted engagements and the agency's reply."""
