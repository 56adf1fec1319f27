CREATE TABLE `disputes` (
	`id` integer PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`dispute_ref` text NOT NULL,
	`payment_ref` text NOT NULL,
	`charge_ref` text,
	`status` text NOT NULL,
	`reason` text,
	`amount_cents` integer,
	`currency` text,
	`evidence_due_by` integer,
	`funds` text,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `disputes_provider_ref_unique` ON `disputes` (`provider`,`dispute_ref`);--> statement-breakpoint
CREATE INDEX `disputes_payment_idx` ON `disputes` (`provider`,`payment_ref`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` integer PRIMARY KEY NOT NULL,
	`order_id` text,
	`provider` text NOT NULL,
	`provider_ref` text NOT NULL,
	`ref_from_provider` integer DEFAULT 1 NOT NULL,
	`status` text NOT NULL,
	`amount_cents` integer,
	`currency` text,
	`refunded_cents` integer DEFAULT 0 NOT NULL,
	`confirmed_order` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	CONSTRAINT "payments_status_valid" CHECK("payments"."status" IN ('pending', 'succeeded', 'failed', 'canceled')),
	CONSTRAINT "payments_refunded_non_negative" CHECK("payments"."refunded_cents" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payments_provider_ref_unique` ON `payments` (`provider`,`provider_ref`);--> statement-breakpoint
CREATE INDEX `payments_order_id_idx` ON `payments` (`order_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `payments_confirming_order_unique` ON `payments` (`order_id`) WHERE "payments"."confirmed_order" = 1;--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` integer PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`refund_ref` text NOT NULL,
	`payment_ref` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`currency` text,
	`status` text NOT NULL,
	`failure_reason` text,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	CONSTRAINT "refunds_status_valid" CHECK("refunds"."status" IN ('pending', 'requires_action', 'succeeded', 'failed', 'canceled'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refunds_provider_ref_unique` ON `refunds` (`provider`,`refund_ref`);--> statement-breakpoint
CREATE INDEX `refunds_payment_idx` ON `refunds` (`provider`,`payment_ref`);--> statement-breakpoint
CREATE INDEX `webhook_events_provider_ref_idx` ON `webhook_events` (`provider_ref`);