"""FHIR → OMOP ETL: extract, transform (one module per resource type), load by COPY."""
