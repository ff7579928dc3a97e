-- Case count and amounts per window and fraud type, for each window [$starts[i], $ends[i]),
-- optionally filtered, most cases first: one read of the rollup for every window a page
-- compares (see case_measures.sql).
WITH win AS (   -- the windows, numbered from 1
    SELECT unnest(CAST($starts AS DATE[])) AS w_start, unnest(CAST($ends AS DATE[])) AS w_end,
           generate_subscripts(CAST($starts AS DATE[]), 1) AS window_no)
SELECT window_no, fraud_type, sum(cases) AS cases, sum(loss) AS loss, sum(stopped) AS stopped,
       sum(frozen) AS frozen, sum(returned) AS returned
FROM case_daily JOIN win ON day >= w_start AND day < w_end
WHERE (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY window_no, fraud_type
ORDER BY window_no, cases DESC
