"""Keys, certificates, signing and verification (arrives with offline peer review)."""
