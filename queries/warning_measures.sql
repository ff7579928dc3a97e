-- Additive warning measures per window and bureau, for each window [$starts[i], $ends[i]),
-- optionally filtered; one read for every window, whole weeks from warning_bureau_weekly and
-- the other days from warning_bureau_daily (see case_measures.sql).
WITH win AS (   -- the windows, numbered from 1, with their whole weeks [wk_from, wk_to)
    SELECT window_no, w_start, w_end, CAST(date_trunc('week', w_start + 6) AS DATE) AS wk_from,
           CAST(date_trunc('week', w_end) AS DATE) AS wk_to
    FROM (SELECT generate_subscripts(CAST($starts AS DATE[]), 1) AS window_no,
                 unnest(CAST($starts AS DATE[])) AS w_start, unnest(CAST($ends AS DATE[])) AS w_end)),
weeks AS (SELECT window_no, CAST(unnest(generate_series(wk_from, wk_to - 7, INTERVAL 7 DAY)) AS DATE) AS week_start
          FROM win),
days AS (SELECT window_no, day
         FROM (SELECT window_no, wk_from, wk_to,
                      CAST(unnest(generate_series(w_start, w_end - 1, INTERVAL 1 DAY)) AS DATE) AS day FROM win)
         WHERE day < wk_from OR day >= wk_to),
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
