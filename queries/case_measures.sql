-- Additive case measures per window and bureau, for each window [$starts[i], $ends[i]),
-- optionally filtered. One read serves every window a page compares (this week, last week,
-- last year, both years to date, the tests' weekly history): a window's whole weeks come from
-- case_weekly, its other days (a year to date that starts on a Thursday) from case_daily,
-- so a long window costs about a seventh of its days.
WITH
-- @include windows
rows AS (
    SELECT window_no, bureau_id, fraud_type, cases, loss, stopped, frozen, returned, solved, fast_stop_n,
           fast_stop_den, stop_cases, loss_sq
    FROM case_weekly JOIN weeks USING (week_start)
    UNION ALL
    SELECT window_no, bureau_id, fraud_type, cases, loss, stopped, frozen, returned, solved, fast_stop_n,
           fast_stop_den, stop_cases, loss_sq
    FROM case_daily JOIN days USING (day))
SELECT window_no, bureau_id,
       sum(cases) AS cases, sum(loss) AS loss, sum(stopped) AS stopped, sum(frozen) AS frozen,
       sum(stopped) + sum(frozen) AS intercepted, sum(returned) AS returned,
       sum(solved) AS solved, sum(fast_stop_n) AS fast_stop_n,
       sum(fast_stop_den) AS fast_stop_den, sum(stop_cases) AS stop_cases, sum(loss_sq) AS loss_sq
FROM rows
WHERE (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY window_no, bureau_id
