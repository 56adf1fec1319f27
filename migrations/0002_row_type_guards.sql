-- Row guards for the tables other tools write (products, order_items). The tables are not
-- STRICT and SQLite stores what it is given: quantity 0.5 would make stock REAL 9.5, and
-- 'abc' passes CHECK (quantity > 0) and confirms with no stock change. Adding CHECKs to an
-- existing SQLite table means rebuilding it (drop and rename), and on D1, whose foreign keys
-- are always on, dropping a parent table cascades: rebuilding `orders` would delete every
-- order_items row. Triggers enforce the same rules on every INSERT and UPDATE without
-- touching the tables or their data. RAISE(ABORT) fails the statement with
-- SQLITE_CONSTRAINT, so a batch that breaks a rule rolls back whole.
--
-- Bounds: a quantity of at most 1,000,000 and a unit price of at most 10^10 cents keep every
-- line total below 10^16 and an order's SUM far from SQLite's 64-bit overflow.
CREATE TRIGGER `order_items_guard_insert` BEFORE INSERT ON `order_items`
WHEN typeof(NEW.quantity) != 'integer' OR NEW.quantity NOT BETWEEN 1 AND 1000000
  OR typeof(NEW.unit_price_cents) != 'integer' OR NEW.unit_price_cents NOT BETWEEN 0 AND 10000000000
BEGIN
  SELECT RAISE(ABORT, 'order_items: quantity must be a whole number from 1 to 1000000 and unit_price_cents a whole number of cents from 0 to 10000000000');
END;
--> statement-breakpoint
CREATE TRIGGER `order_items_guard_update` BEFORE UPDATE OF `quantity`, `unit_price_cents` ON `order_items`
WHEN typeof(NEW.quantity) != 'integer' OR NEW.quantity NOT BETWEEN 1 AND 1000000
  OR typeof(NEW.unit_price_cents) != 'integer' OR NEW.unit_price_cents NOT BETWEEN 0 AND 10000000000
BEGIN
  SELECT RAISE(ABORT, 'order_items: quantity must be a whole number from 1 to 1000000 and unit_price_cents a whole number of cents from 0 to 10000000000');
END;
--> statement-breakpoint
CREATE TRIGGER `products_guard_insert` BEFORE INSERT ON `products`
WHEN typeof(NEW.stock) != 'integer' OR typeof(NEW.stock_reserved) != 'integer' OR typeof(NEW.price_cents) != 'integer'
BEGIN
  SELECT RAISE(ABORT, 'products: stock, stock_reserved and price_cents must be whole numbers');
END;
--> statement-breakpoint
CREATE TRIGGER `products_guard_update` BEFORE UPDATE OF `stock`, `stock_reserved`, `price_cents` ON `products`
WHEN typeof(NEW.stock) != 'integer' OR typeof(NEW.stock_reserved) != 'integer' OR typeof(NEW.price_cents) != 'integer'
BEGIN
  SELECT RAISE(ABORT, 'products: stock, stock_reserved and price_cents must be whole numbers');
END;
--> statement-breakpoint
-- Invoices already waiting in the outbox: due for the sweeper two minutes after their last touch.
UPDATE `invoices` SET `next_attempt_at` = `updated_at` + 120000 WHERE `status` = 'PENDING' AND `next_attempt_at` IS NULL;
