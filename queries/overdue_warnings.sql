-- Overdue warnings issued in [$start, $end), with their times: feedback later than the
-- level's limit, or none yet although the limit had passed when the data was exported.
-- Limits and the export time come from the database (meta), i.e. exactly what the
-- rollups counted, so the list always matches the 超期率 beside it.
WITH lim AS (
    SELECT max(CASE key WHEN 'limit_high' THEN CAST(value AS BIGINT) END) AS high,
           max(CASE key WHEN 'limit_mid' THEN CAST(value AS BIGINT) END) AS mid,
           max(CASE key WHEN 'limit_low' THEN CAST(value AS BIGINT) END) AS low,
           max(CASE key WHEN 'data_as_of' THEN epoch_us(CAST(value AS TIMESTAMP)) END) AS as_of
    FROM meta
), w AS (
    SELECT w.*, CASE w.level WHEN '高' THEN lim.high WHEN '中' THEN lim.mid ELSE lim.low END AS limit_minutes,
           lim.as_of
    FROM warnings w, lim
    WHERE w.issued_at >= $start AND w.issued_at < $end
      AND (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), w.bureau_id))
      AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), w.fraud_type))
)
SELECT warning_id, bureau_id, station, level, source, fraud_type, result,
       issued_at, signed_at, feedback_at,
       date_diff('second', issued_at, signed_at) / 60.0 AS sign_minutes,
       date_diff('second', issued_at, feedback_at) / 60.0 AS feedback_minutes,
       limit_minutes
FROM w
-- the rollups' rule (issued + limit <= export time; feedback - issued > limit) in microseconds:
-- integer arithmetic instead of intervals, ~2 ms less over a week at the top scale
WHERE CASE WHEN feedback_at IS NULL THEN as_of - epoch_us(issued_at) >= limit_minutes * 60000000
           ELSE epoch_us(feedback_at) - epoch_us(issued_at) > limit_minutes * 60000000 END
ORDER BY CASE level WHEN '高' THEN 0 WHEN '中' THEN 1 ELSE 2 END, bureau_id, issued_at
