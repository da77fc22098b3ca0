using System.Text.Json;
using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Silo.Live;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Imports;

/// <summary>
/// One good row of an imported file, read and checked (R24). <see cref="Rate"/> and <see cref="Currency"/> are the file's,
/// when it has them. <see cref="Fingerprint"/> names the row: the same row imported again has the same one (R30).
/// </summary>
public sealed record ImportRow(
    int Line,
    string ClientName,
    string ProjectName,
    string Description,
    bool Billable,
    DateTimeOffset Start,
    DateTimeOffset End,
    IReadOnlyList<string> Tags,
    decimal? Rate,
    string? Currency,
    string Fingerprint);

/// <summary>A row that was not imported: its line in the file (1 is the header), a stable code and what is wrong.</summary>
public sealed record ImportFailure(int Line, string Code, string Detail);

public sealed record ImportRequest(
    Guid OrgId, Guid UserId, string Source, bool DryRun, int Rows, IReadOnlyList<ImportRow> Good, IReadOnlyList<ImportFailure> Failed,
    string DefaultCurrency);

public sealed record ImportOutcome(
    Guid Id, int Rows, int Created, int Duplicates, IReadOnlyList<ImportFailure> Failed, int ClientsCreated, int ProjectsCreated);

/// <summary>
/// R30: writes an import's good rows in one transaction (all of them or none): the clients and projects they name that
/// are missing are created (names matched as R23 compares them: trimmed, case-insensitive, among non-archived ones), the
/// rows go in through a binary COPY into a temporary table and one INSERT … SELECT, and a row whose fingerprint the org
/// has already is a duplicate. A dry run does all of it and rolls back, so its counts are exactly what a real run would
/// do. Imports of one org take turns (a transaction lock), so two at once cannot both create "Acme".
/// </summary>
public sealed class ImportStore(NpgsqlDataSource dataSource, ChangeNotifier changes, TimeProvider clock)
{
    private sealed record KnownClient(Guid Id, string Currency, decimal DefaultRate);

    private sealed record KnownProject(Guid Id, decimal? Rate);

    public Task<ImportOutcome> ImportAsync(ImportRequest request, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var now = clock.UtcNowMs();
            var importId = IdempotentRequest.NewId(now, "import");
            var failed = request.Failed.ToList();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended('hd-import:' || $1::text, 0))", ct, request.OrgId);

            var known = new HashSet<string>(StringComparer.Ordinal);
            await using (var reader = await connection.QueryAsync(
                "SELECT import_fingerprint FROM time_entries WHERE org_id = $1 AND import_fingerprint = ANY($2)",
                ct, request.OrgId, request.Good.Select(r => r.Fingerprint).ToArray()))
            {
                while (await reader.ReadAsync(ct))
                {
                    known.Add(reader.GetString(0));
                }
            }

            var fresh = request.Good.Where(r => !known.Contains(r.Fingerprint)).ToList();
            var clients = await ClientsAsync(connection, request.OrgId, ct);
            var projects = await ProjectsAsync(connection, request.OrgId, ct);
            int clientsCreated = 0, projectsCreated = 0;
            var entries = new List<(ImportRow Row, Guid ProjectId, decimal Rate, string Currency)>();
            foreach (var row in fresh)
            {
                var clientKey = Key(row.ClientName);
                if (!clients.TryGetValue(clientKey, out var client))
                {
                    var currency = row.Currency ?? request.DefaultCurrency;
                    client = new KnownClient(IdempotentRequest.NewId(now, $"import-client:{clientKey}"), currency, 0m);
                    await connection.ExecuteAsync(
                        """
                        INSERT INTO clients (org_id, id, name, currency, default_rate, color, created_at) VALUES ($1, $2, $3, $4, 0, NULL, $5)
                        """, ct, request.OrgId, client.Id, row.ClientName.Trim(), currency, now); // NULL: the palette's next colour (migration 0019's trigger)
                    clients[clientKey] = client;
                    clientsCreated++;
                }

                if (row.Currency is { } fileCurrency && fileCurrency != client.Currency)
                {
                    failed.Add(new ImportFailure(row.Line, "currency_mismatch",
                        $"The row is in {fileCurrency}, but the client \"{row.ClientName}\" bills in {client.Currency}, and amounts are never converted between currencies."));
                    continue;
                }

                var projectKey = (client.Id, Key(row.ProjectName));
                if (!projects.TryGetValue(projectKey, out var project))
                {
                    project = new KnownProject(IdempotentRequest.NewId(now, $"import-project:{client.Id}/{projectKey.Item2}"), row.Rate);
                    await connection.ExecuteAsync(
                        """
                        INSERT INTO projects (org_id, id, client_id, name, rate, bill_agent_time, created_at) VALUES ($1, $2, $3, $4, $5, false, $6)
                        """, ct, request.OrgId, project.Id, client.Id, row.ProjectName.Trim(), Db.Nullable(row.Rate, NpgsqlDbType.Numeric), now);
                    projects[projectKey] = project;
                    projectsCreated++;
                }

                // R19: the project's effective rate, unless the file names the rate this work was billed at.
                entries.Add((row, project.Id, row.Rate ?? project.Rate ?? client.DefaultRate, client.Currency));
            }

            await connection.ExecuteAsync(
                """
                CREATE TEMP TABLE hd_import_rows (id uuid, project_id uuid, description text, started_at timestamptz, ended_at timestamptz,
                    duration_seconds bigint, billable boolean, rate numeric(14, 2), currency char(3), tags text[], fingerprint text) ON COMMIT DROP
                """, ct);
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY hd_import_rows (id, project_id, description, started_at, ended_at, duration_seconds, billable, rate, currency, tags, fingerprint) FROM STDIN (FORMAT BINARY)",
                ct))
            {
                foreach (var (row, projectId, rate, currency) in entries)
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(IdempotentRequest.NewId(now, $"import-entry:{row.Fingerprint}"), NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(projectId, NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(row.Description, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(row.Start, NpgsqlDbType.TimestampTz, ct);
                    await copy.WriteAsync(row.End, NpgsqlDbType.TimestampTz, ct);
                    await copy.WriteAsync((long)(row.End - row.Start).TotalSeconds, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(row.Billable, NpgsqlDbType.Boolean, ct);
                    await copy.WriteAsync(rate, NpgsqlDbType.Numeric, ct);
                    await copy.WriteAsync(currency, NpgsqlDbType.Char, ct);
                    await copy.WriteAsync(row.Tags.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(row.Fingerprint, NpgsqlDbType.Text, ct);
                }

                await copy.CompleteAsync(ct);
            }

            // R25: an imported entry is all hands-on time.
            var created = await connection.ExecuteAsync(
                """
                INSERT INTO time_entries (org_id, id, user_id, project_id, agent_id, session_id, source, description,
                    started_at, ended_at, duration_seconds, billable, rate, currency, tags, created_at, updated_at,
                    active_seconds, agent_seconds, idle_seconds, agent_billed, agent_rate, import_id, import_fingerprint)
                SELECT $1, r.id, $2, r.project_id, NULL, NULL, $3, r.description, r.started_at, r.ended_at, r.duration_seconds,
                    r.billable, r.rate, r.currency, r.tags, $4, $4, r.duration_seconds, 0, 0, false, NULL, $5, r.fingerprint
                FROM hd_import_rows r
                ON CONFLICT (org_id, import_fingerprint) WHERE import_fingerprint IS NOT NULL DO NOTHING
                """, ct, request.OrgId, request.UserId, EntrySource.Import, now, importId);
            failed.Sort((a, b) => a.Line.CompareTo(b.Line));
            var outcome = new ImportOutcome(
                importId, request.Rows, created, request.Good.Count - fresh.Count + (entries.Count - created),
                failed, clientsCreated, projectsCreated);

            if (request.DryRun)
            {
                await transaction.RollbackAsync(ct);
                return outcome;
            }

            await connection.ExecuteAsync(
                """
                INSERT INTO imports (org_id, id, user_id, source, rows, created, duplicates, failed, clients_created, projects_created, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                """, ct, request.OrgId, importId, request.UserId, request.Source, outcome.Rows, outcome.Created, outcome.Duplicates,
                Db.Jsonb(JsonSerializer.Serialize(failed.Select(f => new { line = f.Line, code = f.Code, detail = f.Detail }))),
                clientsCreated, projectsCreated, now);
            await transaction.CommitAsync(ct);
            if (created > 0)
            {
                changes.Changed(request.OrgId, request.UserId);
            }

            return outcome;
        });

    /// <summary>R23's comparison: trimmed, case-insensitive.</summary>
    private static string Key(string name) => name.Trim().ToLowerInvariant();

    private static async Task<Dictionary<string, KnownClient>> ClientsAsync(NpgsqlConnection connection, Guid orgId, CancellationToken ct)
    {
        var clients = new Dictionary<string, KnownClient>(StringComparer.Ordinal);
        await using var reader = await connection.QueryAsync(
            "SELECT id, name, currency, default_rate FROM clients WHERE org_id = $1 AND NOT archived ORDER BY created_at, id", ct, orgId);
        while (await reader.ReadAsync(ct))
        {
            clients.TryAdd(Key(reader.GetString(1)), new KnownClient(reader.GetGuid(0), reader.GetString(2), reader.GetDecimal(3)));
        }

        return clients;
    }

    private static async Task<Dictionary<(Guid, string), KnownProject>> ProjectsAsync(NpgsqlConnection connection, Guid orgId, CancellationToken ct)
    {
        var projects = new Dictionary<(Guid, string), KnownProject>();
        await using var reader = await connection.QueryAsync(
            "SELECT id, client_id, name, rate FROM projects WHERE org_id = $1 AND NOT archived ORDER BY created_at, id", ct, orgId);
        while (await reader.ReadAsync(ct))
        {
            projects.TryAdd((reader.GetGuid(1), Key(reader.GetString(2))), new KnownProject(reader.GetGuid(0), reader.IsDBNull(3) ? null : reader.GetDecimal(3)));
        }

        return projects;
    }
}
