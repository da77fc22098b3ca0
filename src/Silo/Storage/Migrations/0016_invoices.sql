-- R31: invoices. A draft is drafted from a client's billable, not yet invoiced entries in a period; issuing numbers it
-- from the org's gapless yearly sequence and locks its entries (time_entries.invoice_id); voiding keeps the number and
-- unlocks them. Money in integer cents; a line is {project_id, project_name, kind, seconds, rate_cents, amount_cents}.
CREATE TABLE invoices (
    org_id         uuid NOT NULL REFERENCES orgs (id),
    id             uuid NOT NULL,
    client_id      uuid NOT NULL,
    created_by     uuid NOT NULL,
    currency       char(3) NOT NULL,
    status         text NOT NULL CHECK (status IN ('draft', 'issued', 'void')),
    year           integer,
    seq            integer CHECK (seq > 0),
    number         text,
    period_from    date NOT NULL,
    period_to      date NOT NULL,
    tax_percent    numeric(5, 2) CHECK (tax_percent BETWEEN 0 AND 100),
    notes          text,
    org_name       text NOT NULL,
    client_name    text NOT NULL,
    lines          jsonb NOT NULL,
    subtotal_cents bigint NOT NULL,
    tax_cents      bigint NOT NULL,
    total_cents    bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    issued_at      timestamptz,
    voided_at      timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id),
    CHECK (period_to >= period_from),
    -- a number is given once, on issue, and kept by a voided invoice
    CHECK ((status = 'draft') = (number IS NULL)),
    CHECK ((number IS NULL) = (year IS NULL) AND (number IS NULL) = (seq IS NULL) AND (number IS NULL) = (issued_at IS NULL)),
    UNIQUE (org_id, number),
    UNIQUE (org_id, year, seq)
);
CREATE INDEX invoices_by_org ON invoices (org_id, created_at DESC, id DESC);

-- The entries an invoice was drafted from (and, once issued, locks); a voided invoice keeps the list.
CREATE TABLE invoice_entries (
    org_id     uuid NOT NULL,
    invoice_id uuid NOT NULL,
    entry_id   uuid NOT NULL,
    PRIMARY KEY (org_id, invoice_id, entry_id),
    FOREIGN KEY (org_id, invoice_id) REFERENCES invoices (org_id, id) ON DELETE CASCADE
);

-- The gapless yearly sequence: the issuing transaction takes the next number with an upsert on this row, whose row lock
-- makes concurrent issues of one org take turns; a rolled-back issue rolls its number back too (a SEQUENCE would skip).
CREATE TABLE invoice_counters (
    org_id uuid NOT NULL REFERENCES orgs (id),
    year   integer NOT NULL,
    last   integer NOT NULL CHECK (last > 0),
    PRIMARY KEY (org_id, year)
);

ALTER TABLE time_entries ADD COLUMN invoice_id uuid;
ALTER TABLE time_entries ADD CONSTRAINT time_entries_invoice_fk FOREIGN KEY (org_id, invoice_id) REFERENCES invoices (org_id, id);
CREATE INDEX time_entries_by_invoice ON time_entries (org_id, invoice_id) WHERE invoice_id IS NOT NULL;

-- R31, R27: an invoiced entry cannot change at all, nor be deleted; only voiding may unlock it (invoice_id back to
-- null, nothing else changed; the generated amount is not computed yet in a BEFORE trigger, and follows the rest).
-- The API refuses first (409 entry_invoiced); this is the backstop.
CREATE FUNCTION hd_refuse_invoiced_entry_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.invoice_id IS NULL THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.invoice_id IS NULL
       AND (to_jsonb(NEW) - 'invoice_id' - 'updated_at' - 'amount') = (to_jsonb(OLD) - 'invoice_id' - 'updated_at' - 'amount') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'entry % is on invoice % and cannot change', OLD.id, OLD.invoice_id USING ERRCODE = 'HD431';
END $$;

CREATE TRIGGER time_entries_invoiced_locked BEFORE UPDATE OR DELETE ON time_entries
    FOR EACH ROW EXECUTE FUNCTION hd_refuse_invoiced_entry_change();
