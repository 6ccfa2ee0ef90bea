-- The sqlite3 workload of the allocator lab: a table, an index, updates
-- and queries, in one transaction.
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL, tag TEXT);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO item(name, price, tag)
  SELECT printf('item-%d-%s', i, hex(randomblob(1 + i % 24))), (i * 37 % 1000) / 10.0, printf('t%d', i % 97) FROM n;
CREATE INDEX item_tag ON item(tag);
UPDATE item SET price = price * 1.1 WHERE tag IN ('t1', 't2', 't3');
DELETE FROM item WHERE id % 7 = 0;
COMMIT;
SELECT tag, count(*), round(avg(price), 2), max(length(name)) FROM item GROUP BY tag ORDER BY 2 DESC LIMIT 5;
SELECT group_concat(name, ',') FROM (SELECT name FROM item WHERE price > 99 ORDER BY name LIMIT 200);
