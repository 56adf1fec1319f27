-- Backfill of the payments ledger (0005) from the audit log: every order confirmed before the
-- ledger existed gets the row of the payment that confirmed it, from its 'confirmed' event if
-- that event still exists (retention may have pruned older ones: those orders get no row, and
-- a later payment of them stays 'duplicate' as before). The amount is the order's total,
-- which the confirmation checked when the provider said what was paid.
INSERT INTO payments (order_id, provider, provider_ref, ref_from_provider, status, amount_cents, currency,
  refunded_cents, confirmed_order, created_at, updated_at)
SELECT o.id, e.provider, COALESCE(e.provider_ref, 'order:' || o.id), e.provider_ref IS NOT NULL, 'succeeded',
  (SELECT COALESCE(SUM(quantity * unit_price_cents), 0) FROM order_items WHERE order_id = o.id), o.currency,
  0, 1, e.received_at, e.received_at
FROM webhook_events e JOIN orders o ON o.id = e.order_id
WHERE e.outcome = 'confirmed'
ORDER BY e.id
ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- Money that arrived and was not applied (a second payment, a payment of a cancelled order, a
-- wrong amount, a payment naming no order), so a refund of it finds its payment and settles
-- its attention item.
INSERT INTO payments (order_id, provider, provider_ref, ref_from_provider, status, amount_cents, currency,
  refunded_cents, confirmed_order, created_at, updated_at)
SELECT (SELECT id FROM orders WHERE id = e.order_id), e.provider, e.provider_ref, 1, 'succeeded',
  CASE e.outcome WHEN 'amount_mismatch' THEN json_extract(e.detail, '$.paid_cents')
    WHEN 'unmatched_payment' THEN json_extract(e.detail, '$.amount_cents') END,
  CASE e.outcome WHEN 'amount_mismatch' THEN json_extract(e.detail, '$.paid_currency')
    WHEN 'unmatched_payment' THEN json_extract(e.detail, '$.currency') END,
  0, 0, e.received_at, e.received_at
FROM webhook_events e
WHERE e.outcome IN ('paid_twice', 'refund_required', 'amount_mismatch', 'unmatched_payment')
  AND e.payment_status = 'paid' AND e.provider_ref IS NOT NULL
ORDER BY e.id
ON CONFLICT DO NOTHING;
