-- Warnings per sign-time bucket in [$start, $end), optionally filtered, with each bucket's
-- shortest and longest time in seconds, in bucket order: the histogram from which
-- measures.sign_median finds where the middle rank lies (buckets are disjoint time ranges).
SELECT bucket, sum(warnings) AS warnings, min(min_seconds) AS min_seconds, max(max_seconds) AS max_seconds
FROM warning_sign_daily
WHERE day >= $start AND day < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY bucket
ORDER BY bucket
