"""Agencies (中介机构): admission, qualifications, practitioners, listings and the directory."""
