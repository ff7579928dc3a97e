-- Median minutes from issue to sign (and to feedback) per bureau, and for all rows
-- (bureau_id NULL). Two plain aggregates over one filtered scan: cheaper than GROUPING
-- SETS, which runs the median twice over the whole window.
WITH w AS (
    SELECT bureau_id,
           date_diff('second', issued_at, signed_at) / 60.0 AS sign_minutes,
           date_diff('second', issued_at, feedback_at) / 60.0 AS feedback_minutes
    FROM warnings
    WHERE issued_at >= $start AND issued_at < $end
      AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
      AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), fraud_type)))
SELECT bureau_id, median(sign_minutes) AS median_sign_minutes,
       median(feedback_minutes) AS median_feedback_minutes
FROM w GROUP BY bureau_id
UNION ALL
SELECT NULL, median(sign_minutes), median(feedback_minutes) FROM w
