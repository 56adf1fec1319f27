CREATE TABLE `order_idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`request_hash` text NOT NULL,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `order_idempotency_keys_created_at_idx` ON `order_idempotency_keys` (`created_at`);