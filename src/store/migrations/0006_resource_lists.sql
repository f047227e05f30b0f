-- A resource's lines as lists instead of one index entry per line. `cost_lines_resource` held
-- a row per line, written through SQL at about 1.3 µs each: a third of a million-line import's
-- time went into the two hand-kept indexes. A list holds ids of one (resource, month, account,
-- import): one list per key and write run of 262,144 lines, so a very large import has a few per
-- key; a few thousand rows per million lines. The explorer and the review marks read them
-- through json_each; the order of the ids in a list means nothing.
CREATE TABLE cost_lines_resource_lists (
    resource   INTEGER NOT NULL,
    month      TEXT NOT NULL,
    account_id TEXT NOT NULL,
    import_id  INTEGER,            -- NULL for Billfold's own lines
    ids        BLOB NOT NULL       -- JSONB array of cost_lines ids
) STRICT;
CREATE INDEX cost_lines_resource_lists_key
    ON cost_lines_resource_lists(resource, month, account_id);

INSERT INTO cost_lines_resource_lists (resource, month, account_id, import_id, ids)
SELECT x.resource, x.month, x.account_id, l.import_id, jsonb_group_array(x.id)
FROM cost_lines_resource x JOIN cost_lines l ON l.id = x.id
-- Billfold's own lines (no import) one per list, as the trigger below expects.
GROUP BY x.resource, x.month, x.account_id, l.import_id,
         CASE WHEN l.import_id IS NULL THEN x.id END;

-- Imported lines are deleted a whole import, or a whole (account, month) slice of an import, at
-- a time: each deleted line takes its list with it (its siblings go in the same statement).
-- Billfold's own lines are listed one per list, so each takes only its own.
DROP TRIGGER cost_lines_unindex;
CREATE TRIGGER cost_lines_unindex AFTER DELETE ON cost_lines
BEGIN
    DELETE FROM cost_lines_rank
    WHERE account_id = old.account_id AND month = old.month AND service = old.service
      AND sub_account = COALESCE(old.sub_account, 0) AND billed_cost = old.billed_cost
      AND id = old.id;
    DELETE FROM cost_lines_resource_lists
    WHERE old.resource IS NOT NULL AND resource = old.resource AND month = old.month
      AND account_id = old.account_id AND import_id IS old.import_id
      AND (old.import_id IS NOT NULL OR json(ids) = json_array(old.id));
END;
DROP TABLE cost_lines_resource;
