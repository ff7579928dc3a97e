-- Cases per fraud type, victim age band and gender, reported in [$start, $end), optionally filtered.
SELECT coalesce(fraud_type, '其他') AS fraud_type,
       coalesce(victim_age_band, '未知') AS victim_age_band,
       coalesce(victim_gender, '未知') AS victim_gender,
       count(*) AS cases
FROM cases
WHERE reported_at >= $start AND reported_at < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY ALL
