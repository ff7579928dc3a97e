-- Case count and amounts per window and fraud type, for each window [$starts[i], $ends[i]),
-- optionally filtered, most cases first: one read for every window a page compares, whole
-- weeks from case_weekly and the other days from case_daily (see case_measures.sql).
WITH
-- @include windows
rows AS (
    SELECT window_no, bureau_id, fraud_type, cases, loss, stopped, frozen, returned
    FROM case_weekly JOIN weeks USING (week_start)
    UNION ALL
    SELECT window_no, bureau_id, fraud_type, cases, loss, stopped, frozen, returned
    FROM case_daily JOIN days USING (day))
SELECT window_no, fraud_type, sum(cases) AS cases, sum(loss) AS loss, sum(stopped) AS stopped,
       sum(frozen) AS frozen, sum(returned) AS returned
FROM rows
WHERE (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY window_no, fraud_type
ORDER BY window_no, cases DESC
