-- Median minutes from issue to sign and to feedback per bureau for warnings issued in
-- [$start, $end), optionally filtered (the bureau tables; a city-wide median sign time comes
-- from the histograms, measures.sign_medians). One filtered scan, two holistic aggregates
-- over whole seconds (the median of seconds / 60 is the median of minutes; ~1 ms less).
SELECT bureau_id,
       median(date_diff('second', issued_at, signed_at)) / 60.0 AS median_sign_minutes,
       median(date_diff('second', issued_at, feedback_at)) / 60.0 AS median_feedback_minutes
FROM warnings
WHERE issued_at >= $start AND issued_at < $end
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type))
GROUP BY bureau_id
