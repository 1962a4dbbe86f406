/** The order workflow's actions: plain OpenWhisk actions, nothing whiskflow-specific. */
'use strict';

function reserve(params) {
  return { reserved: params.items || [], at: new Date().toISOString() };
}

function ship(params) {
  return { orderId: params.orderId, shipped: true, paid: params.payment && params.payment.amount };
}

function cancel(params) {
  return { orderId: params.orderId, cancelled: true, reason: params.error && params.error.error };
}

module.exports = { reserve, ship, cancel };
