-- The HMAC-SHA256 (RFC 2104) key block XOR pad (0x36 inner, 0x5c outer), computed once per
-- pair key so that each masked value costs two built-in sha256() calls (no extension needed).
CREATE OR REPLACE FUNCTION @federated.hmac_pad(key BYTEA, pad INTEGER) RETURNS BYTEA
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k BYTEA := CASE WHEN length(key) > 64 THEN sha256(key) ELSE key END;
BEGIN
    k := k || decode(repeat('00', 64 - length(k)), 'hex');
    FOR i IN 0..63 LOOP
        k := set_byte(k, i, get_byte(k, i) # pad);
    END LOOP;
    RETURN k;
END
$$;
