-- Additive warning measures per window and bureau, for each window [$starts[i], $ends[i]),
-- optionally filtered; one scan for every window (see case_measures.sql).
WITH win AS (   -- the windows, numbered from 1
    SELECT unnest(CAST($starts AS DATE[])) AS w_start, unnest(CAST($ends AS DATE[])) AS w_end,
           generate_subscripts(CAST($starts AS DATE[]), 1) AS window_no)
SELECT window_no, bureau_id,
       sum(warnings) AS warnings, sum(dissuaded) AS dissuaded, sum(overdue) AS overdue,
       sum(victimized_after) AS victimized_after, sum(feedback_missing) AS feedback_missing,
       sum(signed_missing) AS signed_missing, sum(avoided_loss) AS avoided_loss
FROM warning_bureau_daily JOIN win ON day >= w_start AND day < w_end
WHERE (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY window_no, bureau_id
