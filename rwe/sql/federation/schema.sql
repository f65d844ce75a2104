-- The site's federation schema: the aggregate functions the protocol allows, and the admin's
-- bookkeeping tables (never readable by the federated role).
CREATE SCHEMA IF NOT EXISTS @federated;
REVOKE ALL ON SCHEMA @federated FROM PUBLIC;
