-- The windows [$starts[i], $ends[i]) numbered from 1, split into whole weeks (weeks: read from
-- the weekly rollups) and the other days (days: read from the daily ones). Included by
-- '-- @include windows' inside a WITH clause; ends with a comma.
win AS (   -- the windows, numbered from 1, with their whole weeks [wk_from, wk_to)
    SELECT window_no, w_start, w_end, CAST(date_trunc('week', w_start + 6) AS DATE) AS wk_from,
           CAST(date_trunc('week', w_end) AS DATE) AS wk_to
    FROM (SELECT generate_subscripts(CAST($starts AS DATE[]), 1) AS window_no,
                 unnest(CAST($starts AS DATE[])) AS w_start, unnest(CAST($ends AS DATE[])) AS w_end)),
weeks AS (SELECT window_no, CAST(unnest(generate_series(wk_from, wk_to - 7, INTERVAL 7 DAY)) AS DATE) AS week_start
          FROM win),
days AS (SELECT window_no, day
         FROM (SELECT window_no, wk_from, wk_to,
                      CAST(unnest(generate_series(w_start, w_end - 1, INTERVAL 1 DAY)) AS DATE) AS day FROM win)
         WHERE day < wk_from OR day >= wk_to),
