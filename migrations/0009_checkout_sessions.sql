ALTER TABLE `payments` ADD `checkout_session_ref` text;--> statement-breakpoint
ALTER TABLE `payments` ADD `checkout_url` text;--> statement-breakpoint
ALTER TABLE `payments` ADD `checkout_expires_at` integer;--> statement-breakpoint
ALTER TABLE `payments` ADD `reconcile_after` integer;--> statement-breakpoint
ALTER TABLE `payments` ADD `reconcile_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `payments_checkout_session_unique` ON `payments` (`checkout_session_ref`) WHERE "payments"."checkout_session_ref" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `payments_reconcile_due_idx` ON `payments` (`reconcile_after`) WHERE "payments"."status" = 'pending' AND "payments"."checkout_session_ref" IS NOT NULL;