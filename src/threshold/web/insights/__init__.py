"""Front-door insight: imported contacts and referrals, and the dashboards built on them."""
