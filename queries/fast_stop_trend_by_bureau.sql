-- 30-minute stop counts per week or month ($unit) and bureau over [$start, $end), optionally filtered.
SELECT CAST(date_trunc($unit, day) AS DATE) AS period_start, bureau_id,
       sum(fast_stop_n) AS fast_stop_n, sum(fast_stop_den) AS fast_stop_den
FROM case_daily
WHERE day >= $start AND day < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY ALL
ORDER BY period_start, bureau_id
