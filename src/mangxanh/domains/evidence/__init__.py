"""Evidence: what was seen of an item, kept unchanged (captures), and packages of it for the police or a court."""
