"""Demo content written by the team: fictional people and pages, realistic Vietnamese."""
