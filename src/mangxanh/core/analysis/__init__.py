"""Analysis types, the detector protocol, the registry and the pipeline."""
