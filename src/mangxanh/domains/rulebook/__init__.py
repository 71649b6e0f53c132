"""The rules in force: the shipped file, or the latest version saved in the console."""
