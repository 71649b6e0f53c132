"""Official information and positive content: the registries of official channels and corrections."""
