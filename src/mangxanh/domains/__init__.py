"""Domain packages: tables, schemas and services, one package per part of the domain."""
