ALTER TABLE `invoices` ADD `prices_include_tax` integer;--> statement-breakpoint
ALTER TABLE `invoices` ADD `tax_note` text;--> statement-breakpoint
ALTER TABLE `order_items` ADD `tax_rate_bp` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `billing_name` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `billing_company` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `billing_line1` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `billing_line2` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `billing_postal_code` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `billing_city` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `billing_country` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `billing_vat_id` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `supply_date` text;--> statement-breakpoint
ALTER TABLE `products` ADD `tax_rate_bp` integer;--> statement-breakpoint
-- Issue 19. A line's VAT rate is fixed when its invoice is issued, so a later change of a
-- product's rate never rewrites an issued invoice. The order API copies the product's rate
-- when it prices a line (src/orders/reserveOrder.ts); a line another tool wrote without one
-- takes the product's rate here, in the statement of the paid webhook's batch that inserts
-- the invoice (src/orders/applyPayment.ts): a trigger, so the batch keeps its eight
-- statements. A line still without a rate (the product has none) takes the shop's default
-- (INVOICE_TAX_RATE_PERCENT) when the consumer first renders the invoice, since only the
-- consumer reads that setting (src/documents/documentKinds.ts).
CREATE TRIGGER `invoices_fix_line_tax_rates` AFTER INSERT ON `invoices`
BEGIN
  UPDATE `order_items` SET `tax_rate_bp` = (SELECT p.`tax_rate_bp` FROM `products` p WHERE p.`id` = `order_items`.`product_id`)
  WHERE `order_id` = NEW.`order_id` AND `tax_rate_bp` IS NULL;
END;
--> statement-breakpoint
-- A rate is whole basis points from 0 to 10000 (1900 is 19 %) or NULL: a tool that writes
-- another value is refused with this message, instead of an invoice failing later.
CREATE TRIGGER `products_tax_rate_guard_insert` BEFORE INSERT ON `products`
WHEN NEW.`tax_rate_bp` IS NOT NULL AND (typeof(NEW.`tax_rate_bp`) != 'integer' OR NEW.`tax_rate_bp` NOT BETWEEN 0 AND 10000)
BEGIN
  SELECT RAISE(ABORT, 'products: tax_rate_bp must be NULL or whole basis points from 0 to 10000 (1900 is 19 %)');
END;
--> statement-breakpoint
CREATE TRIGGER `products_tax_rate_guard_update` BEFORE UPDATE OF `tax_rate_bp` ON `products`
WHEN NEW.`tax_rate_bp` IS NOT NULL AND (typeof(NEW.`tax_rate_bp`) != 'integer' OR NEW.`tax_rate_bp` NOT BETWEEN 0 AND 10000)
BEGIN
  SELECT RAISE(ABORT, 'products: tax_rate_bp must be NULL or whole basis points from 0 to 10000 (1900 is 19 %)');
END;
--> statement-breakpoint
CREATE TRIGGER `order_items_tax_rate_guard_insert` BEFORE INSERT ON `order_items`
WHEN NEW.`tax_rate_bp` IS NOT NULL AND (typeof(NEW.`tax_rate_bp`) != 'integer' OR NEW.`tax_rate_bp` NOT BETWEEN 0 AND 10000)
BEGIN
  SELECT RAISE(ABORT, 'order_items: tax_rate_bp must be NULL or whole basis points from 0 to 10000 (1900 is 19 %)');
END;
--> statement-breakpoint
-- Once its order has an invoice, a line's rate is what that invoice says: it never changes
-- (NULL to a rate is the only move, made by the trigger above and by the consumer's first
-- rendering). Before that, a tool may correct it.
CREATE TRIGGER `order_items_tax_rate_guard_update` BEFORE UPDATE OF `tax_rate_bp` ON `order_items`
WHEN (OLD.`tax_rate_bp` IS NOT NULL AND NEW.`tax_rate_bp` IS NOT OLD.`tax_rate_bp`
    AND EXISTS (SELECT 1 FROM `invoices` WHERE `order_id` = OLD.`order_id`))
  OR (NEW.`tax_rate_bp` IS NOT NULL AND (typeof(NEW.`tax_rate_bp`) != 'integer' OR NEW.`tax_rate_bp` NOT BETWEEN 0 AND 10000))
BEGIN
  SELECT RAISE(ABORT, 'order_items: tax_rate_bp must be NULL or whole basis points from 0 to 10000, and is never changed once the order has an invoice');
END;
