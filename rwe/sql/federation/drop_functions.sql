-- Every function of the federation schema dropped before site-setup creates the current ones
-- (in the same transaction): a function whose arguments changed would otherwise stay behind
-- as a second, outdated version that the role may still execute.
DO $$
DECLARE
    f REGPROCEDURE;
BEGIN
    FOR f IN SELECT p.oid::REGPROCEDURE FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = '@federated' LOOP
        EXECUTE 'DROP FUNCTION ' || f::TEXT;
    END LOOP;
END
$$;
