"""Reading directive sources (YAML, JSON, XLSX appendix) into the raw data the directive file validates."""
