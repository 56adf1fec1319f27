-- A reservation never exceeds the stock on hand: stock_reserved <= stock whenever
-- stock_reserved goes up. This is what makes reserving concurrency-safe without a read:
-- the batch that reserves an order's lines (src/orders/reserveOrder.ts) simply adds them,
-- and if any product would end up promising more than it has, this trigger aborts that
-- statement and D1 rolls the whole batch back (no line reserved, no order written).
--
-- A trigger, not a CHECK: adding a CHECK to an existing SQLite table means rebuilding it,
-- and on D1 (foreign keys always on) dropping `products` would cascade into order_items.
-- Only increases are guarded: a confirmation or a release lowers stock_reserved and must
-- never fail because rows from another tool already hold more than stock (that drift is
-- reported by the webhook as insufficient stock, for a human). Only whole numbers: a value of
-- another type is refused by products_guard_update (migration 0002) with its own message. The
-- message names the rule so the transition can tell a shortage from any other failure.
CREATE TRIGGER `products_reservation_within_stock` BEFORE UPDATE OF `stock_reserved`, `stock` ON `products`
WHEN typeof(NEW.stock_reserved) = 'integer' AND typeof(NEW.stock) = 'integer'
  AND NEW.stock_reserved > OLD.stock_reserved AND NEW.stock_reserved > NEW.stock
BEGIN
  SELECT RAISE(ABORT, 'products_reservation_within_stock: stock_reserved may not exceed stock');
END;
