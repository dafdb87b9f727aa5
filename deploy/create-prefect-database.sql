-- Prefect's own database beside dondoc's, on the same PostgreSQL server (compose.yaml).
CREATE DATABASE prefect OWNER dondoc;
