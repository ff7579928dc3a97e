-- Cases per week, bureau, station and township from area_weekly, weeks starting in [$start, $end).
SELECT week_start, bureau_id, station, township, sum(cases) AS cases, sum(loss) AS loss
FROM area_weekly
WHERE week_start >= $start AND week_start < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY ALL
ORDER BY week_start
