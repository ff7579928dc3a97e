-- Cases in [$start, $end) with a loss of at least $min_loss yuan: the 大额案件 list (no personal data).
SELECT c.case_id, c.reported_at, c.bureau_id, u.bureau_name, c.station, c.fraud_type,
       c.loss_amount, c.stopped_amount, c.frozen_amount, c.returned_amount, c.status
FROM cases c LEFT JOIN units u USING (bureau_id)
WHERE c.reported_at >= $start AND c.reported_at < $end
  AND c.loss_amount >= $min_loss
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), c.bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), c.fraud_type))
ORDER BY c.loss_amount DESC, c.reported_at
