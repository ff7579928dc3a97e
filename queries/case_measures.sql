-- Additive case measures per window and bureau, for each window [$starts[i], $ends[i]),
-- optionally filtered. One scan of the rollup serves every window a page compares
-- (this week, last week, last year, both years to date): one query instead of one per window.
WITH win AS (   -- the windows, numbered from 1
    SELECT unnest(CAST($starts AS DATE[])) AS w_start, unnest(CAST($ends AS DATE[])) AS w_end,
           generate_subscripts(CAST($starts AS DATE[]), 1) AS window_no)
SELECT window_no, bureau_id,
       sum(cases) AS cases, sum(loss) AS loss, sum(stopped) AS stopped, sum(frozen) AS frozen,
       sum(stopped) + sum(frozen) AS intercepted, sum(returned) AS returned,
       sum(solved) AS solved, sum(fast_stop_n) AS fast_stop_n,
       sum(fast_stop_den) AS fast_stop_den, sum(stop_cases) AS stop_cases, sum(loss_sq) AS loss_sq
FROM case_daily JOIN win ON day >= w_start AND day < w_end
WHERE (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY window_no, bureau_id
