/*
 * Schema. Every member-scoped table leads its primary key with merchant_id, so that the data can
 * be distributed by merchant; no sequence is shared across merchants (ids are per-table rowids
 * scoped by merchant in every query). Instants are INTEGER seconds since the epoch, UTC; money and
 * points are INTEGER. Ledger, lot uses and events are append-only; lots.remaining and the
 * materialised balances on customers are the only figures that change, and `fidele verify`
 * recomputes them from the ledger.
 */
#include "store/schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/customer_journal.h"
#include "store/store.h"
#include "util/text.h"
#include "util/phone.h"
#include "util/xalloc.h"

/* An order's shipping, read from its body (migration 32). */
#define SHIPPING_OF_BODY                                                                           \
    "COALESCE(CASE WHEN json_valid(body) THEN json_extract(body, '$.shipping_minor') END, 0)"

static const char *const MIGRATIONS[] = {
    /* 1: foundation */
    "CREATE TABLE merchants ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  timezone TEXT NOT NULL,"
    "  locale TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL) STRICT;"

    "CREATE TABLE programs ("
    "  merchant_id INTEGER NOT NULL REFERENCES merchants(id),"
    "  version INTEGER NOT NULL,"
    "  document TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (merchant_id, version)) STRICT;"

    "CREATE TABLE customers ("
    "  merchant_id INTEGER NOT NULL REFERENCES merchants(id),"
    "  id INTEGER NOT NULL,"
    "  ref TEXT NOT NULL,"
    "  is_member INTEGER NOT NULL DEFAULT 0,"
    "  enrolled_at INTEGER,"
    "  card_code TEXT,"
    "  email TEXT, phone TEXT, name TEXT, birthday TEXT, locale TEXT,"
    "  consents INTEGER NOT NULL DEFAULT 0,"
    "  consents_at INTEGER,"
    "  order_count INTEGER NOT NULL DEFAULT 0,"
    "  spend_minor INTEGER NOT NULL DEFAULT 0,"
    "  first_order_at INTEGER,"
    "  last_order_at INTEGER,"
    "  last_activity_at INTEGER,"
    "  points_available INTEGER NOT NULL DEFAULT 0,"
    "  points_pending INTEGER NOT NULL DEFAULT 0,"
    "  points_lifetime INTEGER NOT NULL DEFAULT 0,"
    "  cashback_minor INTEGER NOT NULL DEFAULT 0,"
    "  tier TEXT NOT NULL DEFAULT '',"
    "  tier_since INTEGER,"
    "  tier_review_at INTEGER,"
    "  vip_plan TEXT NOT NULL DEFAULT '',"
    "  vip_until INTEGER,"
    "  vip_started_at INTEGER,"
    "  vip_months INTEGER NOT NULL DEFAULT 0,"
    "  next_due_at INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (merchant_id, id),"
    "  UNIQUE (merchant_id, ref)) STRICT;"
    "CREATE UNIQUE INDEX customers_card ON customers(merchant_id, card_code) WHERE card_code IS "
    "NOT "
    "NULL;"
    "CREATE INDEX customers_email ON customers(merchant_id, email) WHERE email IS NOT NULL;"
    "CREATE INDEX customers_phone ON customers(merchant_id, phone) WHERE phone IS NOT NULL;"
    "CREATE INDEX customers_due ON customers(merchant_id, next_due_at) WHERE next_due_at IS NOT "
    "NULL;"

    "CREATE TABLE stamp_balances ("
    "  merchant_id INTEGER NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  card_id TEXT NOT NULL,"
    "  stamps INTEGER NOT NULL,"
    "  cards_completed INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (merchant_id, customer_id, card_id),"
    "  FOREIGN KEY (merchant_id, customer_id) REFERENCES customers(merchant_id, id)) STRICT;"

    "CREATE TABLE events ("
    "  merchant_id INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  digest TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  applied_at INTEGER NOT NULL,"
    "  result TEXT NOT NULL,"
    "  PRIMARY KEY (merchant_id, key)) STRICT, WITHOUT ROWID;"

    "CREATE TABLE orders ("
    "  merchant_id INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  ref TEXT NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  member_at_order INTEGER NOT NULL,"
    "  gross_minor INTEGER NOT NULL,"
    "  paid_minor INTEGER NOT NULL,"
    "  basis_minor INTEGER NOT NULL,"
    "  points_earned INTEGER NOT NULL DEFAULT 0,"
    "  points_clawed INTEGER NOT NULL DEFAULT 0,"
    "  cashback_earned INTEGER NOT NULL DEFAULT 0,"
    "  cashback_clawed INTEGER NOT NULL DEFAULT 0,"
    "  stamps TEXT NOT NULL DEFAULT '{}',"
    "  stamps_clawed TEXT NOT NULL DEFAULT '{}',"
    "  refunded_minor INTEGER NOT NULL DEFAULT 0,"
    "  refunded_units TEXT NOT NULL DEFAULT '{}',"
    "  program_version INTEGER NOT NULL DEFAULT 0,"
    "  earn_context TEXT NOT NULL DEFAULT '{}',"
    "  body TEXT NOT NULL,"
    "  PRIMARY KEY (merchant_id, id),"
    "  UNIQUE (merchant_id, ref),"
    "  FOREIGN KEY (merchant_id, customer_id) REFERENCES customers(merchant_id, id)) STRICT;"
    "CREATE INDEX orders_customer ON orders(merchant_id, customer_id, at, paid_minor, "
    "refunded_minor);"
    "CREATE INDEX orders_at ON orders(merchant_id, at, customer_id, paid_minor, member_at_order);"

    "CREATE TABLE refunds ("
    "  merchant_id INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  order_id INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  amount_minor INTEGER NOT NULL,"
    "  event_key TEXT NOT NULL,"
    "  PRIMARY KEY (merchant_id, id)) STRICT;"
    "CREATE INDEX refunds_order ON refunds(merchant_id, order_id);"

    "CREATE TABLE ledger ("
    "  merchant_id INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('earn','earn_pending','confirm','redeem',"
    "    'redeem_rollback','clawback','expire','adjust')),"
    "  account TEXT NOT NULL CHECK (account IN ('points','stamps','cashback')),"
    "  card_id TEXT NOT NULL DEFAULT '',"
    "  amount INTEGER NOT NULL,"
    "  pending_delta INTEGER NOT NULL DEFAULT 0,"
    "  event_key TEXT,"
    "  order_id INTEGER,"
    "  lot_id INTEGER,"
    "  program_version INTEGER NOT NULL,"
    "  explanation TEXT NOT NULL DEFAULT '[]',"
    "  reason TEXT, author TEXT,"
    "  PRIMARY KEY (merchant_id, id)) STRICT;"
    "CREATE INDEX ledger_customer ON ledger(merchant_id, customer_id, id);"

    "CREATE TABLE lots ("
    "  merchant_id INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending','available','cancelled')),"
    "  earned_at INTEGER NOT NULL,"
    "  available_at INTEGER NOT NULL,"
    "  expires_at INTEGER,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  remaining INTEGER NOT NULL CHECK (remaining >= 0),"
    "  order_id INTEGER,"
    "  ledger_id INTEGER NOT NULL,"
    "  PRIMARY KEY (merchant_id, id)) STRICT;"
    "CREATE INDEX lots_open ON lots(merchant_id, customer_id) WHERE remaining > 0;"
    "CREATE INDEX lots_order ON lots(merchant_id, order_id) WHERE order_id IS NOT NULL;"

    "CREATE TABLE lot_uses ("
    "  merchant_id INTEGER NOT NULL,"
    "  ledger_id INTEGER NOT NULL,"
    "  lot_id INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  PRIMARY KEY (merchant_id, ledger_id, lot_id)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX lot_uses_lot ON lot_uses(merchant_id, lot_id);"

    "CREATE TABLE vouchers ("
    "  merchant_id INTEGER NOT NULL,"
    "  code TEXT NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  reward_id TEXT NOT NULL,"
    "  source TEXT NOT NULL CHECK (source IN ('redeem','stamp_card','vip_welcome')),"
    "  state TEXT NOT NULL CHECK (state IN ('issued','used','expired')),"
    "  issued_at INTEGER NOT NULL,"
    "  valid_until INTEGER NOT NULL,"
    "  used_at INTEGER,"
    "  used_order TEXT,"
    "  ledger_id INTEGER,"
    "  event_key TEXT NOT NULL,"
    "  PRIMARY KEY (merchant_id, code)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX vouchers_customer ON vouchers(merchant_id, customer_id);"
    "CREATE INDEX vouchers_reward ON vouchers(merchant_id, reward_id, source);"
    "CREATE INDEX vouchers_due ON vouchers(merchant_id, valid_until) WHERE state = 'issued';"

    "CREATE TABLE vip_payments ("
    "  merchant_id INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  plan_id TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  amount_minor INTEGER NOT NULL,"
    "  periods INTEGER NOT NULL,"
    "  valid_until INTEGER NOT NULL,"
    "  event_key TEXT NOT NULL,"
    "  PRIMARY KEY (merchant_id, id)) STRICT;",

    /* 2: API keys. The key id is public (it is part of the key); only a hash of the secret is
     * stored. Keys are looked up by id alone, before the merchant is known. */
    "CREATE TABLE api_keys ("
    "  id TEXT PRIMARY KEY,"
    "  merchant_id INTEGER NOT NULL REFERENCES merchants(id),"
    "  scope TEXT NOT NULL CHECK (scope IN ('admin','pos','read')),"
    "  secret_hash TEXT NOT NULL,"
    "  label TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  revoked_at INTEGER,"
    "  idempotency_key TEXT) STRICT;"
    "CREATE INDEX api_keys_merchant ON api_keys(merchant_id);"
    "CREATE UNIQUE INDEX api_keys_idempotency ON api_keys(merchant_id, idempotency_key) WHERE "
    "idempotency_key IS NOT NULL;",

    /* 3: survey answers (NPS 0-10, CSAT 1-5) for the KPIs and the follow-up of unhappy customers */
    "CREATE TABLE survey_answers ("
    "  merchant_id INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  survey TEXT NOT NULL CHECK (survey IN ('nps','csat')),"
    "  score INTEGER NOT NULL,"
    "  comment TEXT,"
    "  event_key TEXT NOT NULL,"
    "  PRIMARY KEY (merchant_id, id)) STRICT;"
    "CREATE INDEX survey_answers_at ON survey_answers(merchant_id, survey, at);",

    /* 4: imported order history, columnar (store/history_store.h): blocks of orders laid out
     * column by column for the analytics' scans, their order refs as keyed hashes apart so that
     * scans never read them, and the per-merchant key of those hashes */
    "CREATE TABLE order_history ("
    "  merchant_id INTEGER NOT NULL,"
    "  block INTEGER NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  first_at INTEGER NOT NULL,"
    "  last_at INTEGER NOT NULL,"
    "  columns BLOB NOT NULL,"
    "  PRIMARY KEY (merchant_id, block)) STRICT;"
    "CREATE TABLE order_history_refs ("
    "  merchant_id INTEGER NOT NULL,"
    "  block INTEGER NOT NULL,"
    "  refs BLOB NOT NULL,"
    "  PRIMARY KEY (merchant_id, block)) STRICT;"
    "CREATE TABLE order_history_keys ("
    "  merchant_id INTEGER PRIMARY KEY,"
    "  hash_key BLOB NOT NULL) STRICT;",

    /* 5: the customer's orders index covers the points columns too, so that a member's tier
     * window (read by every balance look-up) never visits the table */
    "DROP INDEX orders_customer;"
    "CREATE INDEX orders_customer ON orders(merchant_id, customer_id, at, paid_minor, "
    "refunded_minor, points_earned, points_clawed);",

    /* 6: idempotency records in arrival order, found through a small index of their keys.
     * Keyed by (merchant, key) themselves, their ~600-byte rows sat at random places for random
     * keys (UUIDs, as clients send them): a page split every few events, a quarter off the rate */
    "CREATE TABLE events_by_arrival ("
    "  merchant_id INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  digest TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  applied_at INTEGER NOT NULL,"
    "  result TEXT NOT NULL) STRICT;"
    "INSERT INTO events_by_arrival SELECT merchant_id, key, digest, type, at, applied_at, result "
    "FROM events ORDER BY applied_at, merchant_id, key;"
    "DROP TABLE events;"
    "ALTER TABLE events_by_arrival RENAME TO events;"
    "CREATE UNIQUE INDEX events_key ON events(merchant_id, key);",

    /* 7: a customer's ledger entries are chained (each names the customer's previous entry, the
     * customer its newest) instead of indexed by customer: that index took an insertion at a
     * random place for every entry, a seventh of a purchase, for the sake of the rare listing */
    "ALTER TABLE ledger ADD COLUMN prev_id INTEGER;"
    "ALTER TABLE customers ADD COLUMN last_ledger_id INTEGER;"
    "UPDATE ledger SET prev_id = (SELECT MAX(p.id) FROM ledger p WHERE p.merchant_id = "
    "ledger.merchant_id AND p.customer_id = ledger.customer_id AND p.id < ledger.id);"
    "UPDATE customers SET last_ledger_id = (SELECT MAX(l.id) FROM ledger l WHERE l.merchant_id = "
    "customers.merchant_id AND l.customer_id = customers.id);"
    "DROP INDEX ledger_customer;",

    /* 8: the per-event tables check their enumerations with OR instead of IN: SQLite evaluates a
     * CHECK's IN list through a temporary B-tree built again by every INSERT (two per ledger
     * entry: a fifth of a purchase). The tables are rebuilt; the rows and indexes stay the same */
    "CREATE TABLE ledger_v8 ("
    "  merchant_id INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind = 'earn' OR kind = 'earn_pending' OR kind = 'confirm' OR "
    "    kind = 'redeem' OR kind = 'redeem_rollback' OR kind = 'clawback' OR kind = 'expire' OR "
    "    kind = 'adjust'),"
    "  account TEXT NOT NULL CHECK (account = 'points' OR account = 'stamps' OR "
    "    account = 'cashback'),"
    "  card_id TEXT NOT NULL DEFAULT '',"
    "  amount INTEGER NOT NULL,"
    "  pending_delta INTEGER NOT NULL DEFAULT 0,"
    "  event_key TEXT,"
    "  order_id INTEGER,"
    "  lot_id INTEGER,"
    "  program_version INTEGER NOT NULL,"
    "  explanation TEXT NOT NULL DEFAULT '[]',"
    "  reason TEXT, author TEXT,"
    "  prev_id INTEGER,"
    "  PRIMARY KEY (merchant_id, id)) STRICT;"
    "INSERT INTO ledger_v8 SELECT merchant_id, id, customer_id, at, kind, account, card_id, "
    "amount, "
    "pending_delta, event_key, order_id, lot_id, program_version, explanation, reason, author, "
    "prev_id FROM ledger ORDER BY merchant_id, id;"
    "DROP TABLE ledger;"
    "ALTER TABLE ledger_v8 RENAME TO ledger;"

    "CREATE TABLE lots_v8 ("
    "  merchant_id INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state = 'pending' OR state = 'available' OR "
    "    state = 'cancelled'),"
    "  earned_at INTEGER NOT NULL,"
    "  available_at INTEGER NOT NULL,"
    "  expires_at INTEGER,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  remaining INTEGER NOT NULL CHECK (remaining >= 0),"
    "  order_id INTEGER,"
    "  ledger_id INTEGER NOT NULL,"
    "  PRIMARY KEY (merchant_id, id)) STRICT;"
    "INSERT INTO lots_v8 SELECT merchant_id, id, customer_id, state, earned_at, available_at, "
    "expires_at, amount, remaining, order_id, ledger_id FROM lots ORDER BY merchant_id, id;"
    "DROP TABLE lots;"
    "ALTER TABLE lots_v8 RENAME TO lots;"
    "CREATE INDEX lots_open ON lots(merchant_id, customer_id) WHERE remaining > 0;"
    "CREATE INDEX lots_order ON lots(merchant_id, order_id) WHERE order_id IS NOT NULL;"

    "CREATE TABLE vouchers_v8 ("
    "  merchant_id INTEGER NOT NULL,"
    "  code TEXT NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  reward_id TEXT NOT NULL,"
    "  source TEXT NOT NULL CHECK (source = 'redeem' OR source = 'stamp_card' OR "
    "    source = 'vip_welcome'),"
    "  state TEXT NOT NULL CHECK (state = 'issued' OR state = 'used' OR state = 'expired'),"
    "  issued_at INTEGER NOT NULL,"
    "  valid_until INTEGER NOT NULL,"
    "  used_at INTEGER,"
    "  used_order TEXT,"
    "  ledger_id INTEGER,"
    "  event_key TEXT NOT NULL,"
    "  PRIMARY KEY (merchant_id, code)) STRICT, WITHOUT ROWID;"
    "INSERT INTO vouchers_v8 SELECT merchant_id, code, customer_id, reward_id, source, state, "
    "issued_at, valid_until, used_at, used_order, ledger_id, event_key FROM vouchers;"
    "DROP TABLE vouchers;"
    "ALTER TABLE vouchers_v8 RENAME TO vouchers;"
    "CREATE INDEX vouchers_customer ON vouchers(merchant_id, customer_id);"
    "CREATE INDEX vouchers_reward ON vouchers(merchant_id, reward_id, source);"
    "CREATE INDEX vouchers_due ON vouchers(merchant_id, valid_until) WHERE state = 'issued';",

    /* 9: stamp balances move into their customer's row (card -> [stamps, cards completed]): the
     * row a purchase rewrites anyway, instead of a B-tree of their own updated at a random place
     * by every stamped purchase. The view keeps the rows' shape for verify and reports */
    "ALTER TABLE customers ADD COLUMN stamps TEXT NOT NULL DEFAULT '{}';"
    "UPDATE customers SET stamps = (SELECT json_group_object(card_id, json_array(stamps, "
    "cards_completed)) FROM (SELECT * FROM stamp_balances s WHERE s.merchant_id = "
    "customers.merchant_id AND s.customer_id = customers.id ORDER BY card_id)) WHERE EXISTS "
    "(SELECT 1 FROM stamp_balances s WHERE s.merchant_id = customers.merchant_id AND "
    "s.customer_id = customers.id);"
    "DROP TABLE stamp_balances;"
    "CREATE VIEW stamp_balances AS SELECT c.merchant_id AS merchant_id, c.id AS customer_id, "
    "j.key AS card_id, json_extract(j.value, '$[0]') AS stamps, json_extract(j.value, '$[1]') AS "
    "cards_completed FROM customers c, json_each(c.stamps) j WHERE c.stamps != '{}';",

    /* 10: a customer's lots are chained like its ledger entries (prev_id; the customer holds the
     * newest and the oldest that may still be open) instead of indexed by customer: the index
     * took an insertion at a random place for every lot earned */
    "ALTER TABLE lots ADD COLUMN prev_id INTEGER;"
    "ALTER TABLE customers ADD COLUMN last_lot_id INTEGER;"
    "ALTER TABLE customers ADD COLUMN open_lots_from INTEGER;"
    "UPDATE lots SET prev_id = w.prev FROM (SELECT merchant_id AS m, id AS i, LAG(id) OVER "
    "(PARTITION BY merchant_id, customer_id ORDER BY id) AS prev FROM lots) AS w WHERE "
    "w.m = lots.merchant_id AND w.i = lots.id AND w.prev IS NOT NULL;"
    "UPDATE customers SET last_lot_id = w.newest, open_lots_from = COALESCE(w.oldest_open, "
    "w.newest + 1) FROM (SELECT merchant_id AS m, customer_id AS c, MAX(id) AS newest, "
    "MIN(CASE WHEN remaining > 0 THEN id END) AS oldest_open FROM lots GROUP BY merchant_id, "
    "customer_id) AS w WHERE w.m = customers.merchant_id AND w.c = customers.id;"
    "DROP INDEX lots_open;",

    /* 11: the stamp balances' view skips a row whose stamps are not a JSON object (verify names
     * it) instead of failing every query over the view */
    "DROP VIEW stamp_balances;"
    "CREATE VIEW stamp_balances AS SELECT c.merchant_id AS merchant_id, c.id AS customer_id, "
    "j.key AS card_id, json_extract(j.value, '$[0]') AS stamps, json_extract(j.value, '$[1]') AS "
    "cards_completed FROM customers c, json_each(CASE WHEN json_valid(c.stamps) THEN CASE WHEN "
    "json_type(c.stamps) = 'object' THEN c.stamps END END) j WHERE c.stamps != '{}';",

    /* 12: a customer's orders are chained (prev_id) and summed by period in the customer's row
     * (store/order_periods.h) instead of indexed by customer: that index took an insertion at a
     * random place for every order, a quarter of a purchase. The periods are written by
     * order_periods_rebuild (MIGRATION_CODE); migration 13 drops the index */
    "ALTER TABLE orders ADD COLUMN prev_id INTEGER;"
    "ALTER TABLE customers ADD COLUMN order_periods BLOB;"
    "UPDATE orders SET prev_id = w.prev FROM (SELECT merchant_id AS m, id AS i, LAG(id) OVER "
    "(PARTITION BY merchant_id, customer_id ORDER BY id) AS prev FROM orders) AS w WHERE "
    "w.m = orders.merchant_id AND w.i = orders.id AND w.prev IS NOT NULL;",

    /* 13: the index of orders by customer goes once migration 12 has read the orders through it
     * (customer by customer, without sorting the whole table) */
    "DROP INDEX orders_customer;",

    /* 14: an order names the points lot it earned (a refund claws that lot back) instead of an
     * index of lots by order, one more B-tree written by every purchase for the sake of refunds */
    "ALTER TABLE orders ADD COLUMN lot_id INTEGER;"
    "UPDATE orders SET lot_id = w.first FROM (SELECT merchant_id AS m, order_id AS o, MIN(id) AS "
    "first FROM lots WHERE order_id IS NOT NULL GROUP BY merchant_id, order_id) AS w WHERE "
    "w.m = orders.merchant_id AND w.o = orders.id;"
    "DROP INDEX lots_order;",

    /* 15: orders_at holds the order's id after its time. Orders of the same second (the server
     * stamps an order without "at" with its clock, hundreds of them a second when busy) went in
     * customer order, each at a random place among that second's entries: a page of the index
     * written per order, a fifth of the log a commit wrote. In id order they go at the end. */
    "DROP INDEX orders_at;"
    "CREATE INDEX orders_at ON orders(merchant_id, at, id, customer_id, paid_minor, "
    "member_at_order);",

    /* 16: the vouchers' indexes by reward and by end of validity hold the issuing ledger entry's
     * id after their key. Their entries went in voucher code order after it, and codes are
     * random: a page of each index written per voucher, where in ledger order (the order
     * vouchers are issued in) they go at the end of their reward or their second. */
    "DROP INDEX vouchers_reward;"
    "CREATE INDEX vouchers_reward ON vouchers(merchant_id, reward_id, source, ledger_id);"
    "DROP INDEX vouchers_due;"
    "CREATE INDEX vouchers_due ON vouchers(merchant_id, valid_until, ledger_id) WHERE state = "
    "'issued';",

    /* 17: explanations an earlier version cut into invalid JSON are written again. Only two could
     * be cut: an adjustment's (its reason is stored beside it) and a reward redemption's (the
     * reward's name; its id, from the voucher the entry issued, stands in for it). */
    "UPDATE ledger SET explanation = CASE WHEN kind = 'adjust' THEN json_array(json_object("
    "'rule', 'adjustment', 'label', COALESCE(reason, ''), 'points', amount)) ELSE json_array("
    "json_object('rule', 'reward', 'label', COALESCE((SELECT v.reward_id FROM vouchers v WHERE "
    "v.merchant_id = ledger.merchant_id AND v.ledger_id = ledger.id), ''))) END WHERE "
    "json_valid(explanation) = 0;",

    /* 18: the journal of customers' images (store/customer_journal.h): a writer that keeps
     * customers' state in memory appends, per commit, the images of the customers it changed as
     * one row, instead of rewriting each customer's row (a page at a random place per order).
     * Folds write the rows; folds counts them, so that a reader knows whether the images it
     * holds in memory are older or newer than its snapshot, and folded_to is the last journal
     * row they hold (rows up to it are deleted later, a few at a time). */
    "CREATE TABLE customer_journal (id INTEGER PRIMARY KEY, images BLOB NOT NULL) STRICT;"
    "CREATE TABLE customer_journal_folds (folds INTEGER NOT NULL, folded_to INTEGER NOT NULL) "
    "STRICT;"
    "INSERT INTO customer_journal_folds VALUES (0, 0);",

    /* 19: the cashback credits a redemption gives, by reward: a credit issues no voucher, so
     * the vouchers could not count it against the reward's stock. Earlier credits are found
     * through their redemption's idempotency record, which names the reward. */
    "CREATE TABLE reward_credits (merchant_id INTEGER NOT NULL, reward_id TEXT NOT NULL, "
    "ledger_id INTEGER NOT NULL, PRIMARY KEY (merchant_id, reward_id, ledger_id)) STRICT, "
    "WITHOUT ROWID;"
    "INSERT INTO reward_credits SELECT l.merchant_id, json_extract(ev.result, '$.reward'), l.id "
    "FROM ledger l JOIN events ev ON ev.merchant_id = l.merchant_id AND ev.key = l.event_key "
    "WHERE l.account = 'cashback' AND l.kind = 'earn' AND ev.type = 'redeem' AND "
    "json_valid(ev.result) AND json_extract(ev.result, '$.reward') IS NOT NULL;",

    /* 20: tier changes, so that a member's tier at any date can be told (segments at a date,
     * the member's history) and a customer's row can be rebuilt from history alone. A change
     * is `reached` (activity took the member up), `review` (a re-evaluation moved it) or
     * `recorded`: the tier a member already held when this history began, dated from the row's
     * tier_since (written by migration_20 below, once the rows hold the journal's images). */
    "CREATE TABLE tier_changes ("
    "  merchant_id INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  customer_id INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  tier TEXT NOT NULL,"
    "  previous TEXT NOT NULL,"
    "  reason TEXT NOT NULL CHECK (reason = 'reached' OR reason = 'review' OR "
    "    reason = 'recorded'),"
    "  program_version INTEGER,"
    "  PRIMARY KEY (merchant_id, id)) STRICT;"
    "CREATE INDEX tier_changes_customer ON tier_changes(merchant_id, customer_id, at, id);",

    /* 21: phones in international form (E.164), as they are kept since: earlier versions kept
     * them as typed ("+33 6 12 34 56 78"), and look-ups, which normalise what they are given,
     * did not find those. National numbers stay as they were (migration_21 below). */
    "",

    /* 22: orders recorded before an enrolment backdated to an instant before them were a
     * member's orders (member_at_order), as enrolments mark them since (migration_22 below). */
    "",

    /* 23: a refund's clawback explains its points with the entry's sign, as earnings do (its line
     * read "+242 Refund clawback" under an entry of -242). */
    "UPDATE ledger SET explanation = json_replace(explanation, '$[0].points', "
    "-json_extract(explanation, '$[0].points')) WHERE kind = 'clawback' AND account = 'points' "
    "AND json_valid(explanation) AND json_extract(explanation, '$[0].rule') = 'refund' AND "
    "json_extract(explanation, '$[0].points') > 0;",

    /* 24: e-mail addresses in lower case, as enrolments keep them: a profile change kept them as
     * typed, and look-ups, which compare in lower case, did not find those (migration_24). */
    "",

    /* 25: e-mail addresses folded in every script ("Élodie" kept as "élodie"), as enrolments now
     * keep them and look-ups compare them (migration_25). */
    "",

    /* 26: VIP refunds. A refund is a row of vip_payments with a negative amount naming the
     * payment it refunds (refund_of), so that payments and refunds share one order, their ids';
     * a payment keeps the start of the time it bought (valid_from: the end the membership had
     * when it was paid, or its own instant when none ran), for the share a refund takes off.
     * Payments are found by their event's key. A VIP welcome voucher taken back by a refund
     * says when and by which event. */
    "ALTER TABLE vip_payments ADD COLUMN valid_from INTEGER;"
    "ALTER TABLE vip_payments ADD COLUMN refund_of INTEGER;"
    "UPDATE vip_payments SET valid_from = MAX(at, COALESCE(w.before, at)) FROM (SELECT "
    "merchant_id AS m, id AS i, LAG(valid_until) OVER (PARTITION BY merchant_id, customer_id "
    "ORDER BY id) AS before FROM vip_payments) AS w WHERE w.m = vip_payments.merchant_id AND "
    "w.i = vip_payments.id;"
    "CREATE INDEX vip_payments_customer ON vip_payments(merchant_id, customer_id, id);"
    "CREATE INDEX vip_payments_key ON vip_payments(merchant_id, event_key);"
    "ALTER TABLE vouchers ADD COLUMN withdrawn_at INTEGER;"
    "ALTER TABLE vouchers ADD COLUMN withdrawn_by TEXT;",

    /* 27: phones in international form without the trunk prefix typed after the country code
     * ("+33 06 12 34 56 78" kept as +330612345678, which the national form did not find), as
     * they are read since (migration_21 again: it rewrites every phone that reads otherwise). */
    "",

    /* 28: the shapes of stored results (store/result_shapes.h): an idempotency record keeps its
     * result as a shape's number and the values, a fifth of its bytes. Records kept before keep
     * their whole text. */
    "CREATE TABLE result_shapes ("
    "  id INTEGER PRIMARY KEY,"
    "  shape TEXT NOT NULL UNIQUE) STRICT;",

    /* 29: phones read until they read as themselves (a trunk prefix typed twice after the
     * country code, "+43 0 0 3...", kept one 0 that a look-up by the number then dropped):
     * migration_21 again. */
    "",

    /* 30: the history's blocks by the span of their dates, so that a live order looks for its
     * id among the imported orders of its dates only (apply_order) */
    "CREATE INDEX order_history_span ON order_history(merchant_id, last_at, first_at);",

    /* 31: an expiry can be given back to an event dated before it that arrives after it (a late
     * redemption spends points that were valid at its date; a late activity undoes an expiry for
     * inactivity): a positive expiry entry whose use of the lot is negative. The expiry entries
     * are found by customer and instant through a partial index, which no other entry enters. */
    "CREATE TABLE lot_uses_v31 ("
    "  merchant_id INTEGER NOT NULL,"
    "  ledger_id INTEGER NOT NULL,"
    "  lot_id INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount != 0),"
    "  PRIMARY KEY (merchant_id, ledger_id, lot_id)) STRICT, WITHOUT ROWID;"
    "INSERT INTO lot_uses_v31 SELECT merchant_id, ledger_id, lot_id, amount FROM lot_uses;"
    "DROP TABLE lot_uses;"
    "ALTER TABLE lot_uses_v31 RENAME TO lot_uses;"
    "CREATE INDEX lot_uses_lot ON lot_uses(merchant_id, lot_id);"
    "CREATE INDEX ledger_expiries ON ledger(merchant_id, customer_id, at) WHERE kind = 'expire';",

    /* 32: an order refunded in full stops counting in its customer's orders by period (the
     * tiers' orders metric) once all its merchandise is given back, shipping kept or not: its
     * refunds say so, as the merchandise is the order's body's. Orders refunded before are
     * judged by what they paid less their shipping (core/refund.h), and the periods rebuilt by
     * migration_32 below. */
    "ALTER TABLE orders ADD COLUMN refunded_in_full INTEGER NOT NULL DEFAULT 0 "
    "  CHECK (refunded_in_full = 0 OR refunded_in_full = 1);"
    "UPDATE orders SET refunded_in_full = 1 WHERE refunded_minor > 0 AND (refunded_minor >= "
    "  paid_minor OR (paid_minor > " SHIPPING_OF_BODY " AND refunded_minor >= paid_minor - "
    "  " SHIPPING_OF_BODY "));",
};

/* Inside a migration's transaction: the rows take the images a server's journal kept (a crashed
 * server's images are newer than its rows), so that a migration that reads or rewrites rows
 * works on the newest state and no fold writes older images over its work. */
static enum fid_status rows_hold_the_journal(struct db *db, struct fid_error *err)
{
    size_t folded = 0;
    bool waiting = false;
    enum fid_status st = customer_journal_waiting(db, &waiting, err);
    if (st == FID_OK && waiting)
        st = customer_journal_fold(db, &folded, err);
    return st;
}

/* The tiers members hold when their history begins, from the rows. */
static enum fid_status migration_20(struct db *db, struct fid_error *err)
{
    enum fid_status st = rows_hold_the_journal(db, err);
    return st != FID_OK
               ? st
               : db_exec(
                     db,
                     "INSERT INTO tier_changes (merchant_id, id, customer_id, at, "
                     "tier, previous, reason) SELECT merchant_id, ROW_NUMBER() OVER "
                     "(PARTITION BY merchant_id ORDER BY id), id, COALESCE(tier_since, 0), tier, "
                     "'', 'recorded' FROM customers WHERE tier != ''",
                     err);
}

/* A text column of customers rewritten in its canonical form: canonical(text, out) writes it
 * into out (CANONICAL_MAX bytes) and says whether the text has one. */
#define CANONICAL_MAX 512
static enum fid_status rewrite_customers(struct db *db, const char *select, const char *update,
                                         bool (*canonical)(const char *, char *),
                                         struct fid_error *err)
{
    enum fid_status st = rows_hold_the_journal(db, err);
    if (st != FID_OK)
        return st;
    struct db_stmt *q = db_prepare(db, select);
    int64_t *rowids = NULL;
    char(*texts)[CANONICAL_MAX] = NULL;
    size_t n = 0, cap = 0;
    enum db_step rc;
    while ((rc = db_step(q)) == DB_ROW) {
        char text[CANONICAL_MAX];
        if (!canonical(db_column_text(q, 1), text) || strcmp(text, db_column_text(q, 1)) == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            rowids = xrealloc(rowids, cap * sizeof *rowids);
            texts = xrealloc(texts, cap * sizeof *texts);
        }
        rowids[n] = db_column_int(q, 0);
        memcpy(texts[n++], text, sizeof text);
    }
    db_done(q);
    st = db_rows_status(db, rc, "customers", err);
    for (size_t i = 0; i < n && st == FID_OK; i++) {
        struct db_stmt *u = db_prepare(db, update);
        db_bind_text(u, 1, texts[i]);
        db_bind_int(u, 2, rowids[i]);
        st = db_run(u, err);
    }
    free(rowids);
    free(texts);
    return st;
}

static bool phone_canonical(const char *text, char *out)
{
    return fid_phone_normalise(text, "", out) == 0; /* no merchant's country here */
}

/* Phones rewritten in international form where they have one. */
static enum fid_status migration_21(struct db *db, struct fid_error *err)
{
    return rewrite_customers(
        db, "SELECT rowid, phone FROM customers WHERE phone IS NOT NULL AND phone != ''",
        "UPDATE customers SET phone = ? WHERE rowid = ?", phone_canonical, err);
}

static bool email_canonical(const char *text, char *out)
{
    fid_email_fold(text, out, CANONICAL_MAX);
    return true;
}

/* E-mails folded to lower case in every script (migration 24 lowered ASCII letters alone). */
static enum fid_status migration_25(struct db *db, struct fid_error *err)
{
    return rewrite_customers(db, "SELECT rowid, email FROM customers WHERE email GLOB '*[^ -~]*'",
                             "UPDATE customers SET email = ? WHERE rowid = ?", email_canonical,
                             err);
}

static enum fid_status migration_22(struct db *db, struct fid_error *err)
{
    enum fid_status st = rows_hold_the_journal(db, err);
    return st != FID_OK
               ? st
               : db_exec(db,
                         "UPDATE orders SET member_at_order = 1 WHERE member_at_order = 0 AND "
                         "EXISTS (SELECT 1 FROM customers c WHERE c.merchant_id = "
                         "orders.merchant_id AND c.id = orders.customer_id AND c.is_member = 1 "
                         "AND c.enrolled_at <= orders.at)",
                         err);
}

/* E-mail addresses in lower case, once the rows hold the journal's images (which hold them). */
static enum fid_status migration_24(struct db *db, struct fid_error *err)
{
    enum fid_status st = rows_hold_the_journal(db, err);
    return st != FID_OK ? st
                        : db_exec(db,
                                  "UPDATE customers SET email = lower(email) WHERE email IS NOT "
                                  "NULL AND email != lower(email)",
                                  err);
}

/* The customers' orders summed by period, from their orders (before orders.refunded_in_full). */
static enum fid_status migration_12(struct db *db, struct fid_error *err)
{
    return order_periods_rebuild(db, false, err);
}

/* The periods again where an order now counts as refunded in full that did not (its shipping
 * kept), once the rows hold the journal's images (which hold the periods). */
static enum fid_status migration_32(struct db *db, struct fid_error *err)
{
    struct db_stmt *s = db_prepare(db, "SELECT 1 FROM orders WHERE refunded_in_full = 1 AND "
                                       "refunded_minor < paid_minor LIMIT 1");
    enum db_step rc = db_step(s);
    db_done(s);
    if (rc == DB_FAILED)
        return fid_fail(err, FID_ERR_DB, "", "reading orders refunded in full failed");
    enum fid_status st = rc == DB_ROW ? rows_hold_the_journal(db, err) : FID_OK;
    return st == FID_OK && rc == DB_ROW ? order_periods_rebuild(db, true, err) : st;
}

/* What a migration computes in C after its SQL, in the same transaction. */
static enum fid_status (*const MIGRATION_CODE[])(struct db *, struct fid_error *) = {
    [12] = migration_12, [20] = migration_20, [21] = migration_21,
    [22] = migration_22, [24] = migration_24, [25] = migration_25,
    [27] = migration_21, [29] = migration_21, [32] = migration_32,
};

int schema_latest_version(void)
{
    return (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]);
}

enum fid_status schema_migrate(struct db *db, struct fid_error *err)
{
    return schema_migrate_to(db, schema_latest_version(), err);
}

enum fid_status schema_migrate_to(struct db *db, int version, struct fid_error *err)
{
    /* A file of another application is not made a Fidele database by a mistyped --db. */
    int64_t foreign = 0;
    enum fid_status st = db_run_int(
        db_prepare(db, "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
                       "name NOT LIKE 'sqlite\\_%' ESCAPE '\\') AND NOT EXISTS (SELECT 1 FROM "
                       "sqlite_schema WHERE type = 'table' AND name = 'schema_migrations')"),
        0, &foreign, err);
    if (st != FID_OK)
        return st;
    if (foreign)
        return fid_fail(err, FID_ERR_INPUT, "--db",
                        "the database holds another application's tables and no Fidele schema: "
                        "name a Fidele database or a new file");
    st = db_exec(db,
                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
                 " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                 err);
    if (st != FID_OK)
        return st;
    int64_t current = 0;
    st = db_run_int(db_prepare(db, "SELECT MAX(version) FROM schema_migrations"), 0, &current, err);
    if (st != FID_OK)
        return st;
    if (current > schema_latest_version())
        return fid_fail(err, FID_ERR_DB, "--db",
                        "database schema version %lld is newer than this program (%d)",
                        (long long)current, schema_latest_version());
    for (int v = (int)current + 1; v <= version && v <= schema_latest_version(); v++) {
        if ((st = db_begin(db, err)) != FID_OK)
            return st;
        /* another process opening the database at once may have applied it since the look
         * above: looked at again under the write lock */
        int64_t applied = 0;
        if ((st = db_run_int(db_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM "
                                            "schema_migrations"),
                             0, &applied, err)) != FID_OK) {
            db_rollback(db);
            return st;
        }
        if (applied >= v) {
            db_rollback(db);
            continue;
        }
        char record[128];
        snprintf(record, sizeof record,
                 "INSERT INTO schema_migrations VALUES (%d, CAST(strftime('%%s','now') AS "
                 "INTEGER))",
                 v);
        bool code = (size_t)v < sizeof MIGRATION_CODE / sizeof MIGRATION_CODE[0] &&
                    MIGRATION_CODE[v] != NULL;
        if ((st = db_exec(db, MIGRATIONS[v - 1], err)) != FID_OK ||
            (code && (st = MIGRATION_CODE[v](db, err)) != FID_OK) ||
            (st = db_exec(db, record, err)) != FID_OK || (st = db_commit(db, err)) != FID_OK) {
            db_rollback(db);
            return st;
        }
    }
    return FID_OK;
}
