-- Overdue warnings issued in [$start, $end): feedback later than the level's limit
-- ($high, $mid, $low minutes, as the rollup counts them) or never. The list, with its times.
SELECT w.warning_id, w.bureau_id, w.station, w.level, w.source, w.fraud_type, w.result,
       w.issued_at, w.signed_at, w.feedback_at,
       date_diff('second', w.issued_at, w.signed_at) / 60.0 AS sign_minutes,
       date_diff('second', w.issued_at, w.feedback_at) / 60.0 AS feedback_minutes,
       CAST(CASE w.level WHEN '高' THEN $high WHEN '中' THEN $mid ELSE $low END AS BIGINT) AS limit_minutes
FROM warnings w
WHERE w.issued_at >= $start AND w.issued_at < $end
  AND (w.feedback_at IS NULL OR w.feedback_at - w.issued_at >
       to_minutes(CAST(CASE w.level WHEN '高' THEN $high WHEN '中' THEN $mid ELSE $low END AS BIGINT)))
  AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), w.bureau_id))
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), w.fraud_type))
ORDER BY CASE w.level WHEN '高' THEN 0 WHEN '中' THEN 1 ELSE 2 END, w.bureau_id, w.issued_at
