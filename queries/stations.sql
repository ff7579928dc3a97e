-- Police stations (派出所) with their bureau and, where known, coordinates.
SELECT station_id, station_name, bureau_id, lon, lat
FROM stations
ORDER BY station_id
