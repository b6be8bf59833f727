"""Job and mission posts (#16)."""
