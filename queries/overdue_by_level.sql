-- Warnings and overdue warnings per bureau and level for [$start, $end).
SELECT bureau_id, level, sum(warnings) AS warnings, sum(overdue) AS overdue
FROM warning_daily
WHERE day >= $start AND day < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY bureau_id, level
