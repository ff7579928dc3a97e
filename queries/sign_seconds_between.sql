-- Warnings in [$start, $end), optionally filtered, signed after $lo..$hi seconds (inclusive),
-- counted per second, in order: the one bucket's raw rows that the exact median needs.
SELECT date_diff('second', issued_at, signed_at) AS seconds, count(*) AS warnings
FROM warnings
WHERE issued_at >= $start AND issued_at < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
  AND date_diff('second', issued_at, signed_at) BETWEEN $lo AND $hi
GROUP BY seconds
ORDER BY seconds
