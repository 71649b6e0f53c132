"""What is being talked about: the terms of each item, and when a term's count is a burst (pure)."""
