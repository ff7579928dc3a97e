-- The warnings and cases a follow-up task lists by id ($ids), and whether each has had its
-- answer: a warning once it has a feedback time and a result other than 处置中; a case once it
-- is solved or withdrawn (已破案 / 已撤案). Ids not found return no row.
SELECT 'warning' AS kind, warning_id AS item_id, bureau_id,
       feedback_at IS NOT NULL AND coalesce(result, '') <> '处置中' AS answered
FROM warnings
WHERE list_contains(CAST($ids AS VARCHAR[]), warning_id)
UNION ALL
SELECT 'case' AS kind, case_id AS item_id, bureau_id,
       coalesce(status, '') IN ('已破案', '已撤案') AS answered
FROM cases
WHERE list_contains(CAST($ids AS VARCHAR[]), case_id)
ORDER BY kind, item_id
