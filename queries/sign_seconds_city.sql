-- City-wide signed warnings per window and second of sign time, for each window
-- [$starts[i], $ends[i]) and only times in [$los[i], $his[i]] seconds (inclusive), in order:
-- each window's middle histogram bucket counted per second (measures.sign_medians), without
-- the raw rows. Blocks (an ISO week's days within one month) that lie wholly inside a window
-- come from warning_sign_seconds_block, its other days from warning_sign_seconds: a month or
-- a year to date is whole blocks. No filters: a filtered window counts its raw rows
-- (sign_seconds_between.sql).
WITH win AS (
    SELECT generate_subscripts(CAST($starts AS DATE[]), 1) AS window_no,
           unnest(CAST($starts AS DATE[])) AS w_start, unnest(CAST($ends AS DATE[])) AS w_end,
           unnest(CAST($los AS BIGINT[])) AS lo, unnest(CAST($his AS BIGINT[])) AS hi),
days AS (SELECT window_no, lo, hi, day,
                CAST(greatest(date_trunc('week', day), date_trunc('month', day)) AS DATE) AS block_start
         FROM (SELECT *, CAST(unnest(generate_series(w_start, w_end - 1, INTERVAL 1 DAY)) AS DATE) AS day FROM win)),
blocks AS (   -- whole: the window holds every day of the block
    SELECT window_no, lo, hi, block_start,
           count(*) = date_diff('day', block_start, CAST(least(date_trunc('week', block_start) + INTERVAL 7 DAY,
                                                              date_trunc('month', block_start) + INTERVAL 1 MONTH) AS DATE)) AS whole
    FROM days GROUP BY window_no, lo, hi, block_start),
rows AS (
    SELECT window_no, lo, hi, seconds, warnings
    FROM warning_sign_seconds_block JOIN blocks USING (block_start)
    WHERE whole
    UNION ALL
    SELECT window_no, lo, hi, seconds, warnings
    FROM warning_sign_seconds
         JOIN (SELECT d.window_no, d.lo, d.hi, d.day FROM days d JOIN blocks b USING (window_no, block_start)
               WHERE NOT b.whole) USING (day))
SELECT window_no, seconds, sum(warnings) AS warnings
FROM rows
WHERE seconds BETWEEN lo AND hi
  -- the same bounds as constants, so each scan drops the other times before its join
  AND seconds BETWEEN list_min(CAST($los AS BIGINT[])) AND list_max(CAST($his AS BIGINT[]))
GROUP BY window_no, seconds
ORDER BY window_no, seconds
