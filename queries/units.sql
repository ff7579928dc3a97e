-- The county-level bureaus, in the city's usual order.
SELECT bureau_id, bureau_name, district_name, population, aliases, kind, lon, lat
FROM units
ORDER BY bureau_id
