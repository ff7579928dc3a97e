-- Warnings per window and sign-time bucket, for each window [$starts[i], $ends[i]), optionally
-- filtered, with each bucket's shortest and longest time in seconds: the histogram from which
-- measures.sign_medians finds where the middle rank lies (buckets are disjoint time ranges).
WITH win AS (   -- the windows, numbered from 1
    SELECT unnest(CAST($starts AS DATE[])) AS w_start, unnest(CAST($ends AS DATE[])) AS w_end,
           generate_subscripts(CAST($starts AS DATE[]), 1) AS window_no)
SELECT window_no, bucket, sum(warnings) AS warnings, min(min_seconds) AS min_seconds,
       max(max_seconds) AS max_seconds
FROM warning_sign_daily JOIN win ON day >= w_start AND day < w_end
WHERE (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY window_no, bucket
ORDER BY window_no, bucket
