-- Strike results per bureau for [$start, $end). Strikes carry no fraud type.
SELECT bureau_id,
       sum(arrests) AS arrests, sum(gangs) AS gangs, sum(dens) AS dens,
       sum(cards_frozen) AS cards_frozen
FROM strikes
WHERE date >= $start AND date < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
GROUP BY bureau_id
