using System.Text.Json;
using Hourdini.Grains.Common;
using Hourdini.Grains.Invoices;
using Hourdini.Silo.Live;
using Hourdini.Silo.Storage.Entries;
using Hourdini.Silo.Storage.Tracking;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Invoices;

/// <summary>
/// Whose invoices a caller reaches: an Owner the whole org's (<see cref="WholeOrg"/>), a Member those they drafted
/// (<see cref="CreatedBy"/>), a Viewer those of the clients granted to them (<see cref="ViewerId"/>, read only).
/// </summary>
public sealed record InvoiceScope(Guid? CreatedBy, Guid? ViewerId)
{
    public static InvoiceScope WholeOrg { get; } = new(null, null);
}

/// <summary>What to draft: a client's billable, uninvoiced entries that started in [From, To] (whole UTC days).</summary>
/// <param name="EntriesOf">Only this user's entries (a Member invoices their own work); null: everyone's in the org.</param>
public sealed record DraftRequest(
    Guid OrgId, Guid UserId, Guid ClientId, DateOnly From, DateOnly To, decimal? TaxPercent, string? Notes, Guid? EntriesOf, DateTimeOffset Now);

/// <summary>
/// R31: invoices in PostgreSQL. Drafting reads the entries and writes the draft with its lines; issuing, in one
/// transaction, locks the draft and its entries, checks the entries still say what the draft says, takes the org's next
/// number of the year from <c>invoice_counters</c> (a row lock: concurrent issues take turns, and a rolled-back issue
/// gives its number back, so the sequence has no gap and no duplicate on any number of nodes) and sets the entries'
/// <c>invoice_id</c>. Voiding keeps the number and clears the entries' <c>invoice_id</c>.
/// </summary>
public sealed class InvoiceStore(NpgsqlDataSource dataSource, ChangeNotifier changes)
{
    private const string EntriesSelect =
        """
        SELECT e.*, p.name AS project_name, p.client_id AS project_client_id
        FROM time_entries e JOIN projects p ON p.org_id = e.org_id AND p.id = e.project_id
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record StoredLine(Guid ProjectId, string ProjectName, string Kind, long Seconds, long RateCents, long AmountCents);

    /// <summary>Writes a draft; null when the client is unknown; <c>nothing_to_invoice</c> when no entry qualifies.</summary>
    public Task<Invoice?> DraftAsync(DraftRequest request, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var id = IdempotentRequest.NewId(request.Now, "invoice");
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            if (await ReadAsync(connection, request.OrgId, id, InvoiceScope.WholeOrg, forUpdate: false, ct) is { } already)
            {
                return already; // this keyed request's own draft, written by a run that died before answering
            }

            string clientName, currency, orgName;
            await using (var reader = await connection.QueryAsync(
                "SELECT c.name, c.currency, o.name FROM clients c JOIN orgs o ON o.id = c.org_id WHERE c.org_id = $1 AND c.id = $2",
                ct, request.OrgId, request.ClientId))
            {
                if (!await reader.ReadAsync(ct))
                {
                    return null;
                }

                (clientName, currency, orgName) = (reader.GetString(0), reader.GetString(1).Trim(), reader.GetString(2));
            }

            var entries = await EntriesAsync(connection,
                EntriesSelect + """
                 WHERE e.org_id = $1 AND p.client_id = $2 AND e.billable AND e.invoice_id IS NULL AND e.currency = $3
                   AND e.duration_seconds > 0 AND e.started_at >= $4 AND e.started_at < $5 AND ($6::uuid IS NULL OR e.user_id = $6)
                 ORDER BY e.started_at, e.id
                """,
                ct, request.OrgId, request.ClientId, currency, Start(request.From), Start(request.To.AddDays(1)),
                Db.Nullable(request.EntriesOf, NpgsqlDbType.Uuid));
            if (entries.Count == 0)
            {
                throw Refusal.Conflict("nothing_to_invoice",
                    $"{clientName} has no billable, uninvoiced entries in {currency} that started between {request.From:yyyy-MM-dd} and {request.To:yyyy-MM-dd} (UTC).");
            }

            var totals = InvoiceLines.Compute(entries.Select(e => e.Entry), request.TaxPercent);
            await using (var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Db.Command(
                        """
                        INSERT INTO invoices (org_id, id, client_id, created_by, currency, status, period_from, period_to, tax_percent, notes,
                            org_name, client_name, lines, subtotal_cents, tax_cents, total_cents, created_at)
                        VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                        """,
                        request.OrgId, id, request.ClientId, request.UserId, currency, request.From, request.To,
                        Db.Nullable(request.TaxPercent, NpgsqlDbType.Numeric), Db.Nullable(request.Notes, NpgsqlDbType.Text), orgName, clientName,
                        Db.Jsonb(LinesJson(totals.Lines)), totals.SubtotalCents, totals.TaxCents, totals.TotalCents, request.Now),
                    Db.Command(
                        "INSERT INTO invoice_entries (org_id, invoice_id, entry_id) SELECT $1, $2, unnest($3::uuid[])",
                        request.OrgId, id, entries.Select(e => e.Entry.Id).ToArray()),
                },
            })
            {
                await batch.ExecuteNonQueryAsync(ct);
            }

            var draft = await ReadAsync(connection, request.OrgId, id, InvoiceScope.WholeOrg, forUpdate: false, ct);
            await transaction.CommitAsync(ct);
            return draft;
        });

    /// <summary>Newest first, optionally of one status; <paramref name="after"/> is the last one of the previous page.</summary>
    public Task<(IReadOnlyList<Invoice> Invoices, Cursor? Next)> ListAsync(
        Guid orgId, InvoiceScope scope, string? status, Cursor? after, int limit, CancellationToken ct) =>
        Db.RunAsync<(IReadOnlyList<Invoice>, Cursor?)>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var ids = new List<Guid>();
            await using (var reader = await connection.QueryAsync(
                $"""
                SELECT i.id FROM invoices i
                WHERE i.org_id = $1 AND ($2::text IS NULL OR i.status = $2)
                  AND ($3::timestamptz IS NULL OR (i.created_at, i.id) < ($3, $4))
                  AND {ScopeSql("$6", "$7")}
                ORDER BY i.created_at DESC, i.id DESC
                LIMIT $5
                """,
                ct, orgId, Db.Nullable(status, NpgsqlDbType.Text), Db.Nullable(after?.At, NpgsqlDbType.TimestampTz),
                Db.Nullable(after?.Id, NpgsqlDbType.Uuid), limit + 1,
                Db.Nullable(scope.CreatedBy, NpgsqlDbType.Uuid), Db.Nullable(scope.ViewerId, NpgsqlDbType.Uuid)))
            {
                while (await reader.ReadAsync(ct))
                {
                    ids.Add(reader.GetGuid(0));
                }
            }

            var invoices = new List<Invoice>();
            foreach (var id in ids.Take(limit))
            {
                if (await ReadAsync(connection, orgId, id, InvoiceScope.WholeOrg, forUpdate: false, ct) is { } invoice)
                {
                    invoices.Add(invoice);
                }
            }

            Cursor? next = ids.Count > limit ? new Cursor(invoices[^1].CreatedAt, invoices[^1].Id) : null;
            return (invoices, next);
        });

    public Task<Invoice?> GetAsync(Guid orgId, Guid id, InvoiceScope scope, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            return await ReadAsync(connection, orgId, id, scope, forUpdate: false, ct);
        });

    /// <summary>
    /// Issues a draft: the next number of the org's year, its entries locked. Refused when it is not a draft
    /// (<c>invoice_issued</c>, <c>invoice_void</c>) or when its entries no longer say what it says (<c>invoice_outdated</c>:
    /// one was changed, deleted, made non-billable or invoiced elsewhere since it was drafted; delete it and draft again).
    /// </summary>
    public Task<Invoice?> IssueAsync(Guid orgId, Guid id, InvoiceScope scope, DateTimeOffset now, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            if (await ReadAsync(connection, orgId, id, scope, forUpdate: true, ct) is not { } draft)
            {
                return null;
            }

            RefuseUnlessDraft(draft, "issued");

            // Entries are locked in id order, so two issues sharing entries wait for each other rather than deadlock.
            var entries = await EntriesAsync(connection, EntriesSelect + " WHERE e.org_id = $1 AND e.id = ANY($2) ORDER BY e.id FOR UPDATE OF e",
                ct, orgId, draft.EntryIds.ToArray());
            var stillQualify = entries.Count == draft.EntryIds.Count && entries.All(e =>
                e.ClientId == draft.ClientId && e.Billable && e.InvoiceId is null && e.Currency == draft.Currency && e.Entry.DurationSeconds > 0);
            var totals = InvoiceLines.Compute(entries.Select(e => e.Entry), draft.TaxPercent);
            if (!stillQualify || totals.TotalCents != draft.Totals.TotalCents || totals.Lines.Count != draft.Totals.Lines.Count
                || totals.Lines.Zip(draft.Totals.Lines).Any(pair => !pair.First.SameMoney(pair.Second)))
            {
                throw Refusal.Conflict("invoice_outdated",
                    "Some of this draft's entries changed, were deleted or were invoiced since it was drafted; delete the draft and draft it again.");
            }

            var year = now.UtcDateTime.Year;
            int seq;
            await using (var reader = await connection.QueryAsync(
                """
                INSERT INTO invoice_counters (org_id, year, last) VALUES ($1, $2, 1)
                ON CONFLICT (org_id, year) DO UPDATE SET last = invoice_counters.last + 1
                RETURNING last
                """, ct, orgId, year))
            {
                await reader.ReadAsync(ct);
                seq = reader.GetInt32(0);
            }

            var locked = await connection.ExecuteAsync(
                "UPDATE time_entries SET invoice_id = $2 WHERE org_id = $1 AND id = ANY($3) AND invoice_id IS NULL",
                ct, orgId, id, draft.EntryIds.ToArray());
            if (locked != draft.EntryIds.Count)
            {
                throw new InvalidOperationException($"Issuing invoice {id} locked {locked} of its {draft.EntryIds.Count} entries.");
            }

            await connection.ExecuteAsync(
                """
                UPDATE invoices SET status = 'issued', year = $3, seq = $4, number = $5, issued_at = $6, lines = $7,
                    org_name = (SELECT name FROM orgs WHERE id = $1),
                    client_name = (SELECT name FROM clients WHERE org_id = $1 AND id = client_id)
                WHERE org_id = $1 AND id = $2
                """,
                ct, orgId, id, year, seq, Invoice.FormatNumber(year, seq), now, Db.Jsonb(LinesJson(totals.Lines)));
            var issued = await ReadAsync(connection, orgId, id, InvoiceScope.WholeOrg, forUpdate: false, ct);

            // R33: the invoice.issued outbox row commits with the issue itself (or not at all).
            await connection.ExecuteAsync(
                "SELECT hd_webhook_enqueue($1, 'invoice.issued', $2)",
                ct, orgId, Db.Jsonb(System.Text.Json.JsonSerializer.Serialize(new
                {
                    invoice = new
                    {
                        id, number = issued!.Number, client_id = issued.ClientId, currency = issued.Currency, issued_at = issued.IssuedAt,
                        total = (issued.Totals.TotalCents / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
                    },
                })));
            await transaction.CommitAsync(ct);
            changes.Changed(orgId, draft.CreatedBy);
            return issued;
        });

    /// <summary>Voids an issued invoice: its number stays (never reused), its entries are unlocked.</summary>
    public Task<Invoice?> VoidAsync(Guid orgId, Guid id, InvoiceScope scope, DateTimeOffset now, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            if (await ReadAsync(connection, orgId, id, scope, forUpdate: true, ct) is not { } invoice)
            {
                return null;
            }

            switch (invoice.Status)
            {
                case InvoiceStatus.Draft:
                    throw Refusal.Conflict("invoice_not_issued", "A draft has no number to void; delete it instead.");
                case InvoiceStatus.Void:
                    throw Refusal.Conflict("invoice_void", $"Invoice {invoice.Number} is void already.");
            }

            await connection.ExecuteAsync("UPDATE time_entries SET invoice_id = NULL WHERE org_id = $1 AND invoice_id = $2", ct, orgId, id);
            await connection.ExecuteAsync("UPDATE invoices SET status = 'void', voided_at = $3 WHERE org_id = $1 AND id = $2", ct, orgId, id, now);
            var voided = await ReadAsync(connection, orgId, id, InvoiceScope.WholeOrg, forUpdate: false, ct);
            await transaction.CommitAsync(ct);
            changes.Changed(orgId, invoice.CreatedBy);
            return voided;
        });

    /// <summary>Deletes a draft (it numbers nothing); false when there is no such invoice.</summary>
    public Task<bool> DeleteDraftAsync(Guid orgId, Guid id, InvoiceScope scope, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            if (await ReadAsync(connection, orgId, id, scope, forUpdate: true, ct) is not { } invoice)
            {
                return false;
            }

            RefuseUnlessDraft(invoice, "deleted");
            await connection.ExecuteAsync("DELETE FROM invoices WHERE org_id = $1 AND id = $2", ct, orgId, id);
            await transaction.CommitAsync(ct);
            return true;
        });

    private static void RefuseUnlessDraft(Invoice invoice, string verb)
    {
        switch (invoice.Status)
        {
            case InvoiceStatus.Issued:
                throw Refusal.Conflict("invoice_issued", $"Invoice {invoice.Number} is issued and cannot be {verb}; void it instead.");
            case InvoiceStatus.Void:
                throw Refusal.Conflict("invoice_void", $"Invoice {invoice.Number} is void and cannot be {verb}.");
        }
    }

    private static string ScopeSql(string createdBy, string viewer) =>
        $"""
        ({createdBy}::uuid IS NULL OR i.created_by = {createdBy})
          AND ({viewer}::uuid IS NULL OR EXISTS (SELECT 1 FROM client_grants g WHERE g.org_id = i.org_id AND g.client_id = i.client_id AND g.user_id = {viewer}))
        """;

    private static async Task<Invoice?> ReadAsync(NpgsqlConnection connection, Guid orgId, Guid id, InvoiceScope scope, bool forUpdate, CancellationToken ct)
    {
        Invoice invoice;
        await using (var r = await connection.QueryAsync(
            $"""
            SELECT i.*, lines::text AS lines_json FROM invoices i
            WHERE i.org_id = $1 AND i.id = $2 AND {ScopeSql("$3", "$4")}
            {(forUpdate ? "FOR UPDATE" : "")}
            """,
            ct, orgId, id, Db.Nullable(scope.CreatedBy, NpgsqlDbType.Uuid), Db.Nullable(scope.ViewerId, NpgsqlDbType.Uuid)))
        {
            if (!await r.ReadAsync(ct))
            {
                return null;
            }

            var lines = JsonSerializer.Deserialize<List<StoredLine>>(r.Get<string>("lines_json")!, Json)!
                .Select(l => new InvoiceLine(l.ProjectId, l.ProjectName, l.Kind, l.Seconds, l.RateCents, l.AmountCents)).ToList();
            invoice = new Invoice(
                r.Get<Guid>("id"), orgId, r.Get<Guid>("client_id"), r.Get<Guid>("created_by"), r.Get<string>("currency")!.Trim(),
                r.Get<string>("status")!, r.Get<string>("number"), r.Get<DateTimeOffset?>("issued_at"),
                r.Get<DateOnly>("period_from"), r.Get<DateOnly>("period_to"), r.Get<decimal?>("tax_percent"), r.Get<string>("notes"),
                r.Get<string>("org_name")!, r.Get<string>("client_name")!,
                new InvoiceTotals(lines, r.Get<long>("subtotal_cents"), r.Get<long>("tax_cents"), r.Get<long>("total_cents")),
                [], r.Get<DateTimeOffset>("created_at"), r.Get<DateTimeOffset?>("voided_at"));
        }

        var entryIds = new List<Guid>();
        await using (var r = await connection.QueryAsync(
            "SELECT entry_id FROM invoice_entries WHERE org_id = $1 AND invoice_id = $2 ORDER BY entry_id", ct, orgId, id))
        {
            while (await r.ReadAsync(ct))
            {
                entryIds.Add(r.GetGuid(0));
            }
        }

        return invoice with { EntryIds = entryIds };
    }

    private sealed record Candidate(InvoiceEntry Entry, Guid ClientId, bool Billable, Guid? InvoiceId, string Currency);

    private static async Task<List<Candidate>> EntriesAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object?[] parameters)
    {
        var entries = new List<Candidate>();
        await using var reader = await connection.QueryAsync(sql, ct, parameters);
        while (await reader.ReadAsync(ct))
        {
            var entry = EntryStore.Read(reader);
            entries.Add(new Candidate(
                InvoiceEntry.Of(entry, reader.Get<string>("project_name")!), reader.Get<Guid>("project_client_id"), entry.Billable,
                reader.Get<Guid?>("invoice_id"), entry.Currency.Trim()));
        }

        return entries;
    }

    private static string LinesJson(IEnumerable<InvoiceLine> lines) =>
        JsonSerializer.Serialize(lines.Select(l => new StoredLine(l.ProjectId, l.ProjectName, l.Kind, l.Seconds, l.RateCents, l.AmountCents)), Json);

    private static DateTimeOffset Start(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}
