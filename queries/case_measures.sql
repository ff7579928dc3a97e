-- Additive case measures per bureau for [$start, $end), optionally filtered.
SELECT bureau_id,
       sum(cases) AS cases, sum(loss) AS loss, sum(stopped) AS stopped, sum(frozen) AS frozen,
       sum(stopped) + sum(frozen) AS intercepted, sum(returned) AS returned,
       sum(solved) AS solved, sum(fast_stop_n) AS fast_stop_n,
       sum(fast_stop_den) AS fast_stop_den, sum(stop_cases) AS stop_cases, sum(loss_sq) AS loss_sq
FROM case_daily
WHERE day >= $start AND day < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY bureau_id
