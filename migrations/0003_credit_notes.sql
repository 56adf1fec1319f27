CREATE TABLE `credit_notes` (
	`id` integer PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`invoice_id` integer NOT NULL,
	`refund_key` text NOT NULL,
	`series` text NOT NULL,
	`seq` integer NOT NULL,
	`number` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`currency` text NOT NULL,
	`reason` text,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`lease_until` integer,
	`lease_token` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`message_id` text,
	`sent_at` integer,
	`last_error` text,
	`enqueued_at` integer,
	`next_attempt_at` integer,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "credit_notes_amount_positive" CHECK("credit_notes"."amount_cents" > 0),
	CONSTRAINT "credit_notes_currency_iso" CHECK(length("credit_notes"."currency") = 3),
	CONSTRAINT "credit_notes_status_valid" CHECK("credit_notes"."status" IN ('PENDING', 'SENT', 'FAILED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credit_notes_refund_key_unique` ON `credit_notes` (`refund_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `credit_notes_series_seq_unique` ON `credit_notes` (`series`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `credit_notes_number_unique` ON `credit_notes` (`number`);--> statement-breakpoint
CREATE INDEX `credit_notes_order_id_idx` ON `credit_notes` (`order_id`);--> statement-breakpoint
CREATE INDEX `credit_notes_status_next_attempt_idx` ON `credit_notes` (`status`,`next_attempt_at`);