"""Language-server benchmark: a 10,000-line file with 1,000 agent regions, driven over stdio."""
