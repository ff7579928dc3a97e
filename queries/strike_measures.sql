-- Strike results per window and bureau, for each window [$starts[i], $ends[i]); one scan for
-- every window (see case_measures.sql). Strikes carry no fraud type.
WITH win AS (   -- the windows, numbered from 1
    SELECT unnest(CAST($starts AS DATE[])) AS w_start, unnest(CAST($ends AS DATE[])) AS w_end,
           generate_subscripts(CAST($starts AS DATE[]), 1) AS window_no)
SELECT window_no, bureau_id,
       sum(arrests) AS arrests, sum(gangs) AS gangs, sum(dens) AS dens,
       sum(cards_frozen) AS cards_frozen
FROM strikes JOIN win ON date >= w_start AND date < w_end
WHERE (len(CAST($bureaus AS VARCHAR[])) = 0 OR list_contains(CAST($bureaus AS VARCHAR[]), bureau_id))
GROUP BY window_no, bureau_id
