using System.Runtime.CompilerServices;
using Hourdini.Grains.Entries;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Entries;

/// <summary>An entry with the names an export shows beside it (R29).</summary>
public sealed record ExportedEntry(TimeEntry Entry, string ProjectName, string ClientName, string UserName, string UserEmail);

/// <summary>
/// R29: every entry that started in a period, oldest first, read row by row as the file is written, so a year of
/// entries never sits in memory. Whose entries: as in the list, the caller's own, or for a viewer those on the
/// clients granted to them.
/// </summary>
public sealed class EntryExport(NpgsqlDataSource dataSource)
{
    public async IAsyncEnumerable<ExportedEntry> ReadAsync(
        Guid orgId, Guid userId, Guid? viewerId, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await Db.RunAsync(() => dataSource.OpenConnectionAsync(ct).AsTask());
        await using var reader = await Db.RunAsync(() => connection.QueryAsync(
            """
            SELECT e.*, p.name AS project_name, c.name AS client_name, u.name AS user_name, u.email AS user_email
            FROM time_entries e
            JOIN projects p ON p.org_id = e.org_id AND p.id = e.project_id
            JOIN clients c ON c.org_id = p.org_id AND c.id = p.client_id
            JOIN users u ON u.id = e.user_id
            WHERE e.org_id = $1
              AND (CASE WHEN $2::uuid IS NULL THEN e.user_id = $3
                   ELSE EXISTS (SELECT 1 FROM client_grants g WHERE g.org_id = p.org_id AND g.client_id = p.client_id AND g.user_id = $2) END)
              AND e.started_at >= $4 AND e.started_at < $5
            ORDER BY e.started_at, e.id
            """,
            ct, orgId, Db.Nullable(viewerId, NpgsqlDbType.Uuid), userId, from, to));
        while (await reader.ReadAsync(ct))
        {
            yield return new ExportedEntry(
                EntryStore.Read(reader), reader.Get<string>("project_name")!, reader.Get<string>("client_name")!,
                reader.Get<string>("user_name")!, reader.Get<string>("user_email")!);
        }
    }
}
