-- Release (label, value) pairs with pairwise cancelling masks: for each participating peer the
-- site adds +m (its name sorts first) or -m, m = HMAC-SHA256(pair secret, query_id|label) read as a
-- 128-bit signed integer / 10^12. The peer derives the same m with the other sign, so the
-- coordinator's sum over sites is the exact total while each site's vector looks random.
-- NUMERIC arithmetic keeps the cancellation exact. An empty participant list = no masking.
CREATE OR REPLACE FUNCTION @federated.mask_release(
    query_id TEXT, participants TEXT[], labels TEXT[], vals NUMERIC[]
) RETURNS TABLE (label TEXT, value NUMERIC)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me TEXT := (SELECT s.value FROM @federated.setting s WHERE s.name = 'site_name');
    missing TEXT;
BEGIN
    SELECT p INTO missing FROM unnest(participants) p
    WHERE p <> me AND NOT EXISTS (SELECT 1 FROM @federated.pair_key k WHERE k.peer = p)
    LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'rwe-federated: no pair key shared with site %', missing
            USING ERRCODE = '22023';
    END IF;
    IF cardinality(participants) > 0 AND NOT me = ANY (participants) THEN
        RAISE EXCEPTION 'rwe-federated: this site (%) is not among the participants', me
            USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    WITH keys AS (
        SELECT CASE WHEN me < k.peer THEN 1 ELSE -1 END AS sign,
               @federated.hmac_pad(k.secret, 54) AS ipad,
               @federated.hmac_pad(k.secret, 92) AS opad
        FROM @federated.pair_key k
        WHERE k.peer = ANY (participants) AND k.peer <> me
    ), released AS (
        SELECT l, v FROM unnest(labels, vals) AS u (l, v)
    )
    SELECT r.l,
           r.v + coalesce((
               SELECT sum(keys.sign * (
                   ('x' || encode(substr(h, 1, 8), 'hex'))::BIT(64)::BIGINT::NUMERIC
                       * 18446744073709551616
                   + ('x' || encode(substr(h, 9, 8), 'hex'))::BIT(64)::BIGINT::NUMERIC
               ) / 1000000000000)
               FROM keys,
                    LATERAL (SELECT sha256(keys.opad || sha256(
                        keys.ipad || convert_to(query_id || '|' || r.l, 'UTF8'))) AS h) m
           ), 0)
    FROM released r;
END
$$;
