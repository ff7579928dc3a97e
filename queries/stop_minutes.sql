-- Minutes from last transfer to stop-payment, one row per case with both times, reported in [$start, $end).
SELECT c.bureau_id, c.fraud_type, coalesce(c.payer_bank, '（未注明）') AS payer_bank,
       date_diff('second', c.last_transfer_at, c.stop_payment_at) / 60.0 AS minutes
FROM cases c
WHERE c.reported_at >= $start AND c.reported_at < $end
  AND c.last_transfer_at IS NOT NULL AND c.stop_payment_at IS NOT NULL
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), c.bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), c.fraud_type))
