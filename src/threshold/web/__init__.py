"""The web layer: a Django service for LA staff, supervising social workers, DSLs and evaluators."""
