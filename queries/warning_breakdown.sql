-- Warning counts by level, source and result over [$start, $end), optionally filtered (from warning_daily).
SELECT level, source, result,
       sum(warnings) AS warnings, sum(dissuaded) AS dissuaded, sum(overdue) AS overdue,
       sum(victimized_after) AS victimized_after, sum(feedback_missing) AS feedback_missing
FROM warning_daily
WHERE day >= $start AND day < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY ALL
