"""Local authorities and schools, populated from the data contract's tables."""
