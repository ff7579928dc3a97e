-- Median minutes from issue to sign over every warning in [$start, $end), optionally filtered.
SELECT median(date_diff('second', issued_at, signed_at) / 60.0) AS median_sign_minutes
FROM warnings
WHERE issued_at >= $start AND issued_at < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
