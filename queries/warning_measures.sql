-- Additive warning measures per window and bureau, for each window [$starts[i], $ends[i]),
-- optionally filtered; one read for every window, whole weeks from warning_bureau_weekly and
-- the other days from warning_bureau_daily (see case_measures.sql).
WITH
-- @include windows
rows AS (
    SELECT window_no, bureau_id, fraud_type, warnings, dissuaded, overdue, victimized_after, feedback_missing,
           signed_missing, avoided_loss
    FROM warning_bureau_weekly JOIN weeks USING (week_start)
    UNION ALL
    SELECT window_no, bureau_id, fraud_type, warnings, dissuaded, overdue, victimized_after, feedback_missing,
           signed_missing, avoided_loss
    FROM warning_bureau_daily JOIN days USING (day))
SELECT window_no, bureau_id,
       sum(warnings) AS warnings, sum(dissuaded) AS dissuaded, sum(overdue) AS overdue,
       sum(victimized_after) AS victimized_after, sum(feedback_missing) AS feedback_missing,
       sum(signed_missing) AS signed_missing, sum(avoided_loss) AS avoided_loss
FROM rows
WHERE (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY window_no, bureau_id
