"""What the hub keeps of people, how long, and their export and erasure (docs/privacy.md)."""
