CREATE TABLE `attention_items` (
	`id` integer PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`order_id` text,
	`event_id` integer,
	`invoice_id` integer,
	`detail` text,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`resolved_at` integer,
	`resolved_by` text,
	`resolution_note` text,
	`alert_enqueued_at` integer,
	`alert_lease_until` integer,
	`alert_lease_token` text,
	`alert_attempts` integer DEFAULT 0 NOT NULL,
	`alert_sent_at` integer,
	`alert_message_id` text,
	`alert_error` text,
	CONSTRAINT "attention_items_resolution_noted" CHECK("attention_items"."resolved_at" IS NULL OR "attention_items"."resolution_note" IS NOT NULL)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attention_items_open_key_unique` ON `attention_items` (`key`) WHERE "attention_items"."resolved_at" IS NULL;--> statement-breakpoint
CREATE INDEX `attention_items_open_created_at_idx` ON `attention_items` (`created_at`) WHERE "attention_items"."resolved_at" IS NULL;--> statement-breakpoint
CREATE INDEX `attention_items_order_id_idx` ON `attention_items` (`order_id`);--> statement-breakpoint
CREATE INDEX `attention_items_event_id_idx` ON `attention_items` (`event_id`);--> statement-breakpoint
CREATE INDEX `attention_items_invoice_id_idx` ON `attention_items` (`invoice_id`);--> statement-breakpoint
ALTER TABLE `invoices` ADD `next_attempt_at` integer;--> statement-breakpoint
CREATE INDEX `invoices_status_next_attempt_idx` ON `invoices` (`status`,`next_attempt_at`);--> statement-breakpoint
ALTER TABLE `webhook_events` ADD `provider` text DEFAULT 'generic' NOT NULL;--> statement-breakpoint
ALTER TABLE `webhook_events` ADD `provider_ref` text;--> statement-breakpoint
CREATE INDEX `webhook_events_received_at_idx` ON `webhook_events` (`received_at`);