-- Disclosure rules and this site's name, set by `rwe federate site-setup` (admin only).
CREATE TABLE IF NOT EXISTS @federated.setting (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
