-- Additive warning measures per bureau for [$start, $end), optionally filtered.
SELECT bureau_id,
       sum(warnings) AS warnings, sum(dissuaded) AS dissuaded, sum(overdue) AS overdue,
       sum(victimized_after) AS victimized_after, sum(feedback_missing) AS feedback_missing,
       sum(signed_missing) AS signed_missing, sum(avoided_loss) AS avoided_loss
FROM warning_bureau_daily
WHERE day >= $start AND day < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY bureau_id
