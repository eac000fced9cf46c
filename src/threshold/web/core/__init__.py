"""The site's frame: base template, home page per role, health check, demo data, serving."""
