-- Signed warnings per window and sign-time bucket, for each window [$starts[i], $ends[i]),
-- optionally filtered, with each bucket's shortest and longest time in seconds, in bucket
-- order: the histograms from which measures.sign_medians finds where each window's middle
-- rank lies (buckets are disjoint time ranges). One read for every window: without filters
-- the city-wide histogram (warning_sign_city, a few thousand rows a year); with a bureau or
-- type filter whole weeks from warning_sign_weekly and the other days from
-- warning_sign_daily (see case_measures.sql). DuckDB drops the branch the filters rule out.
WITH
-- @include windows
city AS (SELECT window_no, CAST(unnest(generate_series(w_start, w_end - 1, INTERVAL 1 DAY)) AS DATE) AS day
         FROM win
         WHERE len(CAST($bureaus AS VARCHAR[])) = 0 AND len(CAST($types AS VARCHAR[])) = 0),
rows AS (
    SELECT window_no, bucket, warnings, min_seconds, max_seconds
    FROM warning_sign_city JOIN city USING (day)
    UNION ALL
    SELECT window_no, bucket, warnings, min_seconds, max_seconds
    FROM (SELECT window_no, bureau_id, fraud_type, bucket, warnings, min_seconds, max_seconds
          FROM warning_sign_weekly JOIN weeks USING (week_start)
          UNION ALL
          SELECT window_no, bureau_id, fraud_type, bucket, warnings, min_seconds, max_seconds
          FROM warning_sign_daily JOIN days USING (day))
    WHERE (len(CAST($bureaus AS VARCHAR[])) > 0 OR len(CAST($types AS VARCHAR[])) > 0)
      AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
      AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type)))
SELECT window_no, bucket, sum(warnings) AS warnings, min(min_seconds) AS min_seconds,
       max(max_seconds) AS max_seconds
FROM rows
GROUP BY window_no, bucket
ORDER BY window_no, bucket
