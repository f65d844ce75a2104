-- One secret per peer site, agreed between the two sites (never known to the coordinator):
-- both derive the same HMAC masks, added by one and subtracted by the other, so they cancel.
CREATE TABLE IF NOT EXISTS @federated.pair_key (
    peer TEXT PRIMARY KEY,
    secret BYTEA NOT NULL CHECK (length(secret) >= 16)
);
