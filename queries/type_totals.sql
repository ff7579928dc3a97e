-- Case count and amounts per fraud type over [$start, $end), optionally filtered.
SELECT fraud_type, sum(cases) AS cases, sum(loss) AS loss, sum(stopped) AS stopped,
       sum(frozen) AS frozen, sum(returned) AS returned
FROM case_daily
WHERE day >= $start AND day < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY fraud_type
ORDER BY cases DESC
