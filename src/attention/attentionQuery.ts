// The one query behind an attention item as the operator sees it (the CLI and the alert
// email): the item with its order, customer, amount, invoice and the delivery that raised it.
export const ATTENTION_SELECT = `
  SELECT a.id, a.kind, a.order_id, a.invoice_id, a.detail, a.created_at, a.resolved_at, a.resolved_by,
    a.resolution_note, a.alert_sent_at, a.alert_error,
    o.order_number, o.status AS order_status, o.customer_email, o.customer_name, o.currency,
    (SELECT SUM(quantity * unit_price_cents) FROM order_items WHERE order_id = a.order_id) AS order_total_cents,
    i.number AS invoice_number, e.provider, e.provider_ref, e.delivery_id
  FROM attention_items a
  LEFT JOIN orders o ON o.id = a.order_id
  LEFT JOIN invoices i ON i.id = a.invoice_id
  LEFT JOIN webhook_events e ON e.id = a.event_id`;
